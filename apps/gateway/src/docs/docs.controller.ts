import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GATEWAY_SETTINGS } from '../ports';
import type { GatewaySettings } from '../settings';
import { openApiDocument } from './openapi';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

interface Operation {
  summary?: string;
  description?: string;
  requestBody?: { content: Record<string, { schema: unknown }> };
  parameters?: { name: string; in: string; description?: string }[];
}

/** A self-contained page of the API (no scripts, nothing fetched from elsewhere). */
export function renderDocsPage(document: Record<string, unknown>): string {
  const info = document['info'] as { title: string; description: string };
  const paths = document['paths'] as Record<string, Record<string, Operation>>;
  const components = (document['components'] as { schemas: Record<string, unknown> }).schemas;
  const operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const body = operation.requestBody?.content['application/json']?.schema;
      const parameters = (operation.parameters ?? [])
        .map(
          (parameter) =>
            `<li><code>${escapeHtml(parameter.name)}</code> (${parameter.in}) ${escapeHtml(parameter.description ?? '')}</li>`,
        )
        .join('');
      return `<section><h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3>
<p>${escapeHtml(operation.summary ?? '')}</p>${operation.description ? `<p>${escapeHtml(operation.description)}</p>` : ''}
${parameters ? `<ul>${parameters}</ul>` : ''}${body ? `<p>Body: <code>${escapeHtml(JSON.stringify(body))}</code></p>` : ''}</section>`;
    }),
  );
  const schemas = Object.entries(components)
    .map(
      ([name, schema]) =>
        `<details id="${escapeHtml(name)}"><summary><code>${escapeHtml(name)}</code></summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}pre{background:#f5f5f5;padding:.5rem;overflow:auto}section{border-top:1px solid #ddd}</style>
</head><body><h1>${escapeHtml(info.title)}</h1><p>${escapeHtml(info.description)}</p>
<p>The OpenAPI 3.1 document: <a href="/docs/openapi.json">/docs/openapi.json</a>.</p>
<h2>Routes</h2>${operations.join('\n')}<h2>Schemas</h2>${schemas}</body></html>`;
}

/** The OpenAPI document (JSON), and a page of it for browsers. */
@Controller('docs')
export class DocsController {
  private readonly document: Record<string, unknown>;

  constructor(@Inject(GATEWAY_SETTINGS) settings: GatewaySettings) {
    this.document = openApiDocument(settings.prices);
  }

  @Get()
  async docs(@Headers('accept') accept: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    if (accept?.includes('text/html')) {
      await reply.header('content-type', 'text/html; charset=utf-8').send(renderDocsPage(this.document));
      return;
    }
    await reply.send(this.document);
  }

  @Get('openapi.json')
  openApi(): Record<string, unknown> {
    return this.document;
  }
}
