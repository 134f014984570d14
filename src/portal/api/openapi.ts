import type { RouteSpec } from '../route-table.js';

const ERROR = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
};

/** The OpenAPI 3.0 document for every /api/v1 route in the table (the routes the app really serves). */
export function openApiDocument(routes: readonly RouteSpec[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    if (!r.path.startsWith('/api/v1/')) continue;
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }));
    const responses: Record<string, object> = {
      [String(r.status ?? 200)]: r.stream
        ? { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }
        : { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } },
      '400': { description: 'Invalid input', content: { 'application/json': { schema: ERROR } } },
    };
    if (r.access !== 'public') responses['401'] = { description: 'Not logged in', content: { 'application/json': { schema: ERROR } } };
    if (r.access === 'admin' || r.method !== 'get') responses['403'] = { description: 'Not allowed (or CSRF token wrong)', content: { 'application/json': { schema: ERROR } } };
    if (r.access === 'vm' || params.length) responses['404'] = { description: 'No such object, or not yours', content: { 'application/json': { schema: ERROR } } };
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[/.-]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      'x-access': r.access,
      ...(params.length ? { parameters: params } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: stripSchemaKeyword(r.body) } } } } : {}),
      ...(r.access === 'public' ? { security: [] } : {}),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'EarCandle API', version: '1', description: 'Same authorization as the portal pages. Changes need the X-CSRF-Token header (from GET /api/v1/session).' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'earcandle.sid' }, csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' } },
    },
    security: [{ session: [] }],
    paths,
  };
}

function stripSchemaKeyword(schema: object): object {
  const { $schema: _drop, ...rest } = schema as Record<string, unknown>;
  return rest;
}
