// Managing applications (web, single-page, native, service) of an organization: the service the
// admin API and pages call with a Principal, and the operator's (CLI's) cross-organization door.
// Every change is validated whole before it is written (never stored half), audited, and announced
// so every Gatehouse process drops its cached client at once. Secrets are shown once and stored as
// digests; deleting an app also revokes its grants, tokens and consents (`retire`).
import { randomBytes } from 'node:crypto';
import { AccessDenied, assertCan, notFound, type Principal } from './access.ts';
import type { AuditAction, AuditLog } from './audit.ts';
import { DomainError, ValidationError, violation } from './errors.ts';
import { APP_PERMISSIONS } from './permissions.ts';
import {
  CLIENT_ID_PATTERN,
  defaultFields,
  isConfidential,
  validateApplication,
  type Application,
  type ApplicationFields,
  type ApplicationKind,
} from './application.ts';

export type ApplicationStore = {
  /** 'exists' when the client id is taken (never overwrites). */
  insert(app: Application, secret: string | null): Promise<'created' | 'exists'>;
  find(clientId: string): Promise<Application | undefined>;
  /** organizationId null lists the operator's apps; undefined lists every app (CLI). */
  list(query: { organizationId?: string | null; kind?: 'service'; after?: string; limit: number }): Promise<Application[]>;
  /** Replaces the fields (the secret stays); undefined when the app is gone. */
  update(clientId: string, fields: ApplicationFields): Promise<Application | undefined>;
  /** Stores the digest of the new plain secret. */
  setSecret(clientId: string, secret: string): Promise<void>;
  remove(clientId: string): Promise<boolean>;
};

/** 256-bit secrets: a fast digest is enough to store them (see adapters/client-store.ts). */
export const newClientSecret = () => randomBytes(32).toString('base64url');
const newClientId = () => `app_${randomBytes(12).toString('base64url')}`;

export type ApplicationPatch = Partial<ApplicationFields>;

/** Who acts: a person or app of one organization, or the operator on the box (CLI). */
type Actor = { principal: Principal } | { operator: true };

export function createApplications(deps: {
  store: ApplicationStore;
  audit: AuditLog;
  /** Evicts the client from every process's cache (Redis pub/sub). */
  announce: (clientId: string) => void | Promise<void>;
  /** Revokes what the deleted app held: grants, tokens, sessions' entries, consents. */
  retire?: (clientId: string) => Promise<void>;
  /** Extra check with oidc-provider's own client schema, so a stored app always loads. */
  checkMetadata?: (app: Application) => Promise<string | undefined>;
}) {
  const { store, audit } = deps;

  async function record(actor: Actor, action: AuditAction, app: Application, details?: Record<string, unknown>) {
    const p = 'principal' in actor ? actor.principal : undefined;
    await audit.record({
      actor: p ? p.id : 'cli',
      action,
      target: app.clientId,
      organizationId: app.organizationId,
      outcome: 'success',
      ip: p?.ip,
      userAgent: p?.userAgent,
      details,
    });
  }

  function canManage(actor: Actor) {
    if ('principal' in actor) assertCan(actor.principal, 'apps:manage');
  }

  async function appOf(actor: Actor, clientId: string) {
    canManage(actor);
    const app = await store.find(clientId);
    if (!app || ('principal' in actor && app.organizationId !== actor.principal.organizationId)) throw notFound('application');
    return app;
  }

  async function validate(kind: ApplicationKind, fields: ApplicationFields, actor: Actor, clientId: string, organizationId: string | null) {
    const violations = validateApplication(kind, fields);
    if (violations.length) throw new ValidationError(violations);
    if ('principal' in actor && kind === 'service') {
      // Nobody grants more than they hold.
      const beyond = fields.scopes.filter((s) => !actor.principal.permissions.has(s as never));
      if (beyond.length) throw new AccessDenied({ code: 'access.reason.grant_beyond_own', vars: { permissions: beyond.join(', ') } });
    }
    const candidate: Application = { ...fields, name: fields.name.trim(), clientId, kind, organizationId, createdAt: new Date() };
    const problem = await deps.checkMetadata?.(candidate);
    if (problem) throw new ValidationError([violation('metadata', 'application.metadata_invalid', { detail: problem })]);
    return candidate;
  }

  /** A shared secret for the kinds that authenticate with one (not public clients, not private_key_jwt). */
  const secretFor = (kind: ApplicationKind, fields: ApplicationFields) =>
    isConfidential(kind) && fields.tokenEndpointAuthMethod !== 'private_key_jwt' ? newClientSecret() : null;

  return {
    async list(actor: Actor, query: { after?: string; limit: number; kind?: 'service' }) {
      canManage(actor);
      return store.list({ organizationId: 'principal' in actor ? actor.principal.organizationId : undefined, ...query });
    },

    get: appOf,

    /** Returns the app and its secret (confidential kinds): the only time the secret is readable. */
    async create(actor: Actor, input: { kind: ApplicationKind; clientId?: string; organizationId?: string | null; clientSecret?: string } & ApplicationPatch) {
      canManage(actor);
      const { kind, clientId: wanted, organizationId: org, clientSecret: givenSecret, ...patch } = input;
      const organizationId = 'principal' in actor ? actor.principal.organizationId : (org ?? null);
      const clientId = wanted ?? newClientId();
      if (!CLIENT_ID_PATTERN.test(clientId)) {
        throw new ValidationError([violation('clientId', 'application.client_id_invalid')]);
      }
      const fields: ApplicationFields = { ...defaultFields(kind), ...definedOnly(patch) };
      const app = await validate(kind, fields, actor, clientId, organizationId);
      if (givenSecret !== undefined && !isConfidential(kind)) {
        throw new ValidationError([violation('clientSecret', 'application.secret_unused')]);
      }
      if (givenSecret !== undefined && givenSecret.length < 32) {
        throw new ValidationError([violation('clientSecret', 'application.secret_too_short')]);
      }
      const secret = givenSecret ?? secretFor(kind, fields);
      if ((await store.insert(app, secret)) === 'exists') {
        throw new DomainError('application.exists', { status: 409, field: 'clientId', vars: { clientId } });
      }
      await deps.announce(clientId);
      await record(actor, 'application.create', app, { kind, name: app.name, scopes: app.scopes });
      return { app, clientSecret: secret };
    },

    /** Changes only the fields given; the whole result is validated before anything is written. */
    async update(actor: Actor, clientId: string, patch: ApplicationPatch) {
      const current = await appOf(actor, clientId);
      const { clientId: _id, kind, organizationId, createdAt, ...fields } = current;
      const merged: ApplicationFields = { ...fields, ...definedOnly(patch) };
      await validate(kind, merged, actor, clientId, organizationId);
      const updated = await store.update(clientId, { ...merged, name: merged.name.trim() });
      if (!updated) throw notFound('application');
      await deps.announce(clientId);
      const changed = Object.keys(definedOnly(patch)).filter((k) => JSON.stringify((current as Record<string, unknown>)[k]) !== JSON.stringify((updated as Record<string, unknown>)[k]));
      await record(actor, 'application.update', updated, { changed });
      if (patch.disabled !== undefined && patch.disabled !== current.disabled) {
        await record(actor, patch.disabled ? 'application.disable' : 'application.enable', updated);
      }
      return updated;
    },

    async rotateSecret(actor: Actor, clientId: string) {
      const app = await appOf(actor, clientId);
      if (!isConfidential(app.kind)) {
        throw new DomainError('application.no_secret', { status: 409 });
      }
      const secret = newClientSecret();
      await store.setSecret(app.clientId, secret);
      await deps.announce(app.clientId);
      await record(actor, 'application.rotate_secret', app);
      return { app, clientSecret: secret };
    },

    async remove(actor: Actor, clientId: string) {
      const app = await appOf(actor, clientId);
      // Revoke first: once the row is gone nothing can find what the app held.
      await deps.retire?.(app.clientId);
      await store.remove(app.clientId);
      await deps.announce(app.clientId);
      await record(actor, 'application.delete', app, { name: app.name, kind: app.kind });
    },
  };
}

export type Applications = ReturnType<typeof createApplications>;
export type { Actor as ApplicationActor };

/** Service applications' grantable permissions (the API shows them; the CLI names them). */
export const SERVICE_PERMISSIONS = APP_PERMISSIONS;

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
