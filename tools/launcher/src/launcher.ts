import { join } from 'node:path';
import { describeExit, type PrivateService } from '@vstack/local-infra';
import { defaultPortOf, keepsRecordsInPostgres, type LaunchableApp, selectApps, startTiers } from './apps';
import {
  appEnvironment,
  type Environment,
  generateToken,
  LOCAL_VALIDATOR,
  redactUrl,
  type RunSettings,
} from './environment';
import { waitUntilReady } from './health';
import type { LauncherOptions } from './options';
import { type OutputSink, PrefixedOutput } from './output';
import { assignPorts, type PortProbe } from './ports';
import { RunFiles } from './run-files';
import { Supervisor } from './supervisor';
import { renderTable } from './table';

/** A Redis or PostgreSQL the launcher started; `pid` when it is a separate process. */
export interface StartedService extends PrivateService {
  pid?: number;
}

/** Everything the launcher touches outside itself. */
export interface LauncherDeps {
  /** Holds apps/<name>/main.js for every built app. */
  distDir: string;
  env: Environment;
  sink: OutputSink;
  colour: boolean;
  ports: PortProbe;
  startRedis(): Promise<StartedService>;
  startPostgres(dataDir: string | undefined): Promise<StartedService>;
  /** Subscribes to the signals that stop the run; returns the unsubscribe. */
  onStopSignal(listener: (signal: NodeJS.Signals) => void): () => void;
  /** Between SIGTERM and SIGKILL when stopping the apps. */
  graceMs: number;
  /** Where the run leaves each app's log and the apps' URLs for `vstack logs` / `vstack top`; nowhere when unset. */
  runDir?: string;
}

interface StopReason {
  exitCode: number;
  message: string;
}

class Stopping extends Error {}

// The terminal and `npm run` may both deliver the same Ctrl-C; a second one within this window is the same press.
const repeatedSignalWindowMs = 1_000;

const launcherName = 'launcher';

/**
 * Runs the local stack: Redis and PostgreSQL (from the environment or private), migrations, every built app on
 * 127.0.0.1, readiness checks, then waits for a signal or an app that dies, and stops everything it started.
 * Resolves with the process exit code.
 */
export async function runLauncher(options: LauncherOptions, deps: LauncherDeps): Promise<number> {
  const selection = selectApps(deps.distDir, options.only);
  const output = new PrefixedOutput(
    deps.sink,
    [launcherName, ...selection.apps.map((app) => app.name)],
    deps.colour,
  );
  const say = (message: string) => {
    output.line(launcherName, 'stdout', message);
  };
  const complain = (message: string) => {
    output.line(launcherName, 'stderr', message);
  };

  for (const name of selection.missing) {
    say(`skipping ${name}: ${join(deps.distDir, 'apps', name, 'main.js')} is not built`);
  }
  if (selection.apps.length === 0) {
    complain(
      `no apps to start in ${join(deps.distDir, 'apps')}; build them first (npm run local builds them)`,
    );
    return 1;
  }

  const shutdown = new AbortController();
  const stopWith = (reason: StopReason) => {
    if (!shutdown.signal.aborted) shutdown.abort(reason);
  };
  const checkpoint = () => {
    if (shutdown.signal.aborted) throw new Stopping();
  };

  const runFiles = deps.runDir ? new RunFiles(deps.runDir, complain) : undefined;
  const supervisor = new Supervisor({
    graceMs: deps.graceMs,
    onLine: (name, stream, line) => {
      output.line(name, stream, line);
      runFiles?.line(name, line);
    },
    onKilled: (name, pid) => {
      complain(`${name} (pid ${pid}) did not stop within ${deps.graceMs / 1000} s; killed it`);
    },
  });
  supervisor.onUnexpectedExit((name, pid, exit) => {
    stopWith({ exitCode: 1, message: `${name} (pid ${pid}) exited unexpectedly with ${describeExit(exit)}` });
  });

  let firstSignalAt: number | undefined;
  const unsubscribe = deps.onStopSignal((signal) => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      stopWith({ exitCode: 0, message: `received ${signal}, stopping` });
    } else if (Date.now() - firstSignalAt > repeatedSignalWindowMs) {
      complain(`received ${signal} again: killing every app now`);
      supervisor.killAll();
    }
  });

  // Empty counts as unset, as in the apps' config.
  const setting = (name: string) => deps.env[name] || undefined;
  const services: StartedService[] = [];
  try {
    const redisUrl = setting('REDIS_URL') ?? (await startService('private redis-server', deps.startRedis()));
    if (setting('REDIS_URL')) say(`using Redis at ${redactUrl(redisUrl)} (REDIS_URL)`);
    checkpoint();
    const databaseUrl =
      setting('DATABASE_URL') ??
      (await startService(
        `embedded PostgreSQL (PGlite, ${options.dataDir ? `data in ${options.dataDir}` : 'in memory'})`,
        deps.startPostgres(options.dataDir),
      ));
    if (setting('DATABASE_URL')) say(`using PostgreSQL at ${redactUrl(databaseUrl)} (DATABASE_URL)`);
    const schema = setting('DATABASE_SCHEMA');
    if (!setting('DATABASE_URL') && schema && schema !== 'public') {
      complain(
        `DATABASE_SCHEMA=${schema} does not work with the embedded PostgreSQL, which ignores per-connection ` +
          'search_path settings; unset it, or set DATABASE_URL to a PostgreSQL server',
      );
    }
    checkpoint();

    const ports = await assignPorts(
      selection.apps.map((app) => app.name),
      defaultPortOf,
      deps.ports,
    );
    const run: RunSettings = {
      redisUrl,
      databaseUrl,
      metricsToken: setting('METRICS_TOKEN') ?? generateToken(),
      gatewayAdminToken: setting('GATEWAY_ADMIN_TOKEN') ?? generateToken(),
      sidecarToken: generateToken(),
      sidecarReadToken: setting('SIDECAR_OPEN_ACCESS_TOKEN') ?? generateToken(),
      ports,
      colour: deps.colour,
    };
    const envOf = (app: LaunchableApp) => appEnvironment(app.name, deps.env, run);
    const baseUrlOf = (app: LaunchableApp) => `http://127.0.0.1:${ports.get(app.name) ?? 0}`;

    if (options.migrate) {
      for (const app of selection.apps.filter((candidate) => keepsRecordsInPostgres(candidate.name))) {
        say(`running the migrations of ${app.name}`);
        const exit = await supervisor.run(app.name, app.main, ['migrate'], envOf(app));
        checkpoint();
        if (exit.code !== 0) {
          throw new Error(
            `the migrations of ${app.name} failed (${describeExit(exit)}); see its output above`,
          );
        }
      }
    }

    for (const tier of startTiers(selection.apps)) {
      for (const app of tier) {
        const started = supervisor.start(app.name, app.main, [], envOf(app));
        say(`started ${app.name} (pid ${started.pid}) on ${baseUrlOf(app)}`);
      }
      await Promise.all(
        tier.map((app) =>
          waitUntilReady(`${baseUrlOf(app)}/health/ready`, {
            timeoutMs: options.readyTimeoutMs,
            signal: shutdown.signal,
          }).catch((error: unknown) => {
            checkpoint();
            throw new Error(`${app.name} was ${error instanceof Error ? error.message : String(error)}`, {
              cause: error,
            });
          }),
        ),
      );
      checkpoint();
    }

    await runFiles?.writeServices({
      apps: Object.fromEntries(selection.apps.map((app) => [app.name, baseUrlOf(app)])),
      ...(setting('METRICS_TOKEN') ? {} : { metricsToken: run.metricsToken }),
    });
    deps.sink.stdout(`\n${describeRun(selection.apps, baseUrlOf, run, deps.env, services.length)}\n\n`);
    if (runFiles)
      say(`app logs in ${join(runFiles.dir, 'logs')}: vstack logs <app>; live figures: vstack top`);
    say('vstack is running — Ctrl-C to stop');
    await new Promise<void>((resolveStop) => {
      if (shutdown.signal.aborted) resolveStop();
      shutdown.signal.addEventListener('abort', () => {
        resolveStop();
      });
    });
  } catch (error) {
    if (!(error instanceof Stopping) && !shutdown.signal.aborted) {
      stopWith({ exitCode: 1, message: error instanceof Error ? error.message : String(error) });
    }
  }

  const reason = shutdown.signal.reason as StopReason;
  if (reason.exitCode === 0) say(reason.message);
  else complain(reason.message);
  await supervisor.stopAll();
  await runFiles?.close();
  for (const service of services.reverse()) {
    await service.stop().catch((error: unknown) => {
      complain(`could not stop a private service: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  unsubscribe();
  say(reason.exitCode === 0 ? 'stopped' : `stopped (exit code ${reason.exitCode})`);
  return reason.exitCode;

  async function startService(label: string, starting: Promise<StartedService>): Promise<string> {
    const service = await starting;
    services.push(service);
    say(`started ${label}${service.pid === undefined ? '' : ` (pid ${service.pid})`} at ${service.url}`);
    return service.url;
  }
}

function describeRun(
  apps: readonly LaunchableApp[],
  baseUrlOf: (app: LaunchableApp) => string,
  run: RunSettings,
  env: Environment,
  privateServices: number,
): string {
  const table = renderTable([
    ['app', 'url', 'metrics', 'readiness'],
    ...apps.map((app) => [
      app.name,
      baseUrlOf(app),
      `${baseUrlOf(app)}/metrics`,
      `${baseUrlOf(app)}/health/ready`,
    ]),
  ]);
  const example = apps.find((app) => app.name === 'gateway') ?? apps[0];
  const token = env['METRICS_TOKEN'] ? '$METRICS_TOKEN' : run.metricsToken;
  const details = renderTable([
    ['Redis', redactUrl(run.redisUrl)],
    ['PostgreSQL', redactUrl(run.databaseUrl)],
    ['METRICS_TOKEN', env['METRICS_TOKEN'] ? '(from your environment)' : run.metricsToken],
    ...(apps.some((app) => app.name === 'gateway')
      ? [
          [
            'GATEWAY_ADMIN_TOKEN',
            env['GATEWAY_ADMIN_TOKEN'] ? '(from your environment)' : run.gatewayAdminToken,
          ],
        ]
      : []),
    ...(apps.some((app) => app.name === 'sidecar')
      ? [
          [
            'SIDECAR_OPEN_ACCESS_TOKEN',
            env['SIDECAR_OPEN_ACCESS_TOKEN'] ? '(from your environment)' : run.sidecarReadToken,
          ],
          ...(apps.some((app) => app.name === 'devnet') && !env['SUBTENSOR_URL'] && !env['SIDECAR_IDENTITIES']
            ? [
                [
                  `sidecar identity "${LOCAL_VALIDATOR.name}"`,
                  `${LOCAL_VALIDATOR.hotkey}, token ${run.sidecarToken}`,
                ],
              ]
            : []),
        ]
      : []),
  ]);
  const metricsHint = example
    ? `\n\n  curl -H "Authorization: Bearer ${token}" ${baseUrlOf(example)}/metrics`
    : '';
  const privateNote =
    privateServices > 0 ? '\n  (private services stop with the launcher; their data is not kept)' : '';
  return `${table}\n\n${details}${metricsHint}${privateNote}`;
}
