import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { taskTypes } from '@vstack/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { taskPrices } from '../settings';
import { submissionSchemas } from '../tasks/dto';
import { toTaskView } from '../tasks/task-view';
import { openApiDocument } from './openapi';
import { renderDocsPage } from './docs.controller';

const document = openApiDocument(taskPrices({}));

function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === '$ref' && typeof item === 'string' ? [item] : refs(item),
  );
}

function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'gateway', components: (document as any).components }, 'gateway');
  return (name: string) => ajv.compile({ $ref: `gateway#/components/schemas/${name}` });
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with a typed route per task type and no dangling reference', () => {
    expect(document['openapi']).toBe('3.1.0');
    const paths = document['paths'] as Record<string, unknown>;
    for (const name of taskTypes.names) expect(paths[`/v1/${name}`]).toBeDefined();
    const schemas = (document['components'] as { schemas: Record<string, unknown> }).schemas;
    for (const ref of refs(document)) {
      expect(schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    }
  });

  it('accepts exactly what the gateway accepts: the JSON Schemas come from the validating zod schemas', () => {
    const compile = validator();
    const submission = fc.record(
      {
        input: fc.record(
          {
            operation: fc.constantFrom('add', 'multiply', 'pow'),
            a: fc.stringMatching(/^-?\d{1,5}$/),
            b: fc.string({ maxLength: 4 }),
          },
          { requiredKeys: [] },
        ),
        priority: fc.constantFrom('low', 'normal', 'high', 'urgent', 'asap'),
      },
      { requiredKeys: ['input'] },
    );
    const validate = compile('Submission_arithmetic');
    const zod = submissionSchemas.get('arithmetic');
    fc.assert(
      fc.property(submission, (body) => {
        expect(validate(body)).toBe(zod?.safeParse(body).success);
      }),
    );
  });

  it('describes the tasks the API answers with', () => {
    const validate = validator()('Task');
    const view = toTaskView({
      id: '3b241101-e2bb-4255-8caf-4136c566a962',
      apiKeyId: 'k',
      taskType: 'arithmetic',
      priority: 'high',
      status: 'COMPLETED',
      input: { operation: 'add', a: '1', b: '2' },
      result: { result: '3' },
      errorCode: null,
      errorMessage: null,
      priceCredits: 1,
      attempts: 1,
      minerUid: 3,
      minerHotkey: '5F',
      latencyMs: 12.5,
      callbackUrl: 'https://app.example/hook',
      webhookStatus: 'delivered',
      webhookAttempts: 1,
      webhookAt: new Date(),
      idempotencyKey: 'order-1',
      requestHash: 'h',
      createdAt: new Date(),
      queuedAt: new Date(),
      processingAt: new Date(),
      finishedAt: new Date(),
    });
    expect(validate(view), JSON.stringify(validate.errors)).toBe(true);
  });

  it('renders a page without scripts, with every route', () => {
    const page = renderDocsPage(document);
    expect(page).not.toContain('<script');
    expect(page).toContain('<code>POST /v1/chat/completions</code>');
    expect(page).toContain('Submission_arithmetic');
  });
});
