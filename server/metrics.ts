// Prometheus metrics: request counts/latency by route, logins by outcome, tokens by grant.
import type { Context, Middleware } from 'koa';
import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeTemplate } from './request-log.ts';
import { arrivedAt } from './api-admission.ts';

const require = createRequire(import.meta.url);
type Collector = (registry: Registry, config: Record<string, unknown>) => void;

/**
 * prom-client's default process metrics (CPU, memory, heap, event-loop lag, handles…) except its GC
 * histogram: that one observes every garbage collection through a PerformanceObserver, and Node builds
 * each GC entry with deprecated getters, a few µs per token request at hundreds of scavenges a second.
 * Heap and event-loop lag still show GC pressure. The collectors are prom-client's own modules.
 */
function collectProcessMetrics(registry: Registry) {
  for (const name of collectDefaultMetrics.metricsList) {
    if (name === 'gc') continue;
    (require(`prom-client/lib/metrics/${name}`) as Collector)(registry, { eventLoopMonitoringPrecision: 10 });
  }
}

export function createMetrics() {
  const registry = new Registry();
  collectProcessMetrics(registry);
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

  // server/api-admission.ts: how many JSON requests wait for admission, and how many were refused.
  const apiRefused = new Counter({
    name: 'gatehouse_api_requests_refused_total',
    help: 'Token, introspection and other JSON endpoint requests answered 503 because too many were waiting or one had waited too long',
    registers: [registry],
  });
  let apiWaiting = () => 0;
  new Gauge({
    name: 'gatehouse_api_requests_waiting',
    help: 'Token, introspection and other JSON endpoint requests waiting for admission',
    registers: [registry],
    collect() {
      this.set(apiWaiting());
    },
  });

  // One labelled child per method, route and status, looked up by one string: prom-client would
  // otherwise sort and join the label object on every request (a token request's hot path).
  const series = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();
  /** Records one finished request; `started` is `performance.now()` from its arrival. */
  const observeRequest = (ctx: Context, started: number) => {
    // Route templates, never raw paths: raw paths would carry interaction ids and explode cardinality.
    const route = routeTemplate(ctx);
    const key = `${ctx.method} ${route} ${ctx.status}`;
    let child = series.get(key);
    if (!child) series.set(key, (child = requests.labels({ method: ctx.method, route, status: String(ctx.status) })));
    child.observe((performance.now() - started) / 1000);
  };
  const middleware: Middleware = async (ctx, next) => {
    // A request that waited for admission counts from its arrival: that is the latency its client saw.
    const started = arrivedAt(ctx.req) ?? performance.now();
    try {
      await next();
    } finally {
      observeRequest(ctx, started);
    }
  };

  return { registry, middleware, observeRequest, logins, tokens, apiRefused, watchApiWaiting: (source: () => number) => void (apiWaiting = source) };
}

export type Metrics = ReturnType<typeof createMetrics>;
