import {
  API_PREFIX,
  apiErrorSchema,
  blockSchema,
  CACHE_AGE_HEADER,
  identitiesResponseSchema,
  MAX_TIMEOUT_MS,
  neuronsResponseSchema,
  putWeightsRequestSchema,
  putWeightsResponseSchema,
  SidecarApiErrorCode,
  TIMEOUT_HEADER,
  validatorsResponseSchema,
  WARNING_HEADER,
  weightsHistoryResponseSchema,
} from '@vstack/sidecar-client';
import { z } from 'zod';

/** One route of the REST API as the OpenAPI document describes it. */
export interface RouteDoc {
  method: 'get' | 'put';
  /** OpenAPI path template, without the API prefix: `/subnet/{netuid}/block/{block}/neurons`. */
  path: string;
  summary: string;
  description: string;
  /** `read`: the open-access token or any identity's; `identity`: the named identity's token. */
  access: 'read' | 'identity';
  /** Path parameters, in order. */
  params: ('netuid' | 'block' | 'name')[];
  request?: string;
  /** Name of the success schema in components. */
  response: string;
  /** True when the answer carries the cache-age (and, past the soft limit, warning) headers. */
  aged: boolean;
  errors: SidecarApiErrorCode[];
}

/** The schemas of the contract (libs/sidecar-client), by component name. */
const schemas: Record<string, z.ZodType> = {
  Block: blockSchema,
  NeuronsResponse: neuronsResponseSchema,
  ValidatorsResponse: validatorsResponseSchema,
  IdentitiesResponse: identitiesResponseSchema,
  PutWeightsRequest: putWeightsRequestSchema,
  PutWeightsResponse: putWeightsResponseSchema,
  WeightsHistoryResponse: weightsHistoryResponseSchema,
  ApiError: apiErrorSchema,
};

const auth = [SidecarApiErrorCode.Unauthorized, SidecarApiErrorCode.Forbidden];
const reads = [
  ...auth,
  SidecarApiErrorCode.InvalidRequest,
  SidecarApiErrorCode.InvalidTimeout,
  SidecarApiErrorCode.SubnetNotFound,
  SidecarApiErrorCode.BlockNotFound,
  SidecarApiErrorCode.CacheStale,
  SidecarApiErrorCode.ChainUnavailable,
  SidecarApiErrorCode.Timeout,
];
const blockChoice =
  '`latest`: the chain head; `recent`: the newest cached block, without a chain call; a number: that block ' +
  '(older than SIDECAR_ARCHIVE_CUTOFF_BLOCKS, or pruned on the main node: read from the archive node).';
const agedNote =
  '`latest` and `recent` carry `x-cache-age-blocks`; past SIDECAR_STALE_SOFT_BLOCKS a `warning` header, past ' +
  'SIDECAR_STALE_HARD_BLOCKS 503 `cache_stale`.';

/** The read routes. */
export const readRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/block/latest',
    summary: 'The latest block',
    description: 'The chain head as the sidecar last saw it. ' + agedNote,
    access: 'read',
    params: [],
    response: 'Block',
    aged: true,
    errors: [
      ...auth,
      SidecarApiErrorCode.InvalidTimeout,
      SidecarApiErrorCode.CacheStale,
      SidecarApiErrorCode.ChainUnavailable,
    ],
  },
  {
    method: 'get',
    path: '/subnet/{netuid}/block/{block}/neurons',
    summary: "A subnet's neurons at a block",
    description: 'Every neuron by hotkey; stake and emission in TAO, `stake_rao` exact. ' + agedNote,
    access: 'read',
    params: ['netuid', 'block'],
    response: 'NeuronsResponse',
    aged: true,
    errors: reads,
  },
  {
    method: 'get',
    path: '/subnet/{netuid}/block/{block}/validators',
    summary: "A subnet's validators at a block",
    description: 'Validator permit holders, largest stake first. ' + agedNote,
    access: 'read',
    params: ['netuid', 'block'],
    response: 'ValidatorsResponse',
    aged: true,
    errors: reads,
  },
  {
    method: 'get',
    path: '/identity/{name}/subnet/{netuid}/block/{block}/neurons',
    summary: "A subnet's neurons at a block, for an identity",
    description: "As `/subnet/{netuid}/block/{block}/neurons`, with the identity's token.",
    access: 'identity',
    params: ['name', 'netuid', 'block'],
    response: 'NeuronsResponse',
    aged: true,
    errors: [...reads, SidecarApiErrorCode.IdentityNotFound],
  },
  {
    method: 'get',
    path: '/identity/{name}/subnet/{netuid}/block/{block}/validators',
    summary: "A subnet's validators at a block, for an identity",
    description: "As `/subnet/{netuid}/block/{block}/validators`, with the identity's token.",
    access: 'identity',
    params: ['name', 'netuid', 'block'],
    response: 'ValidatorsResponse',
    aged: true,
    errors: [...reads, SidecarApiErrorCode.IdentityNotFound],
  },
  {
    method: 'get',
    path: '/identities',
    summary: 'The identities',
    description:
      'The validator identities the sidecar acts for: name, subnet and hotkey (never their tokens).',
    access: 'read',
    params: [],
    response: 'IdentitiesResponse',
    aged: false,
    errors: [...auth, SidecarApiErrorCode.InvalidTimeout],
  },
];

/** The weights routes of the contract. */
export const weightsRouteDocs: RouteDoc[] = [
  {
    method: 'put',
    path: '/identity/{name}/subnet/{netuid}/weights',
    summary: 'Schedule weights',
    description:
      'Weights by hotkey for the current epoch; the sidecar puts them on chain (set, or commit then reveal) with retries.',
    access: 'identity',
    params: ['name', 'netuid'],
    request: 'PutWeightsRequest',
    response: 'PutWeightsResponse',
    aged: false,
    errors: [
      ...auth,
      SidecarApiErrorCode.IdentityNotFound,
      SidecarApiErrorCode.InvalidRequest,
      SidecarApiErrorCode.InvalidWeights,
      SidecarApiErrorCode.InvalidTimeout,
      SidecarApiErrorCode.SubnetNotFound,
      SidecarApiErrorCode.ChainUnavailable,
      SidecarApiErrorCode.Timeout,
    ],
  },
  {
    method: 'get',
    path: '/identity/{name}/subnet/{netuid}/weights/history',
    summary: 'Weights history',
    description: "The identity's weights jobs on the subnet, newest first.",
    access: 'identity',
    params: ['name', 'netuid'],
    response: 'WeightsHistoryResponse',
    aged: false,
    errors: [
      ...auth,
      SidecarApiErrorCode.IdentityNotFound,
      SidecarApiErrorCode.InvalidRequest,
      SidecarApiErrorCode.InvalidTimeout,
    ],
  },
];

const statusOf: Record<SidecarApiErrorCode, number> = {
  [SidecarApiErrorCode.Unauthorized]: 401,
  [SidecarApiErrorCode.Forbidden]: 403,
  [SidecarApiErrorCode.IdentityNotFound]: 404,
  [SidecarApiErrorCode.SubnetNotFound]: 404,
  [SidecarApiErrorCode.BlockNotFound]: 404,
  [SidecarApiErrorCode.InvalidRequest]: 400,
  [SidecarApiErrorCode.InvalidWeights]: 400,
  [SidecarApiErrorCode.InvalidTimeout]: 400,
  [SidecarApiErrorCode.CacheStale]: 503,
  [SidecarApiErrorCode.ChainUnavailable]: 503,
  [SidecarApiErrorCode.Timeout]: 504,
};

const parameters = {
  netuid: {
    name: 'netuid',
    in: 'path',
    required: true,
    schema: { type: 'integer', minimum: 0, maximum: 65_535 },
    description: 'Subnet id.',
  },
  block: {
    name: 'block',
    in: 'path',
    required: true,
    schema: {
      oneOf: [
        { type: 'string', enum: ['latest', 'recent'] },
        { type: 'integer', minimum: 0 },
      ],
    },
    description: blockChoice,
  },
  name: {
    name: 'name',
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    description: 'Identity name (SIDECAR_IDENTITIES).',
  },
  timeout: {
    name: TIMEOUT_HEADER,
    in: 'header',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MS },
    description: `Answer within this many ms or 504 \`timeout\` (default SIDECAR_REQUEST_TIMEOUT_MS; at most ${MAX_TIMEOUT_MS}).`,
  },
} as const;

function componentSchema(schema: z.ZodType): Record<string, unknown> {
  const json: Record<string, unknown> = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  // The document's dialect is OpenAPI 3.1's; each component does not name its own.
  delete json['$schema'];
  return json;
}

function operation(route: RouteDoc): Record<string, unknown> {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const responses: Record<string, unknown> = {
    '200': {
      description: route.summary,
      ...(route.aged
        ? {
            headers: {
              [CACHE_AGE_HEADER]: {
                description: 'Blocks the answer trails the chain head by.',
                schema: { type: 'integer', minimum: 0 },
              },
              [WARNING_HEADER]: {
                description: 'Set past the soft staleness limit (`110 - "..."`).',
                schema: { type: 'string' },
              },
            },
          }
        : {}),
      content: { 'application/json': { schema: ref(route.response) } },
    },
  };
  const byStatus = new Map<number, SidecarApiErrorCode[]>();
  for (const code of route.errors)
    byStatus.set(statusOf[code], [...(byStatus.get(statusOf[code]) ?? []), code]);
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: codes.map((code) => `\`${code}\``).join(', '),
      content: { 'application/json': { schema: ref('ApiError') } },
    };
  }
  return {
    summary: route.summary,
    description: `${route.description}\n\nAccess: ${
      route.access === 'read' ? "the open-access token or any identity's token" : "the identity's own token"
    }.`,
    operationId: `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    security: [{ bearer: [] }],
    parameters: [...route.params.map((name) => parameters[name]), parameters.timeout],
    ...(route.request
      ? { requestBody: { required: true, content: { 'application/json': { schema: ref(route.request) } } } }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the sidecar's REST API, built from the contract's zod schemas. */
export function openApiDocument(
  routes: readonly RouteDoc[] = [...readRouteDocs, ...weightsRouteDocs],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `${API_PREFIX}${route.path}`;
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'vstack sidecar',
      version: '1',
      description:
        'Cached subtensor reads (metagraph per block, validators, head) and weight setting for validator identities. ' +
        'Paths and shapes follow Pylon.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: Object.fromEntries(
        Object.entries(schemas).map(([name, schema]) => [name, componentSchema(schema)]),
      ),
    },
  };
}
