import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { renderEnvExample } from '@vstack/config';
import { describe, expect, it } from 'vitest';
import { workspacePath } from './workspace-root';

const envExamplePath = workspacePath('.env.example');

describe('.env.example', () => {
  it('is exactly what libs/config renders (regenerate with UPDATE_ENV_EXAMPLE=1 npx nx test workspace)', () => {
    const expected = renderEnvExample();
    if (process.env.UPDATE_ENV_EXAMPLE === '1') writeFileSync(envExamplePath, expected);
    const actual = existsSync(envExamplePath) ? readFileSync(envExamplePath, 'utf8') : '';
    expect(actual, 'stale .env.example: run UPDATE_ENV_EXAMPLE=1 npx nx test workspace').toBe(expected);
  });
});
