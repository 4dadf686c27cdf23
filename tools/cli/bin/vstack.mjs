#!/usr/bin/env node
// `npx vstack` in the repository: runs the bundled CLI, building it first when it is missing or older than its
// sources (a second or so, with the workspace's own build script).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const workspaceRoot = resolve(import.meta.dirname, '../../..');
const main = join(workspaceRoot, 'dist/tools/cli/main.js');
const sources = join(workspaceRoot, 'tools/cli/src');

function newestSource() {
  return Math.max(
    0,
    ...readdirSync(sources)
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
      .map((name) => statSync(join(sources, name)).mtimeMs),
  );
}

if (!existsSync(main) || (existsSync(sources) && statSync(main).mtimeMs < newestSource())) {
  const build = spawnSync(
    process.execPath,
    ['tools/build.mjs', '--project', 'tools/cli', '--entry', 'src/main.ts'],
    { cwd: workspaceRoot, encoding: 'utf8' },
  );
  if (build.status !== 0) {
    process.stderr.write(`vstack: could not build the CLI:\n${build.stderr || build.stdout}`);
    process.exit(1);
  }
}
await import(pathToFileURL(main).href);
