// One admin API route: its method, path, input and output schemas, and a handler. The router
// validates with the schemas and the OpenAPI document is built from the same objects.
import type { Context } from 'koa';
import type { z } from 'zod';
import type { Principal } from '../../accounts/access.ts';
import type { Permission } from '../../accounts/permissions.ts';

type Method = 'get' | 'post' | 'patch' | 'delete';
type AnyObject = z.ZodObject<z.ZodRawShape>;

export type RouteInput<P, Q, B> = { params: P; query: Q; body: B; principal: Principal; ctx: Context };

export type Route = {
  method: Method;
  /** Koa-style path below /api/v1, e.g. /users/:id. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** The permission the domain service checks (documented; the service is what enforces it). */
  permission?: Permission;
  params?: AnyObject;
  query?: AnyObject;
  body?: z.ZodType;
  status: number;
  /** Absent for 204 and for non-JSON responses (`contentType`). */
  response?: z.ZodType;
  contentType?: string;
  /** Error codes this route documents beside the common ones. */
  errors?: Record<number, string>;
  handler(input: RouteInput<any, any, any>): Promise<unknown>;
};

/** Typed route helper: the handler sees the parsed types of its schemas. */
export function route<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  def: Omit<Route, 'handler' | 'params' | 'query' | 'body'> & {
    params?: P;
    query?: Q;
    body?: B;
    handler(input: RouteInput<
      P extends z.ZodType ? z.output<P> : undefined,
      Q extends z.ZodType ? z.output<Q> : undefined,
      B extends z.ZodType ? z.output<B> : undefined
    >): Promise<unknown>;
  },
): Route {
  return def as Route;
}
