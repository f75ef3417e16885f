// Load generation: closed loop (N workers, each sends its next request when the last one is
// answered) and open loop (requests leave on a fixed schedule, whatever the server does).
// Plain node:http with keep-alive agents: cheaper per request than fetch, so the generator
// needs less of the CPU the server also wants.
import http from 'node:http';

export type HttpRequest = { method: string; path: string; headers: Record<string, string>; body?: string };
export type HttpResponse = { status: number; headers: http.IncomingHttpHeaders; body: string };

export type LoadResult = {
  requests: number;
  errors: number;
  seconds: number;
  /** Completed requests per second, errors excluded. */
  rate: number;
  p50: number;
  p99: number;
  firstError?: string;
  /** Every counted latency, sorted (for combining runs). */
  samples: Float64Array;
};

/** One keep-alive connection pool per server. */
export function keepAliveAgent(maxSockets: number) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** Sends a request; the body is read only when asked (errors), otherwise drained. */
export function send(agent: http.Agent, base: URL, request: HttpRequest, readBody = false): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: request.path,
        headers: request.body === undefined ? request.headers : { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
        agent,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (!readBody && status === 200) {
          res.on('end', () => resolve({ status, headers: res.headers, body: '' }));
          res.on('error', reject);
          res.resume();
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

class Recorder {
  latencies: number[] = [];
  errors = 0;
  firstError?: string;

  ok(ms: number) {
    this.latencies.push(ms);
  }

  fail(reason: string) {
    this.errors += 1;
    this.firstError ??= reason.slice(0, 300);
  }

  result(seconds: number): LoadResult {
    const sorted = Float64Array.from(this.latencies).sort();
    return {
      requests: sorted.length,
      errors: this.errors,
      seconds,
      rate: sorted.length / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      firstError: this.firstError,
      samples: sorted,
    };
  }
}

/** One result from several runs of the same thing (e.g. interleaved slices). */
export function combine(results: LoadResult[]): LoadResult {
  const samples = new Float64Array(results.reduce((n, r) => n + r.samples.length, 0));
  let offset = 0;
  for (const r of results) {
    samples.set(r.samples, offset);
    offset += r.samples.length;
  }
  samples.sort();
  const seconds = results.reduce((s, r) => s + r.seconds, 0);
  return {
    requests: samples.length,
    errors: results.reduce((n, r) => n + r.errors, 0),
    seconds,
    rate: samples.length / seconds,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    firstError: results.find((r) => r.firstError)?.firstError,
    samples,
  };
}

/**
 * `concurrency` workers each run `task(worker)` back to back for warmup + seconds; only tasks
 * that start after the warm-up are counted. A task resolves true (success) or a reason string.
 */
export async function closedLoop(options: {
  concurrency: number;
  seconds: number;
  warmupSeconds?: number;
  task: (worker: number) => Promise<true | string>;
}): Promise<LoadResult> {
  const recorder = new Recorder();
  const measureFrom = performance.now() + (options.warmupSeconds ?? 0) * 1000;
  const end = measureFrom + options.seconds * 1000;

  async function worker(index: number) {
    while (performance.now() < end) {
      const started = performance.now();
      const counted = started >= measureFrom;
      let outcome: true | string;
      try {
        outcome = await options.task(index);
      } catch (err) {
        outcome = (err as Error).message;
      }
      if (!counted) continue;
      if (outcome === true) recorder.ok(performance.now() - started);
      else recorder.fail(outcome);
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  // Requests that started before `end` may finish after it: count over the real span.
  return recorder.result(Math.max(options.seconds, (performance.now() - measureFrom) / 1000));
}

/** A generator timer that fired this much later than asked is a stall of the generator, not of the server. */
export const GENERATOR_STALL_MS = 10;

/**
 * Starts `rate` tasks per second on a fixed schedule for `seconds`. Latency is measured from
 * each request's scheduled start, so time spent waiting for a free connection counts
 * (no coordinated omission).
 */
export async function openLoop(options: {
  rate: number;
  seconds: number;
  task: (sequence: number) => Promise<true | string>;
}): Promise<LoadResult & { offered: number; drainSeconds: number; generatorStalls: number[] }> {
  const recorder = new Recorder();
  const start = performance.now();
  const total = Math.round(options.rate * options.seconds);
  const inFlight = new Set<Promise<void>>();
  const generatorStalls: number[] = [];
  let sent = 0;
  let lastTick = start;

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // The timer asks for 1 ms: a longer gap is time this process (its GC, its own work) did not send or read.
      if (now - lastTick > GENERATOR_STALL_MS) generatorStalls.push(now - lastTick);
      lastTick = now;
      const due = Math.min(total, Math.floor(((now - start) / 1000) * options.rate) + 1);
      for (; sent < due; sent++) {
        const scheduled = start + (sent / options.rate) * 1000;
        const run: Promise<void> = options.task(sent).then(
          (outcome) => (outcome === true ? recorder.ok(performance.now() - scheduled) : recorder.fail(outcome)),
          (err: Error) => recorder.fail(err.message),
        ).finally(() => inFlight.delete(run));
        inFlight.add(run);
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const scheduleEnded = performance.now();
  await Promise.all(inFlight);
  // Long drains mean the server fell behind the schedule (overload), not just a slow tail.
  return { ...recorder.result(options.seconds), offered: options.rate, drainSeconds: (performance.now() - scheduleEnded) / 1000, generatorStalls };
}

/** "generator stalls over 10 ms: 3 (longest 24 ms, 51 ms in all)", for a row's notes. */
export function generatorStallNote(stalls: number[]): string {
  if (!stalls.length) return `generator stalls over ${GENERATOR_STALL_MS} ms: none`;
  return `generator stalls over ${GENERATOR_STALL_MS} ms: ${stalls.length} (longest ${Math.max(...stalls).toFixed(0)} ms, ${stalls.reduce((a, b) => a + b, 0).toFixed(0)} ms in all)`;
}

/** A client-credentials token request (client_secret_basic). */
export function clientCredentialsRequest(clientId: string, clientSecret: string): HttpRequest {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  return {
    method: 'POST',
    path: '/token',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  };
}

/**
 * A task that sends `request` to one of `servers` (worker i → server i mod count) over a
 * keep-alive pool of `connectionsPerServer` sockets each, and wants a 200 with a JSON body.
 */
export function tokenTask(servers: string[], connectionsPerServer: number, request: HttpRequest) {
  const pools = servers.map((url) => ({ base: new URL(url), agent: keepAliveAgent(connectionsPerServer) }));
  const task = async (index: number): Promise<true | string> => {
    const { base, agent } = pools[index % pools.length];
    const response = await send(agent, base, request);
    return response.status === 200 ? true : `HTTP ${response.status}: ${response.body}`;
  };
  const close = () => pools.forEach(({ agent }) => agent.destroy());
  return { task, close };
}

/** `Authorization: Basic …` for client_secret_basic (RFC 6749 §2.3.1 form-encodes both parts). */
export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

/** Token introspection of one token by its client (RFC 7662). */
export function introspectionRequest(clientId: string, clientSecret: string, token: string): HttpRequest {
  return {
    method: 'POST',
    path: '/token/introspection',
    headers: { authorization: basicAuth(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  };
}

/**
 * Rotations before a worker moves on to a refresh token of a new grant. Each rotation adds two tokens to
 * the grant, and the bare provider's MemoryAdapter walks all of a grant's tokens at every save (Gatehouse's
 * Redis set does not), so one endless chain per worker made the baseline slower the longer a run went (its
 * grant bookkeeping was 14 % of its CPU in one profile). A real chain rotates once per access token's
 * lifetime, not thousands of times.
 */
export const REFRESH_CHAIN_ROTATIONS = 100;

/** Each worker's live refresh token and how often its chain has rotated; `renew` mints a token of a new grant. */
export type RefreshChains = { tokens: string[]; rotations: number[]; renew: () => Promise<string> };

/** One chain per worker, from `mint(count)`: refresh tokens of as many new grants (the server's mintRefreshTokens). */
export async function refreshChains(workers: number, mint: (count: number) => Promise<string[]>): Promise<RefreshChains> {
  const tokens = await mint(workers);
  return { tokens, rotations: tokens.map(() => 0), renew: async () => (await mint(1))[0] };
}

/**
 * Refresh-token grants with rotation: worker i owns chain i and replaces its token with the one each
 * answer rotates to, so every request redeems a live token exactly once.
 */
export function refreshTask(server: string, connections: number, client: { client_id: string; client_secret: string }, chains: RefreshChains) {
  const base = new URL(server);
  const agent = keepAliveAgent(connections);
  const headers = { authorization: basicAuth(client.client_id, client.client_secret), 'content-type': 'application/x-www-form-urlencoded' };
  const task = async (index: number): Promise<true | string> => {
    const slot = index % chains.tokens.length;
    if (chains.rotations[slot] >= REFRESH_CHAIN_ROTATIONS) {
      chains.tokens[slot] = await chains.renew();
      chains.rotations[slot] = 0;
    }
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chains.tokens[slot] }).toString();
    const response = await send(agent, base, { method: 'POST', path: '/token', headers, body }, true);
    if (response.status !== 200) return `HTTP ${response.status}: ${response.body}`;
    const answer = JSON.parse(response.body) as { refresh_token?: string; id_token?: string };
    if (!answer.refresh_token || !answer.id_token) return `no rotated refresh token / ID token: ${response.body.slice(0, 200)}`;
    chains.tokens[slot] = answer.refresh_token;
    chains.rotations[slot]++;
    return true;
  };
  return { task, close: () => agent.destroy() };
}
