// The admin API's user sessions (issue 13): a user's active sessions, "Sign out" one, "Sign out
// everywhere". Same shape as routes.ts; the user service checks the permission (users:read to see,
// users:manage and a higher role to end) and the organization (another organization's user is 404).
// Ending a session ends it in every process, revokes the refresh and access tokens issued in it, and
// sends back-channel logout to its apps (accounts/account-sessions.ts).
import { z } from 'zod';
import 'zod-openapi';
import type { SessionView } from '../../accounts/account-sessions.ts';
import type { UserAdmin } from '../../accounts/user-admin.ts';
import { route, type Route } from './route.ts';
import { idParams } from './schemas.ts';

const timestamp = z.iso.datetime({ offset: true }).nullable();

export const sessionSchema = z
  .object({
    id: z.string().meta({ description: 'The session’s identifier (not its cookie): what DELETE takes' }),
    device: z.string().meta({ description: 'Browser and system, read from the User-Agent at sign-in', example: 'Firefox 121 on Windows 10' }),
    browser: z.string().nullable(),
    system: z.string().nullable(),
    ip: z.string().nullable().meta({ description: 'The address the session signed in from' }),
    place: z.string().nullable().meta({ description: 'What the address itself says (loopback, private network); null for public addresses (no geolocation)' }),
    signedInAt: timestamp,
    lastActiveAt: timestamp,
    how: z.string().meta({ description: 'Password and which second factor, or which identity provider', example: 'Password and authenticator app' }),
    apps: z.array(z.string()).meta({ description: 'Names of the apps signed in through this session' }),
  })
  .meta({ id: 'Session' });
const sessionList = z.object({ items: z.array(sessionSchema) }).meta({ id: 'SessionList' });
const sessionParams = idParams.extend({ sessionId: z.string().max(128).meta({ description: 'A session id from the list' }) });
const endedSchema = z.object({ ended: z.number().int().meta({ description: 'How many sessions were signed out' }) }).meta({ id: 'SessionsEnded' });

const iso = (d: Date | null) => (d ? d.toISOString() : null);
export const sessionDto = (v: SessionView) => ({
  id: v.uid,
  device: v.device,
  browser: v.browser,
  system: v.system,
  ip: v.ip,
  place: v.place,
  signedInAt: iso(v.signedInAt),
  lastActiveAt: iso(v.lastActiveAt),
  how: v.how,
  apps: v.apps,
});

export function userSessionRoutes(users: UserAdmin): Route[] {
  return [
    route({
      method: 'get', path: '/users/:id/sessions', operationId: 'listUserSessions', tag: 'Users', permission: 'users:read',
      summary: 'The user’s active sessions: device, address, when, how and apps', params: idParams, status: 200, response: sessionList,
      async handler({ principal, params }) {
        return { items: (await users.listSessions(principal, params.id)).map(sessionDto) };
      },
    }),
    route({
      method: 'delete', path: '/users/:id/sessions/:sessionId', operationId: 'endUserSession', tag: 'Users', permission: 'users:manage',
      summary: 'Sign out one session: it ends in every process, its refresh tokens are revoked, its apps get back-channel logout',
      params: sessionParams, status: 204, errors: { 404: 'session.not_found' },
      async handler({ principal, params }) {
        await users.endSession(principal, params.id, params.sessionId);
      },
    }),
    route({
      method: 'delete', path: '/users/:id/sessions', operationId: 'endAllUserSessions', tag: 'Users', permission: 'users:manage',
      summary: 'Sign out everywhere: every session of the user (as DELETE of each)', params: idParams, status: 200, response: endedSchema,
      async handler({ principal, params }) {
        return { ended: await users.endAllSessions(principal, params.id) };
      },
    }),
  ];
}
