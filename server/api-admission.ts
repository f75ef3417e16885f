// Admission control for the JSON endpoints programs call (token, introspection, revocation, userinfo…):
// each process works on at most API_REQUESTS_IN_FLIGHT of them at once; the others wait in arrival
// order as Node's bare request and response, before any of our middleware or the provider's runs. Past
// API_REQUESTS_WAITING_MAX waiting, or after API_WAIT_MAX_MS of waiting, a request is answered 503.
//
// Why: a request in flight keeps everything it has allocated alive while it waits on Redis or SQL. With
// many concurrent clients (256 keep-alive connections in the bench) every request outlived two
// scavenges, so its whole context was promoted to V8's old space, and major GCs ran every ~0.2 s:
// client credentials fell from 8,100 to 4,000 tokens/s and server CPU per token rose from 126 to
// 324 µs, an overload the open loop at half of peak never recovered from (p99 0.5–1.4 s). With the
// gate: 5,800–9,300 tokens/s, 122–200 µs (BENCHMARKS.md). Pages are not gated: sign-ins are bounded by
// the hasher, and the push-approval page holds a long poll.
import type http from 'node:http';
import { isProviderApiPath } from './provider-routes.ts';

/** JSON requests worked on at once per process: each waits ~0.1–1 ms on its store, so 16 keep a core busy. */
export const API_REQUESTS_IN_FLIGHT = 16;
/** Waiting requests per process beyond which a new one is refused at once (503) instead of queued behind seconds of work. */
export const API_REQUESTS_WAITING_MAX = 4096;
/**
 * A request that waited this long is refused (503) when its turn comes instead of being worked on: its
 * client has likely given up. It also bounds a wait while a store hangs (each request in flight then
 * takes the store's 2 s timeout): to this plus one such timeout, never the whole queue's.
 */
export const API_WAIT_MAX_MS = 1000;
/** What a refused request is told to wait before retrying. */
export const API_OVERLOAD_RETRY_AFTER_SECONDS = 1;

const OVERLOADED_BODY = JSON.stringify({ error: 'temporarily_unavailable', error_description: 'The server is busy; retry shortly.' });

/** When each request that had to wait arrived, for the request log and the latency histogram. */
const arrivals = new WeakMap<http.IncomingMessage, number>();

/** performance.now() when `req` arrived, if it waited for admission (else it started on arrival). */
export function arrivedAt(req: http.IncomingMessage): number | undefined {
  return arrivals.get(req);
}

export type ApiAdmission = http.RequestListener & {
  /** Requests waiting for admission now (a metrics gauge). */
  waiting(): number;
};

/** `handle` behind the gate; other paths go straight through. `onRefused` hears every 503 it answers. */
export function admitApiRequests(
  handle: http.RequestListener,
  options: { inFlight?: number; waitingMax?: number; waitMaxMs?: number; onRefused?: () => void } = {},
): ApiAdmission {
  const limit = options.inFlight ?? API_REQUESTS_IN_FLIGHT;
  const waitingMax = options.waitingMax ?? API_REQUESTS_WAITING_MAX;
  const waitMaxMs = options.waitMaxMs ?? API_WAIT_MAX_MS;
  const refuse = (res: http.ServerResponse) => {
    options.onRefused?.();
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'retry-after': String(API_OVERLOAD_RETRY_AFTER_SECONDS),
      'x-content-type-options': 'nosniff',
    });
    res.end(OVERLOADED_BODY);
  };
  let active = 0;
  // A FIFO without Array#shift's copying: a growing list and the index of its head.
  let queue: [http.IncomingMessage, http.ServerResponse][] = [];
  let head = 0;

  const finished = () => {
    while (head < queue.length) {
      const [req, res] = queue[head];
      queue[head++] = undefined as never;
      if (head === queue.length) {
        queue = [];
        head = 0;
      }
      // A client that hung up while waiting is not worked for; one that waited too long is refused.
      if (req.destroyed || res.destroyed) continue;
      if (performance.now() - arrivals.get(req)! >= waitMaxMs) {
        refuse(res);
        continue;
      }
      start(req, res);
      return;
    }
    active--;
  };
  const start = (req: http.IncomingMessage, res: http.ServerResponse) => {
    // 'close' comes once the response is sent or the connection is gone, whichever is first.
    res.once('close', finished);
    handle(req, res);
  };

  const listener = ((req, res) => {
    if (!isApiRequest(req)) return handle(req, res);
    if (active < limit) {
      active++;
      return start(req, res);
    }
    if (queue.length - head >= waitingMax) return refuse(res);
    arrivals.set(req, performance.now());
    queue.push([req, res]);
  }) as ApiAdmission;
  listener.waiting = () => queue.length - head;
  return listener;
}

function isApiRequest(req: http.IncomingMessage): boolean {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return isProviderApiPath(query < 0 ? url : url.slice(0, query));
}
