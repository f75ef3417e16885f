// Connected apps: client-credentials clients that belong to one organization and call the admin API
// with the permissions they were granted as scopes. The secret is shown once, at creation and at
// rotation, and stored only as a digest.
import { randomBytes } from 'node:crypto';
import { AccessDenied, assertCan, notFound, type Principal } from './access.ts';
import type { AuditLog } from './audit.ts';
import { ValidationError } from './errors.ts';
import { APP_PERMISSIONS, type Permission } from './permissions.ts';

export type ConnectedApp = { clientId: string; name: string; scopes: Permission[]; organizationId: string; createdAt: Date };

export type ConnectedAppStore = {
  /** Registers a client-credentials client; the plain secret is hashed before it is stored. */
  create(app: { clientId: string; name: string; scopes: Permission[]; organizationId: string; secret: string }): Promise<ConnectedApp>;
  find(clientId: string): Promise<ConnectedApp | undefined>;
  list(organizationId: string, query: { after?: string; limit: number }): Promise<ConnectedApp[]>;
  setSecret(clientId: string, secret: string): Promise<void>;
  remove(clientId: string): Promise<void>;
};

/** 256-bit secrets: a fast digest is enough to store them (see adapters/client-store.ts). */
export const newAppSecret = () => randomBytes(32).toString('base64url');

export function createConnectedApps(deps: { apps: ConnectedAppStore; audit: AuditLog }) {
  const { apps, audit } = deps;
  const record = (p: Principal, action: string, target: string, details?: Record<string, unknown>) =>
    audit.record({ actor: p.id, action, target, organizationId: p.organizationId, outcome: 'success', ip: p.ip, userAgent: p.userAgent, details });

  async function appOf(p: Principal, clientId: string) {
    assertCan(p, 'apps:manage');
    const app = await apps.find(clientId);
    if (!app || app.organizationId !== p.organizationId) throw notFound('connected_app');
    return app;
  }

  return {
    async list(p: Principal, query: { after?: string; limit: number }) {
      assertCan(p, 'apps:manage');
      return apps.list(p.organizationId, query);
    },
    get: appOf,

    /** Returns the app and its secret: the only time the secret is readable. */
    async create(p: Principal, input: { name: string; scopes: string[] }) {
      assertCan(p, 'apps:manage');
      const name = input.name.trim();
      const violations = [];
      if (name.length < 1 || name.length > 100) violations.push({ field: 'name', code: 'app.name_invalid', message: 'Name the app (1 to 100 characters).' });
      const unknown = input.scopes.filter((s) => !(APP_PERMISSIONS as readonly string[]).includes(s));
      if (unknown.length) violations.push({ field: 'scopes', code: 'app.scope_invalid', message: `Unknown or ungrantable scopes: ${unknown.join(', ')}.` });
      if (input.scopes.length === 0) violations.push({ field: 'scopes', code: 'app.scope_required', message: 'Grant the app at least one scope.' });
      if (violations.length) throw new ValidationError(violations);
      const scopes = [...new Set(input.scopes)] as Permission[];
      // Nobody grants more than they hold.
      const beyond = scopes.filter((s) => !p.permissions.has(s));
      if (beyond.length) throw new AccessDenied(`You cannot grant permissions you do not have: ${beyond.join(', ')}.`);
      const secret = newAppSecret();
      const app = await apps.create({ clientId: `app_${randomBytes(12).toString('base64url')}`, name, scopes, organizationId: p.organizationId, secret });
      await record(p, 'app.create', app.clientId, { name, scopes });
      return { app, clientSecret: secret };
    },

    async rotateSecret(p: Principal, clientId: string) {
      const app = await appOf(p, clientId);
      const secret = newAppSecret();
      await apps.setSecret(app.clientId, secret);
      await record(p, 'app.rotate_secret', app.clientId);
      return { app, clientSecret: secret };
    },

    async remove(p: Principal, clientId: string) {
      const app = await appOf(p, clientId);
      await apps.remove(app.clientId);
      await record(p, 'app.delete', app.clientId, { name: app.name });
    },
  };
}

export type ConnectedApps = ReturnType<typeof createConnectedApps>;
