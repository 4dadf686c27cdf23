import { parse } from 'yaml';

export type ComposeScalar = string | number | boolean | null;
export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ComposeBuild {
  context?: string;
  dockerfile?: string;
  target?: string;
  args?: Record<string, ComposeScalar> | string[];
}

export interface ComposeService {
  image?: string;
  build?: string | ComposeBuild;
  command?: string | string[];
  environment?: Record<string, ComposeScalar> | string[];
  env_file?: unknown;
  depends_on?: string[] | Record<string, { condition: DependencyCondition }>;
  profiles?: string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  volumes?: unknown[];
  ports?: unknown[];
  secrets?: (string | { source: string; target?: string; mode?: number | string })[];
}

/** A top-level secret: a file, or (Compose 2.6+) the value of an environment variable. */
export interface ComposeSecret {
  file?: string;
  environment?: string;
  external?: boolean;
}

/** The parts of a compose file the workspace checks read; the JSON schema checks the rest. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, ComposeSecret>;
}

/** Parses compose YAML the way Compose does, merge keys (`<<: *anchor`) included. */
export function parseComposeYaml(text: string): unknown {
  return parse(text, { merge: true }) as unknown;
}

/** A `list_or_dict` value (environment, build args) as a map of strings; list entries are `KEY=value`. */
export function listOrDictToMap(
  value: Record<string, ComposeScalar> | string[] | undefined,
): Record<string, string> {
  if (value === undefined) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry) => {
        const separator = entry.indexOf('=');
        return separator === -1 ? [entry, ''] : [entry.slice(0, separator), entry.slice(separator + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, scalar]) => [key, scalar === null ? '' : String(scalar)]),
  );
}

/** A service's dependencies with their conditions; the list form means `service_started`. */
export function dependenciesOf(service: ComposeService): Record<string, DependencyCondition> {
  const dependsOn = service.depends_on;
  if (dependsOn === undefined) return {};
  if (Array.isArray(dependsOn))
    return Object.fromEntries(dependsOn.map((name) => [name, 'service_started' as const]));
  return Object.fromEntries(Object.entries(dependsOn).map(([name, { condition }]) => [name, condition]));
}

/** A service's build section in its long form, or undefined for image-only services. */
export function buildOf(service: ComposeService): ComposeBuild | undefined {
  if (service.build === undefined) return undefined;
  return typeof service.build === 'string' ? { context: service.build } : service.build;
}

const interpolation = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Interpolates a compose value as Compose would with none of its variables set: `${NAME:-default}` and
 * `${NAME-default}` become the default and `$$` a literal `$`. A reference without a default throws, since
 * the stack must come up without a .env file.
 */
export function interpolateDefaults(value: string): string {
  return value.replace(
    interpolation,
    (
      match,
      braced: string | undefined,
      operator: string | undefined,
      operand: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      if (operator === '-' || operator === ':-') return operand ?? '';
      throw new Error(`\${${name}} has no default in "${value}"`);
    },
  );
}

/** A volume in the short syntax `source:target[:mode]`. */
export interface VolumeMount {
  source: string;
  target: string;
  readOnly: boolean;
  /** A path on the host (`./…`, `/…`, `~/…` or a variable), not a named volume. */
  bind: boolean;
}

/** A service's volumes in the short syntax; the long syntax is not used in this repository. */
export function volumeMounts(service: ComposeService): VolumeMount[] {
  return (service.volumes ?? []).map((entry) => {
    if (typeof entry !== 'string') throw new Error(`long-syntax volume ${JSON.stringify(entry)}`);
    // The source may hold `${NAME:-default}`, whose colon is not a separator.
    const match = /^((?:\$\{[^}]*\}|[^:])+):([^:]+)(?::(ro|rw))?$/.exec(entry);
    if (!match) throw new Error(`unreadable volume "${entry}"`);
    const source = match[1] ?? '';
    return {
      source,
      target: match[2] ?? '',
      readOnly: match[3] === 'ro',
      bind: /^[./~$]/.test(source),
    };
  });
}

/** Where a service's secret lands in its container: `/run/secrets/<target or name>`. */
export function secretPaths(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    (service.secrets ?? []).map((secret) => {
      const { source, target } = typeof secret === 'string' ? { source: secret, target: undefined } : secret;
      const path = target?.startsWith('/') ? target : `/run/secrets/${target ?? source}`;
      return [source, path];
    }),
  );
}
