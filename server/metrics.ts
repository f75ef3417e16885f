// Prometheus metrics: request counts/latency by route, logins by outcome, tokens by grant.
import type { Middleware } from 'koa';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeTemplate } from './request-log.ts';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Sign-in attempts by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Token endpoint successes by grant type',
    labelNames: ['grant_type'],
    registers: [registry],
  });

  const middleware: Middleware = async (ctx, next) => {
    const end = requests.startTimer();
    try {
      await next();
    } finally {
      // Route templates, never raw paths: raw paths would carry interaction ids and explode cardinality.
      end({ method: ctx.method, route: routeTemplate(ctx), status: String(ctx.status) });
    }
  };

  return { registry, middleware, logins, tokens };
}

export type Metrics = ReturnType<typeof createMetrics>;
