#!/usr/bin/env node
// `npm run local`: installs the dependencies when they are missing or older than package-lock.json, builds every
// app and the launcher, then runs the launcher with the same arguments. Plain Node only: it runs before install.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureDependencies } from './ensure-deps.mjs';

const workspaceRoot = resolve(import.meta.dirname, '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const forwardedSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Runs a command with the terminal attached; resolves with its exit code and the signal that ended it. */
function run(command, args, env = process.env) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      cwd: workspaceRoot,
      env,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    const forward = (signal) => {
      child.kill(signal);
    };
    for (const signal of forwardedSignals) process.on(signal, forward);
    const finish = (code, signal) => {
      for (const name of forwardedSignals) process.off(name, forward);
      resolveRun({ code, signal });
    };
    child.once('error', (error) => {
      console.error(`could not run ${command}: ${error.message}`);
      finish(1, null);
    });
    child.once('exit', finish);
  });
}

/** Exits like the child did: same code, or the same signal (128 + its number where it does not end us). */
function exitLike({ code, signal }) {
  if (signal) {
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0));
  }
  process.exit(code ?? 1);
}

/** Nx project names of the apps that have an entry to build (apps land one by one). */
function appProjects() {
  const appsDir = join(workspaceRoot, 'apps');
  if (!existsSync(appsDir)) return [];
  return readdirSync(appsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const projectJson = join(appsDir, entry.name, 'project.json');
      const main = join(appsDir, entry.name, 'src/main.ts');
      if (!existsSync(projectJson)) return [];
      if (!existsSync(main)) {
        console.log(`local: skipping apps/${entry.name}: it has no src/main.ts yet`);
        return [];
      }
      return [JSON.parse(readFileSync(projectJson, 'utf8')).name ?? entry.name];
    });
}

ensureDependencies(workspaceRoot);

const projects = [...appProjects(), 'launcher'];
console.log(`local: building ${projects.join(', ')}`);
const build = await run(npx, ['nx', 'run-many', '-t', 'build', '-p', projects.join(',')], {
  ...process.env,
  NX_DAEMON: 'false',
});
if (build.code !== 0) exitLike(build);

// The launcher stops everything on the first SIGINT; the copy forwarded from here lands within its
// repeated-signal window, so a Ctrl-C that reaches both processes counts once.
exitLike(
  await run(process.execPath, [join(workspaceRoot, 'dist/tools/launcher/main.js'), ...process.argv.slice(2)]),
);
