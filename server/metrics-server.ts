// Prometheus metrics on their own listener, never the issuer's port: request counts per route and
// sign-in outcomes tell an attacker how an attack goes. Bound to 127.0.0.1 by default (METRICS_HOST
// to widen it for a scraper in another container), optionally behind a bearer token (METRICS_TOKEN).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';

/** A registry to scrape: one process's, or the cluster primary's aggregate of its workers'. */
type Scraped = { registry: { metrics(): Promise<string>; contentType: string } };

const digest = (v: string) => createHash('sha256').update(v).digest();

export function metricsRequestListener(metrics: Scraped, token?: string): http.RequestListener {
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    // Digests have equal length, so the comparison takes the same time whatever was sent.
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' }).end('unauthorized\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  };
}

/** Starts the metrics listener; resolves with the server and the address it bound. */
export async function listenMetrics(metrics: Scraped, options: { port: number; host: string; token?: string }) {
  const server = http.createServer(metricsRequestListener(metrics, options.token));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return { server, address: server.address() as AddressInfo };
}
