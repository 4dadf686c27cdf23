import { ESLint, type Linter } from 'eslint';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { workspaceRoot } from './workspace-root';

const boundaryRules = ['@nx/enforce-module-boundaries', 'no-restricted-imports'];
const nxRule = '@nx/enforce-module-boundaries';

let eslint: ESLint;
const stdout: string[] = [];

beforeAll(async () => {
  // The Nx rule reads the cached project graph and silently skips every check when there is none.
  process.env.NX_DAEMON = 'false';
  const { createProjectGraphAsync } = await import('nx/src/devkit-exports');
  await createProjectGraphAsync({ exitOnError: false });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  eslint = new ESLint({
    cwd: workspaceRoot,
    // The probe files exist only in memory, so no project's tsconfig lists them: the type-aware parser
    // serves them from a default project that has the workspace path aliases.
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: {
          parserOptions: {
            projectService: {
              allowDefaultProject: ['apps/*/src/*.ts', 'libs/*/src/*.ts'],
              defaultProject: 'tsconfig.base.json',
            },
          },
        },
      },
    ],
  });
});

afterAll(() => {
  vi.restoreAllMocks();
});

async function lint(filePath: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const messages = result?.messages ?? [];
  expect(messages.filter((message) => message.fatal === true)).toEqual([]);
  return messages;
}

function boundaryErrors(messages: Linter.LintMessage[]): { ruleId: string | null; message: string }[] {
  return messages
    .filter((message) => message.severity === 2 && boundaryRules.includes(message.ruleId ?? ''))
    .map(({ ruleId, message }) => ({ ruleId, message }));
}

describe('module boundaries (eslint.config.mjs)', () => {
  it('rejects an app importing another app by a relative path', async () => {
    const messages = await lint(
      'apps/gateway/src/boundary-probe.ts',
      "import { bootstrap } from '../../sidecar/src/main';\nexport const start = bootstrap;\n",
    );
    expect(boundaryErrors(messages)).toContainEqual({
      ruleId: nxRule,
      message: expect.stringContaining('cannot be imported by a relative or absolute path') as string,
    });
  });

  it('rejects a type:util lib importing a type:data-access lib', async () => {
    const messages = await lint(
      'libs/config/src/boundary-probe.ts',
      "import { createDataSource } from '@vstack/database';\nexport const create = createDataSource;\n",
    );
    expect(boundaryErrors(messages)).toContainEqual({
      ruleId: nxRule,
      message: expect.stringContaining(
        'tagged with "type:util" can only depend on libs tagged with "type:util"',
      ) as string,
    });
  });

  it('rejects a deep import into a lib', async () => {
    const messages = await lint(
      'apps/gateway/src/boundary-probe.ts',
      "import { jobNames } from '@vstack/queues/src/x';\nexport const names = jobNames;\n",
    );
    expect(boundaryErrors(messages).map((error) => error.ruleId)).toContain('no-restricted-imports');
  });

  it('accepts an app importing a lib through its public entry', async () => {
    const messages = await lint(
      'apps/gateway/src/boundary-probe.ts',
      "import { appNames } from '@vstack/config';\nexport const names = appNames;\n",
    );
    expect(boundaryErrors(messages)).toEqual([]);
    expect(messages.map((message) => message.ruleId)).toEqual([]);
  });

  it('ran the Nx rule against the project graph instead of skipping it', () => {
    expect(stdout.join('')).not.toContain('No cached ProjectGraph');
  });
});
