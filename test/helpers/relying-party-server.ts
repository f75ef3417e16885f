// A relying party's redirect URI for browser tests: a local HTTP server that answers 200
// "callback received" and remembers every URL it was sent to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startRelyingParty() {
  const received: URL[] = [];
  const server = http.createServer((req, res) => {
    received.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('callback received');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type RelyingPartyServer = Awaited<ReturnType<typeof startRelyingParty>>;
