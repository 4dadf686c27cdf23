import { neuronsResponseSchema } from '@vstack/sidecar-client';
import { describe, expect, it } from 'vitest';
import { docsPage } from './docs.controller';
import { openApiDocument } from './openapi';

interface Document {
  openapi: string;
  paths: Record<
    string,
    Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>
  >;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
}

describe('the OpenAPI document', () => {
  const document = openApiDocument() as unknown as Document;

  it('lists every route under /api/v1 with its parameters, the timeout header and its error statuses', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/block/latest',
        '/api/v1/subnet/{netuid}/block/{block}/neurons',
        '/api/v1/subnet/{netuid}/block/{block}/validators',
        '/api/v1/identity/{name}/subnet/{netuid}/block/{block}/neurons',
        '/api/v1/identities',
      ]),
    );
    const neurons = document.paths['/api/v1/subnet/{netuid}/block/{block}/neurons']?.['get'];
    expect(neurons?.parameters.map((parameter) => parameter.name)).toEqual([
      'netuid',
      'block',
      'x-timeout-ms',
    ]);
    expect(Object.keys(neurons?.responses ?? {})).toEqual(['200', '400', '401', '403', '404', '503', '504']);
  });

  it("describes the answers with the contract's own schemas", () => {
    const neuron = document.components.schemas['NeuronsResponse'];
    expect(neuron?.required).toEqual(Object.keys(neuronsResponseSchema.shape));
    expect(JSON.stringify(document.components.schemas)).toContain('stake_rao');
    expect(JSON.stringify(document.components.schemas)).not.toContain('$schema');
  });

  it('renders a page that names every route, with no script to run', () => {
    const page = docsPage(openApiDocument());
    expect(page).toContain('<code>/api/v1/subnet/{netuid}/block/{block}/validators</code>');
    expect(page).toContain('/schema/swagger');
    expect(page).not.toContain('<script');
  });
});
