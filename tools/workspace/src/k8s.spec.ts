import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type AppName, appConfigSchemas, appNames, ConfigError, parseConfig } from '@vstack/config';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { beforeAll, describe, expect, it } from 'vitest';
import { postgresApps, readsVariable, variablesOutsideSchema } from './app-environment';
import {
  autoscalerProblems,
  containerEnvironment,
  disruptionBudgetProblems,
  findGenerated,
  findResource,
  generatedBaseName,
  hardeningProblems,
  healthProbeProblems,
  kustomizeBuild,
  type Manifest,
  ofKind,
  parseManifests,
  resourceData,
  schemaErrors,
  secretsReadBy,
  serviceProblems,
} from './k8s';
import { workspacePath } from './workspace-root';

const k8sDir = workspacePath('deploy', 'k8s');
const overlays = ['local', 'production', 'miner'] as const;
type Overlay = (typeof overlays)[number];
/** The overlays that run the validator stack; overlays/miner runs the miner side alone. */
const validatorOverlays = ['local', 'production'] as const;

/** The validator stack every overlay runs; the devnet is the local overlay's chain, the miner apps are not deployed. */
const coreApps = appNames.filter((app) => !['devnet', 'miner-proxy', 'demo-miner'].includes(app));
/** The only pods that may read the hotkey: the sidecar signs weights, the validator signs requests to miners. */
const hotkeyReaders = ['sidecar', 'validator'];
const version = (JSON.parse(readFileSync(workspacePath('package.json'), 'utf8')) as { version: string })
  .version;

const builds = new Map<Overlay, Manifest[]>();
function build(overlay: Overlay): Manifest[] {
  let manifests = builds.get(overlay);
  if (!manifests) {
    manifests = parseManifests(kustomizeBuild(join(k8sDir, 'overlays', overlay)));
    builds.set(overlay, manifests);
  }
  return manifests;
}

/** A scratch directory inside the workspace: kustomize refuses resources given by absolute path. */
function scratchDirectory(prefix: string): string {
  mkdirSync(workspacePath('tmp'), { recursive: true });
  return mkdtempSync(workspacePath('tmp', prefix));
}

function appOf(deployment: IDeployment): AppName {
  const name = deployment.spec?.template.metadata?.labels?.['app.kubernetes.io/name'] ?? '';
  if (!(appNames as string[]).includes(name))
    throw new Error(`${deployment.metadata?.name ?? ''} runs no vstack app`);
  return name as AppName;
}

function vstackDeployments(manifests: readonly Manifest[]): IDeployment[] {
  return ofKind(manifests, 'Deployment').filter((deployment) =>
    (appNames as string[]).includes(
      deployment.spec?.template.metadata?.labels?.['app.kubernetes.io/name'] ?? '',
    ),
  );
}

function mainContainer(deployment: IDeployment): IContainer {
  const container = deployment.spec?.template.spec?.containers.find(
    (candidate) => candidate.name === appOf(deployment),
  );
  if (!container) throw new Error(`${deployment.metadata?.name ?? ''} has no container named after its app`);
  return container;
}

function deploymentOf(manifests: readonly Manifest[], app: string): IDeployment {
  const deployment = ofKind(manifests, 'Deployment').find(
    (candidate) => candidate.metadata?.name === `vstack-${app}`,
  );
  if (!deployment) throw new Error(`no Deployment vstack-${app}`);
  return deployment;
}

/** Every pod template of the build: Deployments' and Jobs'. */
function podTemplates(manifests: readonly Manifest[]) {
  return [...ofKind(manifests, 'Deployment'), ...ofKind(manifests, 'Job')].map((workload) => ({
    name: `${workload.kind} ${workload.metadata?.name ?? ''}`,
    spec: workload.spec?.template.spec ?? { containers: [] },
  }));
}

/** The pods that read a Secret, by the name it was given (generated Secrets carry a hash). */
function readersOf(manifests: readonly Manifest[], secret = 'vstack-hotkey'): string[] {
  return podTemplates(manifests)
    .filter(({ spec }) => [...secretsReadBy(spec)].some((name) => generatedBaseName(name) === secret))
    .map(({ name }) => name)
    .sort();
}

/** Where a service's pod mounts a hotkey Secret: the volume, its mount, and the path of the hotkey file. */
function hotkeyMount(manifests: readonly Manifest[], app: string, secret = 'vstack-hotkey') {
  const deployment = deploymentOf(manifests, app);
  const volume = deployment.spec?.template.spec?.volumes?.find(
    (candidate) => generatedBaseName(candidate.secret?.secretName ?? '') === secret,
  );
  const mount = mainContainer(deployment).volumeMounts?.find((candidate) => candidate.name === volume?.name);
  const file = volume?.secret?.items?.find((item) => item.key === 'hotkey')?.path;
  return { volume, mount, path: `${mount?.mountPath ?? ''}/${file ?? ''}` };
}

/** Secrets, and keys of Secrets, that pods read but deploy/k8s/README.md does not name for the operator. */
function secretsMissingFromReadme(manifests: readonly Manifest[]): string[] {
  const readme = readFileSync(join(k8sDir, 'README.md'), 'utf8');
  const names = podTemplates(manifests).flatMap(({ spec }) => [
    ...secretsReadBy(spec),
    ...spec.containers.flatMap((container) =>
      (container.env ?? []).flatMap((variable) => variable.valueFrom?.secretKeyRef?.key ?? []),
    ),
  ]);
  return [...new Set(names)].filter((name) => !readme.includes(`\`${name}\``));
}

/** Images that are not vstack's, tagged with the project version. */
function unreleasedImages(manifests: readonly Manifest[]): string[] {
  return podTemplates(manifests)
    .flatMap(({ spec }) => spec.containers.map((container) => container.image ?? ''))
    .filter((image) => !new RegExp(`^vstack/[a-z-]+:${version.replaceAll('.', '\\.')}$`).test(image));
}

describe('schemaErrors', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 80 }] }] },
      },
    },
  };

  it('accepts a valid Deployment', () => {
    expect(schemaErrors(deployment)).toEqual([]);
  });

  it('rejects a port that is not a number, a Deployment without a selector and a probe without a port', () => {
    const badPort = structuredClone(deployment);
    (badPort.spec.template.spec.containers[0] as Record<string, unknown>).ports = [{ containerPort: 'http' }];
    expect(schemaErrors(badPort)).toEqual([
      '/spec/template/spec/containers/0/ports/0/containerPort must be integer',
    ]);

    const noSelector: Record<string, unknown> = structuredClone(deployment);
    delete (noSelector.spec as Record<string, unknown>).selector;
    expect(schemaErrors(noSelector)).toEqual(['/spec must have required property selector']);

    const badProbe = structuredClone(deployment);
    (badProbe.spec.template.spec.containers[0] as Record<string, unknown>).readinessProbe = {
      httpGet: { path: '/health/ready' },
    };
    expect(schemaErrors(badProbe)).toEqual([
      '/spec/template/spec/containers/0/readinessProbe/httpGet must have required property port',
    ]);
  });

  it('rejects a value outside an enum, a nameless resource and a kind it has no schema for', () => {
    expect(
      schemaErrors({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { type: 'Public', ports: [{ port: 80 }] },
      }),
    ).toEqual(['/spec/type must be equal to one of the allowed values']);
    expect(schemaErrors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} })).toEqual([
      '/metadata/name is required',
    ]);
    expect(schemaErrors({ apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'x' } })).toEqual(
      ['/ apps/v1beta1 Deployment has no schema to check it against'],
    );
    expect(schemaErrors({ kind: 'Pod' })).toEqual(['/ must have apiVersion and kind']);
  });
});

describe('parseManifests', () => {
  it('reads a YAML stream and refuses a document that is not a resource', () => {
    expect(parseManifests('---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n')).toHaveLength(
      1,
    );
    expect(() => parseManifests('apiVersion: v1\nkind: Namespace\n---\nname: x\n')).toThrow(
      'document 2 has no apiVersion and kind',
    );
    expect(() => parseManifests('kind: [\n')).toThrow('document 1');
  });
});

describe('kustomizeBuild', () => {
  it("fails with kustomize's message on a broken kustomization", () => {
    const directory = scratchDirectory('k8s-broken-');
    try {
      writeFileSync(join(directory, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
      expect(() => kustomizeBuild(directory)).toThrow(/kustomize build .* failed: .*missing\.yaml/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe.each(overlays)('overlays/%s', (overlay) => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = build(overlay);
  });

  it('builds, and every resource is valid against the Kubernetes API schemas', () => {
    expect(manifests.length).toBeGreaterThan(0);
    const errors = manifests.flatMap((manifest) =>
      schemaErrors(manifest).map((error) => `${manifest.kind} ${manifest.metadata?.name ?? ''}: ${error}`),
    );
    expect(errors).toEqual([]);
  });

  it('puts every resource in its namespace, which the overlay creates with the restricted Pod Security level', () => {
    const [namespace, ...others] = ofKind(manifests, 'Namespace');
    expect(others).toEqual([]);
    expect(namespace?.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const manifest of manifests.filter((candidate) => candidate.kind !== 'Namespace')) {
      expect(manifest.metadata?.namespace, `${manifest.kind} ${manifest.metadata?.name ?? ''}`).toBe(
        namespace?.metadata?.name,
      );
    }
  });

  it('gives each service only variables of its config schema, and HOST and PORT matching its container port', () => {
    for (const deployment of vstackDeployments(manifests)) {
      const app = appOf(deployment);
      const container = mainContainer(deployment);
      const { variables, problems } = containerEnvironment(container, manifests);
      expect(problems, app).toEqual([]);
      expect(variablesOutsideSchema(app, variables.keys()), app).toEqual([]);
      expect(variables.get('HOST')?.value, app).toBe('0.0.0.0');
      expect(
        container.ports?.map((port) => port.containerPort),
        app,
      ).toEqual([Number(variables.get('PORT')?.value)]);
      for (const name of ['REDIS_URL', 'DATABASE_URL'])
        if (readsVariable(app, name)) expect(variables.get(name)?.secret, `${app} ${name}`).toBeDefined();
    }
  });

  it('asks every service its health endpoints on its own port', () => {
    for (const deployment of vstackDeployments(manifests)) {
      expect(healthProbeProblems(mainContainer(deployment)), appOf(deployment)).toEqual([]);
    }
  });

  it('runs every container as a non-root user, without privileges, on a read-only root, with requests and limits', () => {
    for (const { name, spec } of podTemplates(manifests)) {
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(hardeningProblems(spec, container), `${name} ${container.name}`).toEqual([]);
      }
      expect(spec.automountServiceAccountToken, name).toBe(false);
    }
    for (const deployment of vstackDeployments(manifests)) {
      expect(deployment.spec?.template.spec?.securityContext?.runAsUser, appOf(deployment)).toBe(1000);
    }
  });

  it("selects one Deployment's pods with each Service, on a port they declare, and budgets each service's disruptions", () => {
    expect(serviceProblems(manifests)).toEqual([]);
    expect(disruptionBudgetProblems(manifests, vstackDeployments(manifests))).toEqual([]);
  });

  it('scales only Deployments of the build that leave replicas to the autoscaler', () => {
    expect(autoscalerProblems(manifests)).toEqual([]);
  });
});

describe.each(validatorOverlays)('overlays/%s: the validator stack', (overlay) => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = build(overlay);
  });

  it('runs every core service, with a Service and a PodDisruptionBudget, and the migrations Job', () => {
    for (const app of coreApps) {
      const deployment = deploymentOf(manifests, app);
      expect(mainContainer(deployment).image).toMatch(new RegExp(`^vstack/${app}:`));
    }
    expect(ofKind(manifests, 'Job').map((job) => job.metadata?.name)).toEqual(['vstack-migrations']);
  });

  it('mounts the hotkey read-only into the sidecar and the validator, and nowhere else', () => {
    expect(readersOf(manifests)).toEqual(hotkeyReaders.map((app) => `Deployment vstack-${app}`));
    for (const app of hotkeyReaders) {
      const { volume, mount } = hotkeyMount(manifests, app);
      expect(mount?.readOnly, app).toBe(true);
      expect(volume?.secret?.defaultMode, app).toBe(0o440);
    }
  });

  it('points the sidecar identities and the validator at the wallet where the hotkey is mounted', () => {
    const mountPath = (app: string) => hotkeyMount(manifests, app).path;
    const validator = containerEnvironment(
      mainContainer(deploymentOf(manifests, 'validator')),
      manifests,
    ).variables;
    const wallet = (name: string) => validator.get(name)?.value ?? '';
    expect(mountPath('validator')).toBe(
      `${wallet('VALIDATOR_WALLET_PATH')}/${wallet('VALIDATOR_WALLET_NAME')}/hotkeys/${wallet('VALIDATOR_WALLET_HOTKEY')}`,
    );
    expect(validator.has('VALIDATOR_HOTKEY')).toBe(false);
    const sidecar = containerEnvironment(
      mainContainer(deploymentOf(manifests, 'sidecar')),
      manifests,
    ).variables;
    expect(sidecar.get('SIDECAR_WALLET_PATH')?.value).toBe(wallet('VALIDATOR_WALLET_PATH'));
    expect(mountPath('sidecar')).toBe(mountPath('validator'));
  });

  it('migrates every Postgres service with variables each of them accepts, from the Secrets the services read', () => {
    const [job] = ofKind(manifests, 'Job');
    const container = job?.spec?.template.spec?.containers[0];
    expect(container?.image).toMatch(/^vstack\/migrations:/);
    expect(job?.spec?.template.spec?.restartPolicy).not.toBe('Always');
    const { variables, problems } = containerEnvironment(container ?? { name: '' }, manifests);
    expect(problems).toEqual([]);
    expect(postgresApps.length).toBeGreaterThan(0);
    for (const app of postgresApps) {
      expect(variablesOutsideSchema(app, variables.keys()), app).toEqual([]);
      const service = containerEnvironment(mainContainer(deploymentOf(manifests, app)), manifests).variables;
      expect(variables.get('DATABASE_URL')?.secret, app).toBe(service.get('DATABASE_URL')?.secret);
    }
  });

  it('runs managing as one replica, replaced rather than rolled, since every replica answers miners.select', () => {
    const managing = deploymentOf(manifests, 'managing');
    expect(managing.spec?.replicas).toBe(1);
    expect(managing.spec?.strategy?.type).toBe('Recreate');
  });
});

describe('overlays/local', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = build('local');
  });

  function environment(deployment: IDeployment): Record<string, string> {
    const { variables } = containerEnvironment(mainContainer(deployment), manifests);
    return Object.fromEntries([...variables].map(([name, source]) => [name, source.value ?? '']));
  }

  it('holds every ConfigMap and Secret its pods read', () => {
    for (const { name, spec } of podTemplates(manifests)) {
      for (const secret of secretsReadBy(spec))
        expect(findResource(manifests, 'Secret', secret), `${name} ${secret}`).toBeDefined();
      for (const container of spec.containers)
        expect(containerEnvironment(container, manifests).problems, name).toEqual([]);
    }
  });

  it('starts every service: its whole environment passes its config schema', () => {
    for (const deployment of vstackDeployments(manifests)) {
      const app = appOf(deployment);
      expect(() => parseConfig(app, appConfigSchemas[app], environment(deployment)), app).not.toThrow();
    }
  });

  it('runs the devnet, Redis and PostgreSQL, and points the services at them', () => {
    const names = new Set(ofKind(manifests, 'Service').map((service) => service.metadata?.name));
    const devnetPort = deploymentOf(manifests, 'devnet').spec?.template.spec?.containers[0]?.ports?.[0]
      ?.containerPort;
    const sidecar = environment(deploymentOf(manifests, 'sidecar'));
    expect(sidecar.SUBTENSOR_URL).toBe(`ws://vstack-devnet:${String(devnetPort)}`);
    expect(names).toContain('vstack-devnet');
    for (const app of coreApps) {
      const variables = environment(deploymentOf(manifests, app));
      if (readsVariable(app, 'REDIS_URL'))
        expect(new URL(variables.REDIS_URL ?? '').host, app).toBe('redis:6379');
      if (readsVariable(app, 'DATABASE_URL'))
        expect(new URL(variables.DATABASE_URL ?? '').host, app).toBe('postgres:5432');
    }
    expect(names).toContain('redis');
    expect(names).toContain('postgres');
  });

  it("signs as the devnet's validator //Alice, the address managing hands out quotas for", () => {
    const hotkey = resourceData(findGenerated(manifests, 'Secret', 'vstack-hotkey'))?.hotkey ?? '{}';
    const file = JSON.parse(hotkey) as { secretPhrase?: string; ss58Address?: string };
    expect(file.secretPhrase).toBe('//Alice');
    expect(environment(deploymentOf(manifests, 'managing')).VALIDATOR_HOTKEY_ADDRESS).toBe(file.ss58Address);
  });

  it('runs one replica of each, from images tagged local, with no autoscaler', () => {
    for (const deployment of ofKind(manifests, 'Deployment')) {
      expect(deployment.spec?.replicas, deployment.metadata?.name).toBe(1);
    }
    for (const { name, spec } of podTemplates(manifests)) {
      for (const container of spec.containers.filter((candidate) => candidate.image?.startsWith('vstack/')))
        expect(container.image, name).toMatch(/^vstack\/[a-z-]+:local$/);
    }
    expect(ofKind(manifests, 'HorizontalPodAutoscaler')).toEqual([]);
  });
});

describe('overlays/production', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = build('production');
  });

  it('autoscales the gateway, the validator and scoring', () => {
    const targets = ofKind(manifests, 'HorizontalPodAutoscaler').map(
      (autoscaler) => autoscaler.spec.scaleTargetRef.name,
    );
    expect(targets.sort()).toEqual(['vstack-gateway', 'vstack-scoring', 'vstack-validator']);
    for (const autoscaler of ofKind(manifests, 'HorizontalPodAutoscaler'))
      expect(autoscaler.spec.minReplicas, autoscaler.metadata?.name).toBeGreaterThanOrEqual(2);
  });

  it('runs released images, tagged with the project version', () => {
    expect(unreleasedImages(manifests)).toEqual([]);
  });

  it('has every vstack pod scraped by Prometheus on /metrics', () => {
    for (const deployment of vstackDeployments(manifests)) {
      const annotations = deployment.spec?.template.metadata?.annotations ?? {};
      expect(annotations['prometheus.io/scrape'], appOf(deployment)).toBe('true');
      expect(annotations['prometheus.io/path'], appOf(deployment)).toBe('/metrics');
    }
  });

  it('leaves Redis, PostgreSQL, the chain and the Secrets to the operator, and the README names each Secret and key', () => {
    expect(ofKind(manifests, 'Secret')).toEqual([]);
    expect(
      ofKind(manifests, 'Deployment')
        .map((deployment) => appOf(deployment))
        .sort(),
    ).toEqual([...coreApps].sort());
    expect(secretsMissingFromReadme(manifests)).toEqual([]);
  });

  it('refuses to start managing until the operator sets the validator hotkey address, and nothing else is missing', () => {
    for (const deployment of vstackDeployments(manifests)) {
      const app = appOf(deployment);
      const { variables } = containerEnvironment(mainContainer(deployment), manifests);
      // The operator's Secrets, with values of the right shape.
      const samples: Record<string, string> = {
        REDIS_URL: 'redis://redis.example:6379',
        DATABASE_URL: 'postgres://vstack:secret@postgres.example:5432/vstack',
        SIDECAR_IDENTITIES:
          '[{"name":"sn1","netuid":1,"token":"a-long-identity-token","wallet":"validator"}]',
      };
      const environment = Object.fromEntries(
        [...variables].map(([name, source]) => [
          name,
          source.value ?? (source.optional ? '' : (samples[name] ?? '')),
        ]),
      );
      const parse = () => parseConfig(app, appConfigSchemas[app], environment);
      if (app === 'managing') {
        expect(parse).toThrow(ConfigError);
        expect(parse).toThrow('VALIDATOR_HOTKEY_ADDRESS: is required');
      } else {
        expect(parse, app).not.toThrow();
      }
    }
  });

  it('adds a ServiceMonitor with components/service-monitor, on the port every vstack Service names http', () => {
    const directory = scratchDirectory('k8s-component-');
    try {
      const to = (path: string) => relative(directory, join(k8sDir, path));
      writeFileSync(
        join(directory, 'kustomization.yaml'),
        `resources:\n  - ${to('overlays/production')}\ncomponents:\n  - ${to('components/service-monitor')}\n`,
      );
      const withMonitor = parseManifests(kustomizeBuild(directory));
      const [monitor, ...others] = ofKind(withMonitor, 'ServiceMonitor') as unknown as {
        spec: {
          selector: { matchLabels: Record<string, string> };
          endpoints: {
            port: string;
            path: string;
            authorization: { credentials: { name: string; key: string } };
          }[];
        };
      }[];
      expect(others).toEqual([]);
      const endpoint = monitor?.spec.endpoints[0];
      expect(endpoint?.path).toBe('/metrics');
      expect(endpoint?.authorization.credentials).toEqual({ name: 'vstack-metrics', key: 'METRICS_TOKEN' });
      const services = ofKind(withMonitor, 'Service').filter((service) =>
        Object.entries(monitor?.spec.selector.matchLabels ?? {}).every(
          ([key, value]) => service.metadata?.labels?.[key] === value,
        ),
      );
      expect(services.map((service) => service.metadata?.name).sort()).toEqual(
        coreApps.map((app) => `vstack-${app}`).sort(),
      );
      for (const service of services)
        expect(
          service.spec?.ports?.map((port) => port.name),
          service.metadata?.name,
        ).toContain(endpoint?.port);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('overlays/miner', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = build('miner');
  });

  it('runs the miner proxy in front of the demo miner, and none of the validator stack', () => {
    expect(
      vstackDeployments(manifests)
        .map((deployment) => appOf(deployment))
        .sort(),
    ).toEqual(['demo-miner', 'miner-proxy']);
    const proxy = containerEnvironment(mainContainer(deploymentOf(manifests, 'miner-proxy')), manifests);
    const upstream = new URL(proxy.variables.get('INFERENCE_SERVER_URL')?.value ?? '');
    const demo = ofKind(manifests, 'Service').find((service) => service.metadata?.name === upstream.hostname);
    expect(demo?.spec?.ports?.map((port) => port.port)).toContain(Number(upstream.port));
    expect(serviceProblems(manifests)).toEqual([]);
    const published = ofKind(manifests, 'Service').find(
      (service) => service.metadata?.name === 'vstack-miner-proxy',
    );
    expect(published?.spec?.type).toBe('LoadBalancer');
  });

  it("mounts the miner's hotkey read-only into the proxy alone, where its wallet settings point", () => {
    expect(readersOf(manifests, 'vstack-miner-hotkey')).toEqual(['Deployment vstack-miner-proxy']);
    expect(readersOf(manifests)).toEqual([]);
    const { mount, path } = hotkeyMount(manifests, 'miner-proxy', 'vstack-miner-hotkey');
    expect(mount?.readOnly).toBe(true);
    const { variables } = containerEnvironment(
      mainContainer(deploymentOf(manifests, 'miner-proxy')),
      manifests,
    );
    const wallet = (name: string) => variables.get(name)?.value ?? '';
    expect(path).toBe(
      `${wallet('MINER_WALLET_PATH')}/${wallet('MINER_WALLET_NAME')}/hotkeys/${wallet('MINER_WALLET_HOTKEY')}`,
    );
    expect(variables.has('MINER_HOTKEY')).toBe(false);
  });

  it("starts both with the operator's Redis, from released images, and the README names each Secret and key", () => {
    for (const deployment of vstackDeployments(manifests)) {
      const app = appOf(deployment);
      const { variables } = containerEnvironment(mainContainer(deployment), manifests);
      const environment = Object.fromEntries(
        [...variables].map(([name, source]) => [
          name,
          source.value ?? (name === 'REDIS_URL' ? 'redis://redis.example:6379' : ''),
        ]),
      );
      expect(() => parseConfig(app, appConfigSchemas[app], environment), app).not.toThrow();
    }
    expect(ofKind(manifests, 'Secret')).toEqual([]);
    expect(unreleasedImages(manifests)).toEqual([]);
    expect(secretsMissingFromReadme(manifests)).toEqual([]);
  });
});

describe('the checks catch broken manifests', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = build('production');
  });

  it('finds a variable outside the schema, a missing ConfigMap and a missing Secret key', () => {
    const broken = structuredClone(manifests);
    const container = mainContainer(deploymentOf(broken, 'gateway'));
    container.env = [...(container.env ?? []), { name: 'GATEWAY_ADMIN_TOKN', value: 'x' }];
    container.envFrom = [...(container.envFrom ?? []), { configMapRef: { name: 'vstack-gone' } }];
    const { variables, problems } = containerEnvironment(container, broken);
    expect(variablesOutsideSchema('gateway', variables.keys())).toEqual(['GATEWAY_ADMIN_TOKN']);
    expect(problems).toEqual(['envFrom ConfigMap vstack-gone is not in the build']);
    const secrets: Manifest[] = [
      ...broken,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vstack-redis' }, data: { URL: 'eA==' } },
    ];
    expect(containerEnvironment(container, secrets).problems).toContain(
      'REDIS_URL: Secret vstack-redis has no key REDIS_URL',
    );
  });

  it('finds a probe on the wrong path or port, and a container that runs as root with a writable root', () => {
    const container = structuredClone(mainContainer(deploymentOf(manifests, 'scoring')));
    if (container.readinessProbe?.httpGet) container.readinessProbe.httpGet.path = '/health/live';
    if (container.livenessProbe?.httpGet) container.livenessProbe.httpGet.port = 8080;
    expect(healthProbeProblems(container)).toEqual([
      'readiness probe asks /health/live instead of /health/ready',
      'liveness probe asks port 8080, which the container does not declare',
    ]);
    delete container.readinessProbe;
    expect(healthProbeProblems(container)).toContain('readiness probe is missing');

    const spec = structuredClone(
      deploymentOf(manifests, 'scoring').spec?.template.spec ?? { containers: [] },
    );
    spec.securityContext = { ...spec.securityContext, runAsUser: 0, runAsNonRoot: false };
    container.securityContext = {
      ...container.securityContext,
      runAsNonRoot: undefined,
      readOnlyRootFilesystem: false,
      capabilities: {},
    };
    delete container.resources?.limits;
    expect(hardeningProblems(spec, container)).toEqual([
      'runAsNonRoot is not true',
      'runAsUser is not a non-root uid',
      'capabilities do not drop ALL',
      'the root filesystem is writable',
      'no cpu limits',
      'no memory limits',
    ]);
  });

  it('finds the hotkey mounted into another service', () => {
    const broken = structuredClone(manifests);
    const gateway = deploymentOf(broken, 'gateway').spec?.template.spec;
    gateway?.volumes?.push({ name: 'hotkey', secret: { secretName: 'vstack-hotkey' } });
    expect(readersOf(broken)).toEqual([
      'Deployment vstack-gateway',
      'Deployment vstack-sidecar',
      'Deployment vstack-validator',
    ]);
  });

  it('finds a Service that selects nothing, an autoscaler without a target and a Deployment without a budget', () => {
    const broken = structuredClone(manifests);
    const service = ofKind(broken, 'Service').find(
      (candidate) => candidate.metadata?.name === 'vstack-gateway',
    );
    if (service?.spec) service.spec.selector = { 'app.kubernetes.io/name': 'gatewa' };
    const autoscaler = ofKind(broken, 'HorizontalPodAutoscaler').find(
      (candidate) => candidate.metadata?.name === 'vstack-scoring',
    );
    if (autoscaler?.spec) autoscaler.spec.scaleTargetRef.name = 'vstack-scorer';
    const validator = deploymentOf(broken, 'validator');
    if (validator.spec) validator.spec.replicas = 3;
    const withoutBudget = broken.filter(
      (manifest) =>
        !(manifest.kind === 'PodDisruptionBudget' && manifest.metadata?.name === 'vstack-synthesizing'),
    );
    expect(serviceProblems(withoutBudget)).toEqual([
      'Service vstack-gateway selects the pods of 0 Deployments',
    ]);
    expect(autoscalerProblems(withoutBudget)).toEqual([
      'HorizontalPodAutoscaler vstack-scoring targets Deployment vstack-scorer, not a Deployment of the build',
      'HorizontalPodAutoscaler vstack-validator targets vstack-validator, which sets replicas',
    ]);
    expect(disruptionBudgetProblems(withoutBudget)).toEqual([
      'Deployment vstack-synthesizing has no PodDisruptionBudget',
    ]);
  });
});
