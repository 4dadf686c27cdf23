#!/usr/bin/env node
// Bundles one project's entry (its own code and the workspace libs it imports) into dist/<project>/.
// Packages from node_modules stay external. SWC compiles TypeScript because Nest's dependency injection
// needs decorator metadata, which esbuild does not emit.
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { transform } from '@swc/core';
import { build } from 'esbuild';

const workspaceRoot = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    entry: { type: 'string', multiple: true },
  },
});
if (!values.project || !values.entry?.length) {
  console.error(
    'usage: node tools/build.mjs --project <apps/name> --entry src/main.ts [--entry src/other.ts]',
  );
  process.exit(2);
}

const projectDir = resolve(workspaceRoot, values.project);
const outdir = join(workspaceRoot, 'dist', values.project);

/** @type {import('esbuild').Plugin} */
const swcPlugin = {
  name: 'swc-decorators',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const output = await transform(source, {
        filename: args.path,
        sourceMaps: 'inline',
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          keepClassNames: true,
        },
        module: { type: 'es6' },
      });
      return { contents: output.code, loader: 'js' };
    });
  },
};

await build({
  absWorkingDir: workspaceRoot,
  entryPoints: values.entry.map((entry) => join(projectDir, entry)),
  outdir,
  outbase: join(projectDir, 'src'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  tsconfig: join(workspaceRoot, 'tsconfig.base.json'),
  sourcemap: 'linked',
  keepNames: true,
  logLevel: 'warning',
  plugins: [swcPlugin],
});
console.log(`built ${relative(workspaceRoot, outdir)}`);
