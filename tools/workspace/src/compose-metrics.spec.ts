import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type AppName, appConfigSchemas, appNames } from '@vstack/config';
import { dashboardSpecs, PROMETHEUS_DATASOURCE_UID } from '@vstack/dashboards';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type ComposeFile,
  type ComposeService,
  dependenciesOf,
  interpolateDefaults,
  listOrDictToMap,
  parseComposeYaml,
  secretPaths,
  volumeMounts,
} from './compose';
import { createComposeValidator, formatSchemaErrors } from './compose-schema';
import { workspacePath } from './workspace-root';

// Prometheus, Grafana and the wallets folder in docker-compose.yml. Prometheus and Grafana are not vstack apps:
// their settings are theirs, but every file they mount must be in the repository and agree with the stack.

interface ScrapeConfig {
  job_name: string;
  authorization?: { credentials_file?: string };
  static_configs?: { targets?: string[] }[];
}

/** Prometheus' config checker, where Prometheus is installed. */
const promtool = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((folder) => folder !== '')
  .map((folder) => join(folder, 'promtool'))
  .find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

const compose = parseComposeYaml(readFileSync(workspacePath('docker-compose.yml'), 'utf8')) as ComposeFile;

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The repository path of a bind mount source (`./deploy/x` → deploy/x). */
function repositoryPath(source: string): string {
  return workspacePath(source.replace(/^\.\//, ''));
}

/** The container path a repository path is mounted at in a service. */
function mountTarget(name: string, repositoryRelative: string): string | undefined {
  return volumeMounts(service(name)).find((mount) => mount.source === `./${repositoryRelative}`)?.target;
}

function environmentOf(name: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(listOrDictToMap(service(name).environment)).map(([key, value]) => [
      key,
      interpolateDefaults(value),
    ]),
  );
}

describe('docker-compose.yml metrics services', () => {
  it('adds Prometheus and Grafana with the metrics profile, health checks, restarts and data volumes', () => {
    for (const [name, image, dataPath] of [
      ['prometheus', /^prom\/prometheus:v\d+\.\d+\.\d+$/, '/prometheus'],
      ['grafana', /^grafana\/grafana:\d+\.\d+\.\d+$/, '/var/lib/grafana'],
    ] as const) {
      const metricsService = service(name);
      expect(metricsService.image, name).toMatch(image);
      expect(metricsService.build, name).toBeUndefined();
      expect(metricsService.profiles, name).toEqual(['metrics']);
      expect(metricsService.restart, name).toBe('unless-stopped');
      expect(JSON.stringify(metricsService.healthcheck?.test), name).toContain('http://127.0.0.1:');
      const data = volumeMounts(metricsService).find((mount) => mount.target === dataPath);
      expect(data?.bind, name).toBe(false);
      expect(compose.volumes ?? {}, name).toHaveProperty(data?.source ?? '');
    }
    expect(dependenciesOf(service('grafana'))).toEqual({ prometheus: 'service_healthy' });
  });

  it('mounts only repository files that exist, read-only, into Prometheus and Grafana', () => {
    for (const name of ['prometheus', 'grafana']) {
      const binds = volumeMounts(service(name)).filter((mount) => mount.bind);
      expect(binds.length, name).toBeGreaterThan(0);
      for (const mount of binds) {
        expect(mount.source, name).toMatch(/^\.\/deploy\//);
        expect(existsSync(repositoryPath(mount.source)), mount.source).toBe(true);
        expect(mount.readOnly, mount.source).toBe(true);
      }
    }
  });

  it('publishes Prometheus and Grafana on the loopback interface only', () => {
    expect(service('prometheus').ports).toEqual(['127.0.0.1:9090:9090']);
    expect(service('grafana').ports).toEqual(['127.0.0.1:3100:3000']);
  });

  it('takes the metrics token and the Grafana password from secrets set by environment variables', () => {
    expect(compose.secrets?.metrics_token).toEqual({ environment: 'METRICS_TOKEN' });
    expect(compose.secrets?.grafana_admin_password).toEqual({ environment: 'GRAFANA_ADMIN_PASSWORD' });
    const grafanaSecrets = secretPaths(service('grafana'));
    expect(environmentOf('grafana').GF_SECURITY_ADMIN_PASSWORD__FILE).toBe(
      grafanaSecrets.grafana_admin_password,
    );
    for (const name of Object.keys(compose.services)) {
      for (const secret of Object.keys(secretPaths(service(name)))) {
        expect(compose.secrets ?? {}, `${name} uses secret ${secret}`).toHaveProperty(secret);
      }
    }
  });

  it('validates the secrets against the compose-spec schema, environment source included', () => {
    const validate = createComposeValidator();
    const text = readFileSync(workspacePath('docker-compose.yml'), 'utf8');
    expect(validate(parseComposeYaml(text))).toBe(true);
    const broken = parseComposeYaml(text) as { secrets: Record<string, unknown> };
    broken.secrets.metrics_token = { env: 'METRICS_TOKEN' };
    broken.secrets.grafana_admin_password = { environment: 3 };
    expect(validate(broken)).toBe(false);
    expect(formatSchemaErrors(validate.errors)).toEqual(
      expect.arrayContaining([
        '/secrets/metrics_token must NOT have additional properties',
        '/secrets/grafana_admin_password/environment must be string',
      ]),
    );
  });

  it.each(appNames)(
    'gives %s the METRICS_TOKEN the metrics_token secret reads, and no token of its own',
    (app: AppName) => {
      const raw = listOrDictToMap(service(app).environment).METRICS_TOKEN;
      expect(raw).toBe('${METRICS_TOKEN:-}');
      expect('METRICS_TOKEN' in appConfigSchemas[app].shape).toBe(true);
    },
  );
});

describe('deploy/prometheus/prometheus.yml', () => {
  let scrapeConfigs: ScrapeConfig[];
  beforeAll(() => {
    const path = volumeMounts(service('prometheus')).find(
      (mount) => mount.target === '/etc/prometheus/prometheus.yml',
    )?.source;
    expect(path).toBe('./deploy/prometheus/prometheus.yml');
    const config = parse(readFileSync(repositoryPath(path ?? ''), 'utf8')) as {
      scrape_configs?: ScrapeConfig[];
    };
    scrapeConfigs = config.scrape_configs ?? [];
  });

  it('scrapes every app at its compose service name and port, as a job named after it', () => {
    expect(scrapeConfigs.map((scrape) => scrape.job_name).sort()).toEqual([...appNames].sort());
    for (const app of appNames) {
      const scrape = scrapeConfigs.find((candidate) => candidate.job_name === app);
      expect(
        scrape?.static_configs?.flatMap((group) => group.targets ?? []),
        app,
      ).toEqual([`${app}:${environmentOf(app).PORT ?? ''}`]);
    }
  });

  it.skipIf(promtool === undefined)(
    `is a configuration Prometheus' promtool accepts${promtool === undefined ? ' (skipped: no promtool on PATH)' : ''}`,
    () => {
      const result = spawnSync(
        promtool ?? 'promtool',
        ['check', 'config', '--syntax-only', workspacePath('deploy/prometheus/prometheus.yml')],
        { encoding: 'utf8' },
      );
      expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
      expect(result.status).toBe(0);
    },
  );

  it('sends the metrics token from the file where compose puts the metrics_token secret', () => {
    const tokenPath = secretPaths(service('prometheus')).metrics_token;
    expect(tokenPath).toBe('/run/secrets/metrics_token');
    for (const scrape of scrapeConfigs) {
      expect(scrape.authorization?.credentials_file, scrape.job_name).toBe(tokenPath);
    }
  });
});

describe('deploy/grafana provisioning', () => {
  const provisioning = (kind: string) =>
    parse(readFileSync(workspacePath('deploy/grafana/provisioning', kind, 'vstack.yml'), 'utf8')) as unknown;

  it('provides the Prometheus of the compose file under the uid the dashboards name', () => {
    const file = parse(
      readFileSync(workspacePath('deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string; url: string }[] };
    expect(file.datasources).toEqual([
      expect.objectContaining({
        uid: PROMETHEUS_DATASOURCE_UID,
        type: 'prometheus',
        url: 'http://prometheus:9090',
      }),
    ]);
    expect(mountTarget('grafana', 'deploy/grafana/provisioning/datasources')).toBe(
      '/etc/grafana/provisioning/datasources',
    );
  });

  it('loads the dashboards from the folder the compose file mounts them at', () => {
    const file = provisioning('dashboards') as { providers: { type: string; options: { path: string } }[] };
    const target = mountTarget('grafana', 'deploy/grafana/dashboards');
    expect(target).toBeDefined();
    expect(file.providers.map((provider) => provider.options.path)).toEqual([target]);
    expect(mountTarget('grafana', 'deploy/grafana/provisioning/dashboards')).toBe(
      '/etc/grafana/provisioning/dashboards',
    );
  });

  it('has one dashboard file per dashboard spec and nothing else in the mounted folder', () => {
    const folder = workspacePath('deploy/grafana/dashboards');
    const files = readdirSync(folder).filter((entry) => statSync(join(folder, entry)).isFile());
    expect(files.sort()).toEqual(dashboardSpecs.map((spec) => `${spec.service}.json`).sort());
  });
});

describe('the wallets folder', () => {
  const walletUsers = [
    ['sidecar', 'SIDECAR_WALLET_PATH'],
    ['validator', 'VALIDATOR_WALLET_PATH'],
    ['miner-proxy', 'MINER_WALLET_PATH'],
  ] as const;

  it.each(walletUsers)(
    'is mounted read-only into %s at the path its %s names',
    (name: AppName, variable: string) => {
      const path = environmentOf(name)[variable];
      expect(path).toMatch(/^\//);
      expect(variable in appConfigSchemas[name].shape).toBe(true);
      const mount = volumeMounts(service(name)).find((candidate) => candidate.target === path);
      expect(mount?.source).toBe('${VSTACK_WALLETS_DIR:-~/.bittensor/wallets}');
      expect(mount?.readOnly).toBe(true);
    },
  );
});
