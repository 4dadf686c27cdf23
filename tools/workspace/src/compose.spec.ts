import { existsSync, readFileSync } from 'node:fs';
import { type AppName, appConfigSchemas, appNames, parseConfig } from '@vstack/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { postgresApps, variablesOutsideSchema } from './app-environment';
import {
  buildOf,
  type ComposeFile,
  dependenciesOf,
  interpolateDefaults,
  listOrDictToMap,
  parseComposeYaml,
} from './compose';
import { createComposeValidator, formatSchemaErrors } from './compose-schema';
import { findStage, parseDockerfile } from './dockerfile';
import { workspacePath } from './workspace-root';

const composeText = readFileSync(workspacePath('docker-compose.yml'), 'utf8');
const validate = createComposeValidator();

function loadCompose(): ComposeFile {
  const document = parseComposeYaml(composeText);
  if (!validate(document)) throw new Error(formatSchemaErrors(validate.errors).join('\n'));
  return document as ComposeFile;
}

function environmentWithDefaults(compose: ComposeFile, service: string): Record<string, string> {
  const environment = listOrDictToMap(compose.services[service]?.environment);
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, interpolateDefaults(value)]),
  );
}

describe('docker-compose.yml against the compose-spec schema', () => {
  it('is a valid compose file', () => {
    const document = parseComposeYaml(composeText);
    const valid = validate(document);
    expect(formatSchemaErrors(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('rejects a copy with an unknown service key, a bad condition and a bad duration', () => {
    const broken = structuredClone(parseComposeYaml(composeText)) as {
      services: Record<string, Record<string, unknown>>;
    };
    const redis = broken.services.redis ?? {};
    redis.restart_policy = 'always';
    redis.healthcheck = { test: ['CMD', 'true'], interval: 'every five seconds' };
    const sidecar = broken.services.sidecar ?? {};
    sidecar.depends_on = { redis: { condition: 'service_ready' } };

    expect(validate(broken)).toBe(false);
    const errors = formatSchemaErrors(validate.errors).join('\n');
    expect(errors).toContain('/services/redis must NOT have additional properties');
    expect(errors).toContain('/services/redis/healthcheck/interval must match format "duration"');
    expect(errors).toContain(
      '/services/sidecar/depends_on/redis/condition must be equal to one of the allowed values',
    );
  });

  it('rejects a compose file whose services is a list', () => {
    expect(validate({ services: [{ image: 'redis:7' }] })).toBe(false);
  });
});

describe('docker-compose.yml services', () => {
  let compose: ComposeFile;
  beforeAll(() => {
    compose = loadCompose();
  });

  it('runs Redis 7 with an fsync-every-second AOF, no eviction, a health check and a volume', () => {
    const redis = compose.services.redis;
    expect(redis?.image).toBe('redis:7');
    const command = Array.isArray(redis?.command) ? redis.command.join(' ') : (redis?.command ?? '');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(JSON.stringify(redis?.healthcheck?.test)).toContain('redis-cli ping');
    expect(redis?.volumes?.some((volume) => String(volume).endsWith(':/data'))).toBe(true);
  });

  it('runs PostgreSQL 16 with a pg_isready health check and a volume', () => {
    const postgres = compose.services.postgres;
    expect(postgres?.image).toBe('postgres:16');
    expect(JSON.stringify(postgres?.healthcheck?.test)).toContain('pg_isready');
    expect(postgres?.volumes?.some((volume) => String(volume).endsWith(':/var/lib/postgresql/data'))).toBe(
      true,
    );
    const environment = environmentWithDefaults(compose, 'postgres');
    expect(environment.POSTGRES_PASSWORD).not.toBe('');
  });

  it('has one service per app, built from the Dockerfile with APP naming an existing project', () => {
    for (const app of appNames) {
      const build = buildOf(compose.services[app] ?? {});
      expect(build, app).toBeDefined();
      const args = listOrDictToMap(build?.args);
      expect(args.APP, app).toBe(app);
      expect(existsSync(workspacePath('apps', args.APP ?? '', 'project.json')), app).toBe(true);
    }
  });

  it('builds every service from a stage the Dockerfile has', () => {
    const dockerfile = parseDockerfile(readFileSync(workspacePath('Dockerfile'), 'utf8'));
    for (const [name, service] of Object.entries(compose.services)) {
      const build = buildOf(service);
      if (!build) continue;
      expect(build.context, name).toBe('.');
      expect(build.dockerfile ?? 'Dockerfile', name).toBe('Dockerfile');
      if (build.target !== undefined) expect(findStage(dockerfile, build.target), name).toBeDefined();
    }
  });

  it.each(appNames)('gives %s only variables of its config schema, and values it accepts', (app: AppName) => {
    const schema = appConfigSchemas[app];
    const environment = environmentWithDefaults(compose, app);
    expect(variablesOutsideSchema(app, Object.keys(environment))).toEqual([]);
    expect(environment.HOST).toBe('0.0.0.0');
    const config = parseConfig(app, schema, environment);
    expect(config.PORT).toBe(Number(environment.PORT));
    if ('REDIS_URL' in schema.shape) expect(environment.REDIS_URL).toBe('redis://redis:6379');
    if ('DATABASE_URL' in schema.shape)
      expect(environment.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
  });

  it.each(appNames)(
    'health-checks %s, restarts it unless stopped and reads an optional .env',
    (app: AppName) => {
      const service = compose.services[app];
      expect(service?.restart).toBe('unless-stopped');
      expect(service?.healthcheck?.test).toBeDefined();
      expect(service?.env_file).toEqual([{ path: '.env', required: false }]);
    },
  );

  it.each(appNames)('starts %s only after the services it needs are ready', (app: AppName) => {
    const shape = appConfigSchemas[app].shape;
    const dependencies = dependenciesOf(compose.services[app] ?? {});
    if ('REDIS_URL' in shape) expect(dependencies.redis).toBe('service_healthy');
    if ('DATABASE_URL' in shape) {
      expect(dependencies.postgres).toBe('service_healthy');
      expect(dependencies.migrations).toBe('service_completed_successfully');
    }
    for (const dependency of Object.keys(dependencies))
      expect(compose.services, app).toHaveProperty(dependency);
  });

  it('runs the migrations one-shot after Redis and PostgreSQL are healthy, with settings every Postgres app accepts', () => {
    const migrations = compose.services.migrations;
    expect(migrations?.restart).toBe('no');
    expect(dependenciesOf(migrations ?? {})).toEqual({
      redis: 'service_healthy',
      postgres: 'service_healthy',
    });
    const environment = environmentWithDefaults(compose, 'migrations');
    expect(postgresApps.length).toBeGreaterThan(0);
    for (const app of postgresApps) {
      expect(variablesOutsideSchema(app, Object.keys(environment)), app).toEqual([]);
      expect(() => parseConfig(app, appConfigSchemas[app], environment)).not.toThrow();
      expect(environment.DATABASE_URL).toBe(environmentWithDefaults(compose, app).DATABASE_URL);
    }
  });

  it('adds the devnet with the local-chain profile and points the chain clients at it by default', () => {
    expect(compose.services.devnet?.profiles).toEqual(['local-chain']);
    for (const app of appNames.filter((name) => 'SUBTENSOR_URL' in appConfigSchemas[name].shape)) {
      expect(environmentWithDefaults(compose, app).SUBTENSOR_URL, app).toBe('ws://devnet:9944');
    }
  });

  it('adds the miner proxy and the demo miner with the miner profile, the proxy in front of the demo miner', () => {
    expect(compose.services['miner-proxy']?.profiles).toEqual(['miner']);
    expect(compose.services['demo-miner']?.profiles).toEqual(['miner']);
    expect(environmentWithDefaults(compose, 'miner-proxy').INFERENCE_SERVER_URL).toBe(
      'http://demo-miner:8092',
    );
  });

  it('starts the core services without a profile', () => {
    const core = appNames.filter((app) => !['devnet', 'miner-proxy', 'demo-miner'].includes(app));
    for (const app of [...core, 'redis', 'postgres', 'migrations']) {
      expect(compose.services[app]?.profiles, app).toBeUndefined();
    }
  });

  it('declares every named volume it mounts', () => {
    const named = Object.values(compose.services)
      .flatMap((service) => service.volumes ?? [])
      .map((volume) => String(volume).split(':')[0] ?? '')
      .filter((source) => /^[A-Za-z0-9]/.test(source));
    for (const volume of named) expect(compose.volumes ?? {}).toHaveProperty(volume);
  });
});

describe('interpolateDefaults', () => {
  it('replaces ${NAME:-default} and ${NAME-default} with the default and $$ with $', () => {
    expect(interpolateDefaults('postgres://${USER:-vstack}:${PASS-secret}@db/x')).toBe(
      'postgres://vstack:secret@db/x',
    );
    expect(interpolateDefaults('pg_isready -U $${POSTGRES_USER}')).toBe('pg_isready -U ${POSTGRES_USER}');
    expect(interpolateDefaults('plain')).toBe('plain');
  });

  it('refuses a reference that has no default', () => {
    expect(() => interpolateDefaults('${TOKEN}')).toThrow('${TOKEN} has no default');
    expect(() => interpolateDefaults('$TOKEN')).toThrow('has no default');
    expect(() => interpolateDefaults('${TOKEN:?set it}')).toThrow('has no default');
  });
});

describe('listOrDictToMap', () => {
  it('reads both forms of environment', () => {
    expect(listOrDictToMap(['A=1', 'B=x=y', 'C'])).toEqual({ A: '1', B: 'x=y', C: '' });
    expect(listOrDictToMap({ A: 1, B: true, C: null })).toEqual({ A: '1', B: 'true', C: '' });
  });
});
