import type { z } from 'zod';
import { appConfigSchemas, appNames } from './apps';
import type { VariableMeta } from './variables';

/** One documented variable of one app. */
export interface VariableDoc {
  name: string;
  description: string;
  defaultValue: string | undefined;
  required: boolean;
  sensitive: boolean;
  example: string | undefined;
}

/** The variables an app reads, with their descriptions and defaults, in schema order. */
export function describeSchema(schema: z.ZodObject): VariableDoc[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const variable = field as z.ZodType;
    const meta = (variable.meta() ?? {}) as Partial<VariableMeta>;
    const acceptsUnset = variable.safeParse(undefined).success;
    const def = (variable as unknown as { def: { type: string; defaultValue?: unknown } }).def;
    const defaultValue =
      def.type === 'prefault' && typeof def.defaultValue === 'string' ? def.defaultValue : undefined;
    return {
      name,
      description: meta.description ?? '',
      defaultValue,
      required: !acceptsUnset,
      sensitive: meta.sensitive ?? false,
      example: meta.example,
    };
  });
}

function docLines(doc: VariableDoc, commentedOut: boolean): string[] {
  const flags = `${doc.sensitive ? ' (secret)' : ''}${doc.required ? ' (required)' : ''}`;
  const value = doc.defaultValue ?? doc.example ?? '';
  const assignment = `${doc.name}=${value}`;
  return [
    `# ${doc.description}${flags}`,
    commentedOut || doc.defaultValue === undefined ? `# ${assignment}` : assignment,
  ];
}

/**
 * The text of .env.example: variables that mean the same in every app once, then each app's own, with
 * per-app defaults (such as PORT) as comments since one .env serves every service.
 */
export function renderEnvExample(): string {
  const perApp = appNames.map((app) => ({ app, docs: describeSchema(appConfigSchemas[app]) }));
  const defaultsByName = new Map<string, Set<string | undefined>>();
  for (const { docs } of perApp) {
    for (const doc of docs) {
      const defaults = defaultsByName.get(doc.name) ?? new Set();
      defaults.add(doc.defaultValue);
      defaultsByName.set(doc.name, defaults);
    }
  }
  const isShared = (name: string) => defaultsByName.get(name)?.size === 1;
  const lines = [
    '# vstack environment: every variable of every app, with its default. Copy to .env and edit.',
    '# Generated from libs/config: after changing a schema run `UPDATE_ENV_EXAMPLE=1 npx nx test workspace`.',
    '# Variables marked (secret) are never logged.',
    '',
    '# ---- shared ----',
  ];
  const listed = new Set<string>();
  for (const { docs } of perApp) {
    for (const doc of docs) {
      if (isShared(doc.name) && !listed.has(doc.name)) {
        listed.add(doc.name);
        lines.push(...docLines(doc, false));
      }
    }
  }
  for (const { app, docs } of perApp) {
    const own = docs.filter((doc) => !isShared(doc.name));
    if (own.length === 0) continue;
    lines.push('', `# ---- ${app} ----`);
    for (const doc of own) lines.push(...docLines(doc, defaultsByName.get(doc.name)?.size !== 1));
  }
  lines.push('');
  return lines.join('\n');
}
