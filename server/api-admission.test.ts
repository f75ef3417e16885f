// The JSON endpoints' admission gate on a real HTTP server and real client connections: how many
// requests its handler sees at once, in which order the waiting ones get in, and what is refused.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { admitApiRequests, API_OVERLOAD_RETRY_AFTER_SECONDS, arrivedAt } from './api-admission.ts';

type Held = { n: string; path: string; waited: boolean; release(): void };
type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** The gate's refusal, as a client sees it: 503, retry after a second, not cached, an OAuth JSON error. */
function assertRefused(answer: Answer) {
  assert.equal(answer.status, 503);
  assert.equal(answer.headers['retry-after'], String(API_OVERLOAD_RETRY_AFTER_SECONDS));
  assert.equal(answer.headers['cache-control'], 'no-store');
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  assert.equal(JSON.parse(answer.body).error, 'temporarily_unavailable');
}

/** A server whose handler holds each request until the test releases it. */
async function heldServer(options: Parameters<typeof admitApiRequests>[1]) {
  const held: Held[] = [];
  const arrivals: (() => void)[] = [];
  const gate = admitApiRequests((req, res) => {
    held.push({ n: String(req.headers['x-n']), path: req.url!, waited: arrivedAt(req) !== undefined, release: () => res.end('ok') });
    arrivals.splice(0).forEach((wake) => wake());
  }, { waitMaxMs: 60_000, ...options }); // no test but the one about it waits out the wait limit
  // The order requests reached the server (their connections race), ahead of the gate.
  const reached: string[] = [];
  const server = http.createServer((req, res) => (reached.push(String(req.headers['x-n'])), gate(req, res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  /** One request on its own connection; resolves with its answer. */
  const send = (path: string, n: number, onRequest?: (req: http.ClientRequest) => void) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', path, method: 'POST', agent: false, headers: { 'x-n': String(n) } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
      onRequest?.(req);
    });
  /** Resolves once `done()` holds, looking again after each request the handler gets (or every 5 ms). */
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise<void>((resolve) => (arrivals.push(resolve), setTimeout(resolve, 5)));
  };
  return { server, held, reached, gate, send, until, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
}

describe('JSON endpoint admission', () => {
  it('works on at most its limit of token requests at once and lets the others in by arrival', async () => {
    const s = await heldServer({ inFlight: 2 });
    try {
      const answers = [0, 1, 2, 3, 4].map((n) => s.send('/token', n));
      await s.until(() => s.held.length === 2 && s.gate.waiting() === 3);
      assert.deepEqual(s.held.map((h) => h.waited), [false, false], 'the first two start on arrival');
      const order: string[] = [];
      for (let next = 0; next < 5; next++) {
        await s.until(() => s.held.length > next);
        assert.ok(s.held.length - next <= 2, `never more than 2 at once (${s.held.length - next} held)`);
        order.push(s.held[next].n);
        s.held[next].release();
      }
      assert.deepEqual((await Promise.all(answers)).map((a) => a.status), [200, 200, 200, 200, 200]);
      assert.deepEqual(s.held.map((h) => h.waited), [false, false, true, true, true], 'the other three waited');
      assert.deepEqual(order, s.reached, 'and got in in the order they reached the server');
      assert.equal(s.gate.waiting(), 0);
    } finally {
      await s.close();
    }
  });

  it('does not hold pages (sign-in, the push long poll) behind token requests', async () => {
    const s = await heldServer({ inFlight: 1 });
    try {
      const token = s.send('/token?x=1', 0);
      await s.until(() => s.held.length === 1);
      const page = s.send('/interaction/abc', 1);
      await s.until(() => s.held.length === 2);
      assert.deepEqual(s.held.map((h) => h.path), ['/token?x=1', '/interaction/abc']);
      s.held.forEach((h) => h.release());
      assert.deepEqual([(await token).status, (await page).status], [200, 200]);
    } finally {
      await s.close();
    }
  });

  it('does not work for a client that hung up while it waited', async () => {
    const s = await heldServer({ inFlight: 1 });
    try {
      const first = s.send('/token', 0);
      await s.until(() => s.held.length === 1);
      let gone!: http.ClientRequest;
      const abandoned = s.send('/token/introspection', 1, (req) => (gone = req)).catch(() => 'hung up');
      await s.until(() => s.gate.waiting() === 1);
      gone.destroy();
      assert.equal(await abandoned, 'hung up');
      const third = s.send('/token', 2);
      await s.until(() => s.gate.waiting() === 2);
      s.held[0].release();
      await s.until(() => s.held.length === 2);
      assert.deepEqual(s.held.map((h) => h.n), ['0', '2'], 'the abandoned request was skipped');
      s.held[1].release();
      assert.deepEqual([(await first).status, (await third).status], [200, 200]);
    } finally {
      await s.close();
    }
  });

  it('refuses a request that waited too long when its turn comes, without working on it', async () => {
    let refused = 0;
    const s = await heldServer({ inFlight: 1, waitMaxMs: 0, onRefused: () => refused++ });
    try {
      const first = s.send('/token', 0);
      await s.until(() => s.held.length === 1);
      const late = s.send('/token', 1);
      await s.until(() => s.gate.waiting() === 1);
      s.held[0].release();
      assertRefused(await late);
      assert.equal(s.held.length, 1, 'the handler never saw it');
      assert.equal(refused, 1);
      assert.equal((await first).status, 200);
    } finally {
      await s.close();
    }
  });

  it('refuses a request at once with 503 temporarily_unavailable and Retry-After when too many wait', async () => {
    let refused = 0;
    const s = await heldServer({ inFlight: 1, waitingMax: 1, onRefused: () => refused++ });
    try {
      const first = s.send('/token', 0);
      await s.until(() => s.held.length === 1);
      const second = s.send('/token', 1);
      await s.until(() => s.gate.waiting() === 1);
      assertRefused(await s.send('/token', 2));
      assert.equal(refused, 1);
      s.held[0].release();
      await s.until(() => s.held.length === 2);
      s.held[1].release();
      assert.deepEqual([(await first).status, (await second).status], [200, 200], 'the queued one still got in');
    } finally {
      await s.close();
    }
  });
});
