import { Controller, Get, Header } from '@nestjs/common';
import { openApiDocument } from './openapi';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

interface Operation {
  summary: string;
  description: string;
  parameters: { name: string; in: string; required: boolean; description: string }[];
  requestBody?: unknown;
  responses: Record<string, { description: string }>;
}

/** A self-contained HTML page listing the document's routes, parameters, answers and schemas (no scripts). */
export function docsPage(document: Record<string, unknown>): string {
  const paths = document['paths'] as Record<string, Record<string, Operation>>;
  const components = (document['components'] as { schemas: Record<string, unknown> }).schemas;
  const routes = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const params = operation.parameters
        .map(
          (param) =>
            `<tr><td><code>${escapeHtml(param.name)}</code></td><td>${param.in}${param.required ? '' : ', optional'}</td><td>${escapeHtml(param.description)}</td></tr>`,
        )
        .join('');
      const responses = Object.entries(operation.responses)
        .map(([status, response]) => `<li><b>${status}</b> ${escapeHtml(response.description)}</li>`)
        .join('');
      return `<section><h2><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2>
<p><b>${escapeHtml(operation.summary)}</b>. ${escapeHtml(operation.description)}</p>
<table><tr><th>parameter</th><th>in</th><th></th></tr>${params}</table><ul>${responses}</ul></section>`;
    }),
  );
  const schemas = Object.entries(components)
    .map(
      ([name, schema]) =>
        `<details id="${escapeHtml(name)}"><summary>${escapeHtml(name)}</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`,
    )
    .join('\n');
  const info = document['info'] as { title: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}h2{font-size:1.05rem}.m{background:#235;color:#fff;padding:.1rem .4rem;border-radius:3px}
table{border-collapse:collapse}td,th{padding:.15rem .6rem .15rem 0;text-align:left;vertical-align:top}pre{background:#f5f5f5;padding:.5rem;overflow:auto}</style>
</head><body><h1>${escapeHtml(info.title)} API</h1><p>${escapeHtml(info.description)} Send <code>Authorization: Bearer &lt;token&gt;</code>.
The OpenAPI document is at <a href="/schema/swagger">/schema/swagger</a>.</p>
${routes.join('\n')}
<h2>Schemas</h2>
${schemas}
</body></html>
`;
}

/** The OpenAPI document (`/schema/swagger`) and a page that shows it (`/docs`); both open to everyone. */
@Controller()
export class DocsController {
  private readonly document = openApiDocument();
  private readonly page = docsPage(this.document);

  @Get('schema/swagger')
  swagger(): Record<string, unknown> {
    return this.document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  docs(): string {
    return this.page;
  }
}
