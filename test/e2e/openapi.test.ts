import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoutes } from '../../scripts/hostile/route-list';
import { openApiPath } from '../../src/api/openapi';
import { startHotline, type Hotline } from '../support/hotline-harness';

type Doc = { openapi: string; paths: Record<string, Record<string, any>> };

describe('GET /api/openapi.json', () => {
  let h: Hotline;
  let doc: Doc;
  beforeAll(async () => {
    h = await startHotline();
    const res = await h.api.get('/api/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => h.close());

  it('wants the bearer token like every /api route', async () => {
    expect((await request(h.app).get('/api/openapi.json')).status).toBe(401);
  });

  it("describes every /api route of the app as npm start builds it, and no route that is not there", async () => {
    // Read from Express's own router (nested routers included), so a route added without its line is caught.
    const routes = (await appRoutes()).filter((r) => r.kind === 'api').map((r) => `${r.method} ${openApiPath(r.path)}`);
    expect(routes.length).toBeGreaterThan(40);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.filter((r) => !documented.includes(r)), 'routes with no line in src/api/openapi-catalogue.ts').toEqual([]);
    expect(documented.filter((d) => !routes.includes(d)), 'documented routes the app does not have').toEqual([]);
  });

  it('is OpenAPI 3.1, with the request shapes of the zod schemas that validate them', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const addAgent = doc.paths['/api/agents']!.post.requestBody.content['application/json'].schema;
    expect(addAgent.required).toEqual(expect.arrayContaining(['name', 'phone']));
    expect(addAgent.additionalProperties).toBe(false);
    expect(addAgent.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 });

    const listCalls = doc.paths['/api/calls']!.get.parameters as { name: string; in: string; schema: any }[];
    expect(listCalls.find((p) => p.name === 'outcome')?.schema.enum).toEqual(['answered', 'missed', 'abandoned']);
    expect(listCalls.find((p) => p.name === 'from')?.schema).toMatchObject({ type: 'string', format: 'date-time' });

    const oneAgent = doc.paths['/api/agents/{id}']!.patch;
    expect(oneAgent.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: expect.objectContaining({ type: 'string', format: 'uuid' }) }]);
    expect(oneAgent['x-roles']).toEqual(['admin', 'supervisor']);
  });

  it('says what the API itself refuses: a body the schema calls incomplete is a 400 naming the field', async () => {
    const schema = doc.paths['/api/complaints/{id}/progress']!.post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['note', 'channel']));
    const res = await h.api.post('/api/leaves', {});
    const leave = doc.paths['/api/leaves']!.post.requestBody.content['application/json'].schema;
    expect(res.status).toBe(400);
    expect(leave.required).toContain(res.body.error.field);
  });
});
