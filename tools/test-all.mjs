#!/usr/bin/env node
// The one command that checks everything: installs what is missing, then lints, type-checks, builds and tests
// every project through Nx, and ends with a one-line total of the tests that ran.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureDependencies } from './ensure-deps.mjs';
import { ensurePrometheus } from './ensure-prometheus.mjs';

const workspaceRoot = resolve(import.meta.dirname, '..');
ensureDependencies(workspaceRoot);
ensurePrometheus();

const resultsDir = join(workspaceRoot, 'tmp', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };
const nx = join(workspaceRoot, 'node_modules', '.bin', 'nx');
const steps = [
  [
    'prettier',
    [join(workspaceRoot, 'node_modules', '.bin', 'prettier'), '--check', '.', '--log-level', 'warn'],
  ],
  [
    'nx',
    [
      nx,
      'run-many',
      '-t',
      'lint',
      'typecheck',
      'build',
      'test',
      '--output-style=static',
      ...process.argv.slice(2),
    ],
  ],
];
let failed = false;
for (const [name, [command, ...args]] of steps) {
  const result = spawnSync(command, args, { cwd: workspaceRoot, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`${name} failed (exit ${result.status ?? result.signal})`);
    failed = true;
  }
}

/** Sums the vitest JSON reports that every project's test target leaves in tmp/test-results. */
function collect(dir) {
  const totals = { passed: 0, failed: 0, skipped: 0, files: 0 };
  if (!existsSync(dir)) return totals;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const inner = collect(path);
      for (const key of Object.keys(totals)) totals[key] += inner[key];
    } else if (entry.endsWith('.json')) {
      const report = JSON.parse(readFileSync(path, 'utf8'));
      totals.files += 1;
      totals.passed += report.numPassedTests ?? 0;
      // A test file that fails to load has no failed tests of its own: count it as one failure.
      const brokenFiles = (report.testResults ?? []).filter(
        (file) =>
          file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
      ).length;
      totals.failed += (report.numFailedTests ?? 0) + brokenFiles;
      totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    }
  }
  return totals;
}

const totals = collect(resultsDir);
console.log('');
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failed || totals.failed > 0 ? 1 : 0);
