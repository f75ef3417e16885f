// The admin JSON API under /api/v1. Each request: errors → { code, message, details? } · bearer
// authentication (Gatehouse's own tokens) · input parsed with the route's zod schemas · the domain
// service (which checks permissions and organization) · output parsed with the response schema.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { AccessDenied, type Principal } from '../../accounts/access.ts';
import type { AuditLog } from '../../accounts/audit.ts';
import { DomainError, ValidationError, type RuleViolation } from '../../accounts/errors.ts';
import type { MessageCode } from '../../accounts/messages/language.ts';
import { message } from '../../accounts/messages/catalog.ts';
import type { OrganizationStore } from '../../accounts/organization.ts';
import type { Logger } from '../logger.ts';
import { asRequestError, STORE_RETRY_AFTER_SECONDS, StoreUnavailable } from '../error-handler.ts';
import { createBearerAuth } from './bearer-auth.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { Route } from './route.ts';
import { adminRoutes, type AdminServices } from './routes.ts';

export const API_PREFIX = '/api/v1';

/** zod issues as the API's validation details: one entry per field. */
function violationsOf(error: z.ZodError, where: string): RuleViolation[] {
  return error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].filter(Boolean).join('.'),
    code: `request.${issue.code}` as MessageCode,
    message: issue.message,
  }));
}

class RequestInvalid extends DomainError {
  readonly violations: RuleViolation[];
  constructor(violations: RuleViolation[]) {
    super('request.invalid', { status: 400 });
    this.violations = violations;
  }
}

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestInvalid(violationsOf(result.error, where));
  return result.data;
}

export function createAdminApi(deps: AdminServices & {
  provider: Provider;
  orgs: OrganizationStore;
  audit: AuditLog;
  logger: Logger;
  issuer: string;
  /** Routes of other features (federation's identity providers), validated and documented the same way. */
  extraRoutes?: Route[];
}) {
  const routes = [...adminRoutes(deps), ...(deps.extraRoutes ?? [])];
  const authenticate = createBearerAuth({ provider: deps.provider, orgs: deps.orgs });
  const router = new Router({ prefix: API_PREFIX });
  let document: unknown;

  // Errors of this API, whoever throws them, in one shape with a stable code.
  router.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new DomainError('route.not_found', { status: 404 });
    } catch (caught) {
      const e = asRequestError(caught) as Error & { status?: number; expose?: boolean };
      let body: { code: string; message: string; details?: RuleViolation[] };
      if (e instanceof RequestInvalid || e instanceof ValidationError) {
        body = { code: e.code, message: e.message, details: e.violations.map(({ field, code, message }) => ({ field, code, message })) };
        ctx.status = e.status;
      } else if (e instanceof DomainError) {
        body = { code: e.code, message: e.message };
        ctx.status = e.status;
        if (e instanceof StoreUnavailable) ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
      } else if (e.status && e.status < 500 && e.expose !== false) {
        // Body parser errors (malformed JSON, too large, wrong type).
        body = { code: `request.http_${e.status}`, message: e.message };
        ctx.status = e.status;
      } else {
        deps.logger.error({ err: e, path: ctx.path }, 'admin API request failed');
        body = { code: 'server_error', message: message('server_error') };
        ctx.status = 500;
      }
      ctx.body = body;
      const principal = ctx.state.principal as Principal | undefined;
      if (e instanceof AccessDenied && principal) {
        // Denied attempts by authenticated callers are security events; anonymous noise is not recorded.
        await deps.audit.record({
          actor: principal.id,
          action: `api.${String(ctx.state.operationId ?? 'unknown')}`,
          organizationId: principal.organizationId,
          outcome: 'denied',
          ip: ctx.ip,
          userAgent: ctx.get('user-agent'),
          details: { path: ctx.path, method: ctx.method },
        }).catch((auditErr) => deps.logger.error({ err: auditErr }, 'audit failed'));
      }
    }
  });

  router.get('/openapi.json', (ctx) => {
    document ??= buildOpenApiDocument(routes, { serverUrl: `${deps.issuer}${API_PREFIX}` });
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = document;
  });

  for (const r of routes) {
    router[r.method](r.path, async (ctx: Context) => {
      ctx.state.operationId = r.operationId;
      ctx.set('Cache-Control', 'no-store');
      const principal = await authenticate(ctx);
      ctx.state.principal = principal;
      const params = parse(r.params, ctx.params, 'path');
      const query = parse(r.query, { ...ctx.query }, 'query');
      const body = parse(r.body, ctx.request.body ?? {}, 'body');
      const result = await r.handler({ params, query, body, principal, ctx });
      ctx.status = r.status;
      if (r.contentType) {
        ctx.type = r.contentType;
        ctx.body = result;
      } else if (r.response) {
        // Output is validated too: a field the schema does not list never leaves the server.
        ctx.body = r.response.parse(result);
      } else {
        ctx.body = null;
        ctx.status = r.status;
      }
    });
  }
  return router;
}

export type { Route };
