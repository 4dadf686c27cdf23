import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const workspaceRoot = dirname(fileURLToPath(import.meta.url));

interface TsconfigBase {
  compilerOptions: { paths: Record<string, string[]> };
}

/**
 * The `@vstack/*` aliases, read from tsconfig.base.json so there is one list. Each matches its name exactly, so an
 * entry point below a lib (`@vstack/runtime/database`) is not taken for a file inside the lib's main one.
 */
function workspaceAliases(): { find: RegExp; replacement: string }[] {
  const tsconfig = JSON.parse(
    readFileSync(join(workspaceRoot, 'tsconfig.base.json'), 'utf8'),
  ) as TsconfigBase;
  return Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => ({
    find: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
    replacement: resolve(workspaceRoot, target ?? ''),
  }));
}

export interface ProjectTestOptions {
  /** Start or find Redis and Postgres before the tests (integration tests). */
  services?: boolean;
  /** Longer timeout for tests that start real processes. */
  testTimeoutMs?: number;
}

/** The vitest configuration every project uses: SWC for Nest decorators, workspace aliases, JSON results. */
export function projectTestConfig(projectDir: string, options: ProjectTestOptions = {}): ViteUserConfig {
  const { name: projectName } = JSON.parse(readFileSync(join(projectDir, 'project.json'), 'utf8')) as {
    name: string;
  };
  return defineConfig({
    root: projectDir,
    plugins: [
      swc.vite({
        jsc: {
          target: 'es2023',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        },
      }),
    ],
    resolve: { alias: workspaceAliases() },
    test: {
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      environment: 'node',
      globalSetup: options.services ? [join(workspaceRoot, 'libs/testing/src/global-setup.ts')] : [],
      testTimeout: options.testTimeoutMs ?? 20_000,
      hookTimeout: options.testTimeoutMs ?? 30_000,
      reporters: ['default', 'json'],
      outputFile: { json: join(workspaceRoot, 'tmp/test-results', `${projectName}.json`) },
    },
  });
}
