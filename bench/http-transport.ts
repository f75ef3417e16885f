// The sign-in load generator's HTTP: node:http over keep-alive connections, as the client-credentials
// generator (load.ts) does. fetch costs the generator several ms of CPU per sign-in, CPU the server
// shares on this box. One agent per server URL origin, so connections are reused across sign-ins.
import http from 'node:http';
import type { Transport } from '../test/helpers/browserless-user.ts';

const agents = new Map<string, http.Agent>();

export const keepAliveTransport: Transport = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    let agent = agents.get(target.origin);
    if (!agent) agents.set(target.origin, (agent = new http.Agent({ keepAlive: true, maxSockets: 64 })));
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: init.method, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const setCookie = res.headers['set-cookie'] ?? [];
        resolve({ status: res.statusCode ?? 0, setCookies: setCookie, location: res.headers.location, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });

/** Closes the idle connections (end of a run). */
export function closeTransport() {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}
