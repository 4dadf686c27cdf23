#!/usr/bin/env node
// Bundles one project's entry (its own code and the workspace libs it imports) into dist/<project>/.
// Packages from node_modules stay external, unless the project's build.json says
// `{ "bundlePackages": true, "external": [...] }`: then they are bundled too (but those listed, and optional
// dependencies that are not installed), which spares the process resolving and compiling hundreds of files at
// start-up. SWC compiles TypeScript because Nest's dependency injection needs decorator metadata, which esbuild
// does not emit.
import { existsSync } from 'node:fs';
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

/** @type {{ bundlePackages?: boolean, external?: string[] }} */
const settings = existsSync(join(projectDir, 'build.json'))
  ? JSON.parse(await readFile(join(projectDir, 'build.json'), 'utf8'))
  : {};

/**
 * Leaves a package import as it is when the package is not installed: optional dependencies (Nest's other
 * transports, ws' native helpers) are required only when used, as they would be from node_modules.
 * @type {import('esbuild').Plugin}
 */
const missingPackagesPlugin = {
  name: 'missing-packages-external',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.probing) return undefined;
      const resolved = await pluginBuild.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { probing: true },
      });
      return resolved.errors.length > 0 ? { path: args.path, external: true } : resolved;
    });
  },
};

// CommonJS code bundled into an ES module still calls require and reads __dirname.
const commonJsBanner = [
  "import { createRequire as __vstackCreateRequire } from 'node:module';",
  "import { dirname as __vstackDirname } from 'node:path';",
  "import { fileURLToPath as __vstackFileURLToPath } from 'node:url';",
  'const require = __vstackCreateRequire(import.meta.url);',
  'const __filename = __vstackFileURLToPath(import.meta.url);',
  'const __dirname = __vstackDirname(__filename);',
].join('\n');

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
  ...(settings.bundlePackages
    ? { external: settings.external ?? [], banner: { js: commonJsBanner } }
    : { packages: 'external' }),
  tsconfig: join(workspaceRoot, 'tsconfig.base.json'),
  sourcemap: 'linked',
  keepNames: true,
  logLevel: 'warning',
  plugins: settings.bundlePackages ? [swcPlugin, missingPackagesPlugin] : [swcPlugin],
});
console.log(`built ${relative(workspaceRoot, outdir)}`);
