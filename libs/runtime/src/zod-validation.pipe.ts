import { type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { RequestError, RequestErrorCode } from './errors';

/** One problem with a request field, as the client sees it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Describes zod issues as `path: message` pairs. */
export function describeIssues(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

/** Validates a body, query or params object against a zod schema; a mismatch is a 400 that names each field. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const problems = describeIssues(result.error);
    const summary = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
    throw new RequestError(RequestErrorCode.InvalidRequest, 400, `invalid request: ${summary}`, problems);
  }
}
