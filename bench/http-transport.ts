// The sign-in load generator's HTTP: load.ts's node:http `send` over keep-alive connections, as the
// client-credentials generator does. fetch costs the generator several ms of CPU per sign-in, CPU the
// server shares on this box. One agent per server origin, so connections are reused across sign-ins.
import type http from 'node:http';
import type { Transport } from '../test/helpers/browserless-user.ts';
import { keepAliveAgent, send } from './load.ts';

const agents = new Map<string, http.Agent>();

export const keepAliveTransport: Transport = async (url, init) => {
  const target = new URL(url);
  let agent = agents.get(target.origin);
  if (!agent) agents.set(target.origin, (agent = keepAliveAgent(64)));
  const response = await send(agent, target, { method: init.method, path: target.pathname + target.search, headers: init.headers, body: init.body }, true);
  return { status: response.status, setCookies: response.headers['set-cookie'] ?? [], location: response.headers.location, body: response.body };
};
