import type { z } from 'zod';
import type { ReferenceModel } from './chat';
import { ProtocolError, ProtocolErrorCode } from './errors';
import type { RandomSource } from './random';

/** What a reference answer may need beyond the request: the operator's reference model. */
export interface ReferenceContext {
  readonly referenceModel: ReferenceModel;
}

/**
 * A task type as data plus functions. The name is stored data (queues, records, dashboards): never rename one.
 * Functions are pure except `reference`, whose I/O (if any) goes through the injected context.
 */
export interface TaskType<Req, Res, Name extends string = string> {
  readonly name: Name;
  readonly description: string;
  readonly requestSchema: z.ZodType<Req>;
  readonly responseSchema: z.ZodType<Res>;
  /** How long a miner has to answer, in ms. */
  readonly timeoutMs: number;
  /** Latency at or below which an answer counts as fully fast, in ms (the speed score's floor). */
  readonly latencyFloorMs: number;
  /** What an organic request of this type costs an application, in credits. */
  readonly priceCredits: number;
  /** A synthetic challenge; the same random sequence gives the same challenge. */
  generate(random: RandomSource): Req;
  /** The validator's own answer to a request. */
  reference(request: Req, context: ReferenceContext): Promise<Res>;
  /** How well a response matches the reference answer, in [0, 1]. */
  accuracy(response: Res, reference: Res, request: Req): number;
}

/** Any task type, with request and response types erased; use the helpers below to call it safely. */
export type AnyTaskType = TaskType<unknown, unknown>;

/** The request type of a task type (a union for a union of task types). */
export type RequestOf<T> = T extends TaskType<infer Req, unknown> ? Req : never;

/** The response type of a task type (a union for a union of task types). */
export type ResponseOf<T> = T extends TaskType<unknown, infer Res> ? Res : never;

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`,
  );
}

/** A request checked against its task type's schema; throws ProtocolError `InvalidRequest` listing every issue. */
export function parseTaskRequest<T extends AnyTaskType>(taskType: T, input: unknown): RequestOf<T> {
  const parsed = taskType.requestSchema.safeParse(input);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new ProtocolError(
      ProtocolErrorCode.InvalidRequest,
      `invalid ${taskType.name} request: ${issues.join('; ')}`,
      { issues },
    );
  }
  return parsed.data as RequestOf<T>;
}

/** A response checked against its schema; an invalid one is the miner's fault, so it is returned, not thrown. */
export type ParsedTaskResponse<Res> = { valid: true; response: Res } | { valid: false; issues: string[] };

/** Checks a miner's response against the task type's response schema. */
export function parseTaskResponse<T extends AnyTaskType>(
  taskType: T,
  input: unknown,
): ParsedTaskResponse<ResponseOf<T>> {
  const parsed = taskType.responseSchema.safeParse(input);
  return parsed.success
    ? { valid: true, response: parsed.data as ResponseOf<T> }
    : { valid: false, issues: issuesOf(parsed.error) };
}

/** The reference answer to an unchecked request: validates it first (ProtocolError `InvalidRequest`). */
export async function computeReference<T extends AnyTaskType>(
  taskType: T,
  request: unknown,
  context: ReferenceContext,
): Promise<ResponseOf<T>> {
  return (await taskType.reference(parseTaskRequest(taskType, request), context)) as ResponseOf<T>;
}

/** The outcome of checking one miner response: invalid (schema) or an accuracy in [0, 1]. */
export type ResponseEvaluation = { valid: true; accuracy: number } | { valid: false; issues: string[] };

/**
 * Checks an unchecked response against a reference answer. The request and the reference are the validator's
 * own data, so a mismatch there throws (`InvalidRequest`, `InvalidReference`); a bad response is reported.
 */
export function evaluateResponse(
  taskType: AnyTaskType,
  input: { request: unknown; response: unknown; reference: unknown },
): ResponseEvaluation {
  const request = parseTaskRequest(taskType, input.request);
  const reference = taskType.responseSchema.safeParse(input.reference);
  if (!reference.success) {
    const issues = issuesOf(reference.error);
    throw new ProtocolError(
      ProtocolErrorCode.InvalidReference,
      `invalid ${taskType.name} reference answer: ${issues.join('; ')}`,
      { issues },
    );
  }
  const response = parseTaskResponse(taskType, input.response);
  if (!response.valid) return response;
  return { valid: true, accuracy: taskType.accuracy(response.response, reference.data, request) };
}
