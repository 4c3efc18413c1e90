import { z } from 'zod';
import type { Role } from '../domain/console-roles';

/**
 * The admin API described as OpenAPI 3.1, from the zod schemas the routes validate with: each
 * route is one `apiRoute(...)` line in src/api/api-routes-documented.ts naming the schemas its
 * handler passes to parseInput, so the description cannot drift from what a request must be.
 * Schemas are rendered as the request's *input* (before coercion, defaults and transforms).
 */
export type ApiMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiRoute {
  method: ApiMethod;
  /** The Express path, e.g. /api/agents/:id */
  path: string;
  summary: string;
  /** The schema of req.params (an object); undocumented path parameters are plain strings. */
  params?: z.ZodType;
  /** The schema of req.query (an object): each field a query parameter. */
  query?: z.ZodType;
  /** The schema of the JSON body. */
  body?: z.ZodType;
  /** Whose bearer token may call it (default: admin and supervisor, who hold API tokens). */
  roles?: readonly Role[];
}

const TOKEN_ROLES: readonly Role[] = ['admin', 'supervisor'];

/** One route of the description: `apiRoute('get', '/api/agents/:id', 'One agent', { params: agentId })`. */
export function apiRoute(method: ApiMethod, path: string, summary: string, schemas: Omit<ApiRoute, 'method' | 'path' | 'summary'> = {}): ApiRoute {
  return { method, path, summary, ...schemas };
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    // What a client sends for a date is an ISO 8601 string (z.coerce.date reads it).
    override: (ctx) => {
      if ((ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def?.type === 'date') {
        ctx.jsonSchema.type = 'string';
        ctx.jsonSchema.format = 'date-time';
      }
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** /api/agents/:id -> /api/agents/{id} */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z_]\w*)/g, '{$1}');

function parameters(route: ApiRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  const params = route.params ? jsonSchema(route.params) : undefined;
  const paramProps = (params?.properties ?? {}) as Record<string, JsonSchema>;
  for (const [, name] of route.path.matchAll(/:([A-Za-z_]\w*)/g)) {
    out.push({ name, in: 'path', required: true, schema: paramProps[name!] ?? { type: 'string' } });
  }
  if (route.query) {
    const query = jsonSchema(route.query);
    const required = new Set((query.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, JsonSchema>)) {
      out.push({ name, in: 'query', required: required.has(name), schema });
    }
  }
  return out;
}

const ERROR = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

function operation(route: ApiRoute): JsonSchema {
  const roles = route.roles ?? TOKEN_ROLES;
  return {
    summary: route.summary,
    operationId: `${route.method}${openApiPath(route.path).replace(/^\/api/, '').replace(/[{}]/g, '').replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase())}`,
    'x-roles': roles,
    parameters: parameters(route),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
    responses: {
      '2XX': { description: 'Done; the body is JSON (see the README for each answer).' },
      '400': { description: 'A field is not valid: `error.field` names it.', content: ERROR },
      '401': { description: 'No bearer token, or not a valid one.', content: ERROR },
      '403': { description: `The token's account may not do this (allowed: ${roles.join(', ')}).`, content: ERROR },
      ...(/:\w/.test(route.path) ? { '404': { description: 'No such record.', content: ERROR } } : {}),
    },
  };
}

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(routes: readonly ApiRoute[], info: { version: string; serverUrl?: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) (paths[openApiPath(r.path)] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'ThreeRing admin API',
      version: info.version,
      description: 'JSON over HTTPS. Every route takes `Authorization: Bearer <token>`: the ADMIN_TOKEN, or a personal API token of an admin or supervisor account.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } }, required: ['code', 'message'] } },
          required: ['error'],
        },
      },
    },
    paths,
  };
}
