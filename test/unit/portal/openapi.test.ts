import assert from 'node:assert/strict';
import { openApiDocument } from '../../../src/portal/api/openapi.js';
import type { RouteSpec } from '../../../src/portal/route-table.js';

describe('openApiDocument', () => {
  const routes: RouteSpec[] = [
    { method: 'get', path: '/', access: 'user', api: false, summary: 'page' },
    { method: 'get', path: '/api/v1/vms/:id', access: 'vm', api: true, summary: 'one VM' },
    { method: 'post', path: '/api/v1/vms/:id/power', access: 'vm', api: true, summary: 'power', body: { $schema: 'x', type: 'object' }, status: 202 },
    { method: 'get', path: '/api/v1/openapi.json', access: 'public', api: true, summary: 'doc' },
  ];
  it('describes every /api/v1 route and nothing else, with path parameters, bodies and error answers', () => {
    const doc = openApiDocument(routes) as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string }[]; requestBody?: { content: Record<string, { schema: object }> }; responses: Record<string, unknown>; security?: unknown[] }>> };
    assert.equal(doc.openapi, '3.0.3');
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/v1/openapi.json', '/api/v1/vms/{id}', '/api/v1/vms/{id}/power']);
    const power = doc.paths['/api/v1/vms/{id}/power']!.post!;
    assert.deepEqual(power.parameters!.map((p) => p.name), ['id']);
    assert.deepEqual(power.requestBody!.content['application/json']!.schema, { type: 'object' });
    assert.ok(['202', '400', '401', '403', '404'].every((s) => s in power.responses));
    assert.deepEqual(doc.paths['/api/v1/openapi.json']!.get!.security, []);
  });
});
