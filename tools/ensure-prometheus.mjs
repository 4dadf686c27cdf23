// Installs Debian's `prometheus` package when no `prometheus` binary is on PATH, so the dashboards' scrape test
// (tools/e2e, metrics.e2e.spec.ts) runs instead of being skipped. Only as root on a system with apt-get; any
// failure is one line of notice, never a failed run. VSTACK_SKIP_PROMETHEUS_INSTALL=1 turns it off.
// On a machine with systemd the package also enables its own prometheus service (port 9090).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((folder) => {
    if (!folder) return false;
    try {
      accessSync(join(folder, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function aptGet(args) {
  return spawnSync('apt-get', args, {
    stdio: 'ignore',
    timeout: 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Tries to make a `prometheus` binary available; returns true when one is. */
export function ensurePrometheus() {
  if (onPath('prometheus')) return true;
  if (process.env.VSTACK_SKIP_PROMETHEUS_INSTALL === '1') return false;
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !onPath('apt-get')) {
    console.log(
      'No prometheus binary: the Prometheus scrape test will be skipped (install Debian\'s "prometheus").',
    );
    return false;
  }
  const install = ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'];
  let result = aptGet(install);
  // A fresh container has no package lists yet.
  if (result.status !== 0 && aptGet(['update', '-qq']).status === 0) result = aptGet(install);
  if (result.status !== 0 || !onPath('prometheus')) {
    console.log('Could not install prometheus with apt-get: the Prometheus scrape test will be skipped.');
    return false;
  }
  console.log('Installed prometheus (Debian package) for the Prometheus scrape test.');
  return true;
}
