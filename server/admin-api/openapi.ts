// The OpenAPI 3.1 document of the admin API, generated from the route table and its zod schemas
// (zod-openapi), so the description and the validation are the same objects.
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { errorSchema } from './schemas.ts';
import type { Route } from './route.ts';

const COMMON_ERRORS: Record<number, string> = {
  400: 'Invalid request (code request.invalid, details per field) or a broken domain rule (its own code)',
  401: 'Missing or invalid access token (auth.missing_token, auth.invalid_token)',
  403: 'Not allowed (access.denied, auth.client_not_allowed, auth.no_organization)',
  404: 'Not found in the caller’s organization (<resource>.not_found); other organizations’ ids look the same',
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

export function buildOpenApiDocument(routes: Route[], options: { serverUrl: string }) {
  const paths: ZodOpenApiPathsObject = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    responses[String(r.status)] = r.response
      ? { description: 'Success', content: { 'application/json': { schema: r.response } } }
      : r.contentType
        ? { description: 'Success', content: { [r.contentType]: { schema: { type: 'string' } } } }
        : { description: 'Success (no content)' };
    for (const [status, description] of Object.entries({ ...COMMON_ERRORS, ...(r.errors ?? {}) })) {
      responses[status] = errorResponse(status in (r.errors ?? {}) ? `${r.errors![Number(status)]}` : description);
    }
    const operation: ZodOpenApiOperationObject = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.permission ? { description: `Needs the \`${r.permission}\` permission.` } : {}),
      tags: [r.tag],
      requestParams: { ...(r.params ? { path: r.params } : {}), ...(r.query ? { query: r.query } : {}) },
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      responses: responses as ZodOpenApiOperationObject['responses'],
    };
    paths[path] = { ...(paths[path] ?? {}), [r.method]: operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse Access Management API',
      version: '1.0.0',
      description:
        'Organizations, business groups, users, invitations, connected apps and the audit log of the caller’s own organization. ' +
        'Authenticate with a Gatehouse access token: a person’s token from a first-party client, or a connected app’s ' +
        'client-credentials token. There is no cross-organization access through this API; the only cross-organization power ' +
        'is the `gatehouse` CLI on the server itself.',
    },
    servers: [{ url: options.serverUrl }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Gatehouse opaque access token' } } },
    paths,
  });
}
