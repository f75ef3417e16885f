// The account's provider sessions as people see them (accounts/account-sessions.ts), kept beside
// oidc-provider's own state in the same store (Redis in production, SQL embedded), under model names
// of our own, each entry living as long as a session can:
//   SessionDetails:<uid>   how and from where the session signed in (written at sign-in)
//   SessionActivity:<uid>  when a request last used it (written when the provider saves the session)
//   EndedSession:<uid>     a tombstone: this session was ended and may never be saved again
// Why the tombstone: a request that loaded the session before it was ended (in any process) saves
// it back when it finishes, which would bring it back to life. The saver writes then checks the
// tombstone; the ender writes the tombstone then destroys; whichever runs second removes the session.
import type { SessionDetails, SessionDirectory, SessionRecord } from '../accounts/account-sessions.ts';
import { GRANT_TOKEN_MODELS, type AccountStateIndex } from './account-state-index.ts';
import { delegateTo, type StatePayload, type StateAdapterFactory } from './state-adapter.ts';

const DETAILS = 'SessionDetails';
const ACTIVITY = 'SessionActivity';
const ENDED = 'EndedSession';
/** "Last active" is shown to the minute: one activity write per session per minute per process is enough. */
const ACTIVITY_RESOLUTION_SECONDS = 60;
const REMEMBERED_LIMIT = 10_000;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Wraps the provider's adapter factory: Session saves refuse ended sessions and record activity. */
export function trackSessions(factory: StateAdapterFactory, ttlSeconds: number): StateAdapterFactory {
  const ended = factory(ENDED);
  const activity = factory(ACTIVITY);
  const touched = new Map<string, number>();
  return (model) => {
    const inner = factory(model);
    if (model !== 'Session') return inner;
    return {
      ...delegateTo(inner),
      async upsert(id, payload, expiresIn) {
        await inner.upsert(id, payload, expiresIn);
        const uid = typeof payload.uid === 'string' ? payload.uid : undefined;
        if (!uid) return;
        if (await ended.find(uid)) {
          await inner.destroy(id);
          return;
        }
        if (typeof payload.accountId !== 'string') return;
        const now = nowSeconds();
        if (now - (touched.get(uid) ?? 0) < ACTIVITY_RESOLUTION_SECONDS) return;
        if (touched.size >= REMEMBERED_LIMIT) touched.clear();
        touched.set(uid, now);
        await activity.upsert(uid, { at: now }, ttlSeconds);
      },
    };
  };
}

function appsOf(payload: StatePayload): SessionRecord['apps'] {
  const authorizations = (payload.authorizations ?? {}) as Record<string, { sid?: unknown }>;
  return Object.entries(authorizations).map(([clientId, a]) => ({ clientId, sid: typeof a?.sid === 'string' ? a.sid : null }));
}

function grantIdsOf(payload: StatePayload): string[] {
  const authorizations = (payload.authorizations ?? {}) as Record<string, { grantId?: unknown }>;
  return Object.values(authorizations).map((a) => a?.grantId).filter((g): g is string => typeof g === 'string');
}

function detailsOf(found: StatePayload | undefined, accountId: string): SessionDetails | null {
  if (!found || found.accountId !== accountId) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    accountId,
    ip: str(found.ip),
    userAgent: str(found.userAgent),
    mfaMethod: str(found.mfaMethod),
    identityId: str(found.identityId),
    signedInAt: typeof found.signedInAt === 'number' ? found.signedInAt : 0,
  };
}

export function createSessionDirectory(deps: { index: AccountStateIndex; stateAdapter: StateAdapterFactory; ttlSeconds: number }) {
  const adapter = deps.stateAdapter;
  const sessions = () => adapter('Session');

  async function record(uid: string, payload: StatePayload, accountId: string): Promise<SessionRecord> {
    const activity = await adapter(ACTIVITY).find(uid);
    return {
      uid,
      accountId,
      loginTs: typeof payload.loginTs === 'number' ? payload.loginTs : null,
      amr: Array.isArray(payload.amr) ? payload.amr.filter((v): v is string => typeof v === 'string') : [],
      apps: appsOf(payload),
      details: detailsOf(await adapter(DETAILS).find(uid), accountId),
      lastActiveAt: typeof activity?.at === 'number' ? activity.at : null,
    };
  }

  /** The live session of the account with this uid; the index may be stale (the browser signed in as someone else). */
  async function live(accountId: string, uid: string): Promise<StatePayload | undefined> {
    const payload = await sessions().findByUid(uid);
    return payload && payload.accountId === accountId ? payload : undefined;
  }

  const directory: SessionDirectory & {
    saveDetails(uid: string, details: SessionDetails): Promise<void>;
    findDetails(uid: string, accountId: string): Promise<SessionDetails | null>;
  } = {
    async saveDetails(uid, details) {
      await adapter(DETAILS).upsert(uid, { ...details }, deps.ttlSeconds);
    },

    async findDetails(uid, accountId) {
      return detailsOf(await adapter(DETAILS).find(uid), accountId);
    },

    async listLive(accountId) {
      const rows = (await deps.index.list(accountId)).filter((r) => r.model === 'Session');
      const out: SessionRecord[] = [];
      const current = new Map<string, string>(); // uid → the session's id now
      for (const row of rows) {
        const uid = row.uid ?? (await sessions().find(row.id))?.uid;
        if (typeof uid !== 'string') continue;
        if (!current.has(uid)) {
          const payload = await live(accountId, uid);
          current.set(uid, typeof payload?.jti === 'string' ? payload.jti : '');
          if (payload) out.push(await record(uid, payload, accountId));
        }
      }
      // Rows of ended sessions, and of ids the provider rotated away from, are of no more use.
      for (const row of rows) {
        const uid = row.uid ?? '';
        if (current.get(uid) !== row.id) await deps.index.forget('Session', row.id);
      }
      return out;
    },

    async end(accountId, uid) {
      const payload = await live(accountId, uid);
      if (!payload) return undefined;
      const ended = await record(uid, payload, accountId);
      await adapter(ENDED).upsert(uid, { accountId, at: nowSeconds() }, deps.ttlSeconds);
      if (typeof payload.jti === 'string') await sessions().destroy(payload.jti);
      // The refresh and access tokens issued in this session belong to its grants (one per app).
      const grantIds = grantIdsOf(payload);
      for (const grantId of grantIds) {
        for (const model of GRANT_TOKEN_MODELS) await adapter(model).revokeByGrantId(grantId);
        await adapter('Grant').destroy(grantId);
        await deps.index.forget('Grant', grantId);
      }
      return { ...ended, grantsRevoked: grantIds.length };
    },
  };
  return directory;
}

export type ProviderSessionDirectory = ReturnType<typeof createSessionDirectory>;
