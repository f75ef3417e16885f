// Which provider sessions and grants belong to an account, so a password reset can end them all.
// oidc-provider keys its state by id only (SQL or Redis adapter), so the state adapter is wrapped:
// every Session or Grant save that names an account also records (model, id, account) in the
// account_provider_state table. Revocation then destroys each session and revokes each grant's
// tokens (access, refresh, codes) through the same adapter the provider uses.
import type { Knex } from 'knex';
import type { SessionRevoker } from '../accounts/session-revocation.ts';
import { SESSION_ABSOLUTE_TTL, GRANT_TTL } from '../accounts/security-constants.ts';
import { isUuid } from './account-store.ts';
import { delegateTo, type StateAdapterFactory } from './state-adapter.ts';
import { compileQuery } from './compiled-query.ts';

export type { StateAdapter } from './state-adapter.ts';


const INDEXED = new Set(['Session', 'Grant']);
/** Models holding tokens of a grant (oidc-provider's revoke helper revokes the same set). */
export const GRANT_TOKEN_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'];
/** Index rows older than any session or grant can live are swept. */
const INDEX_RETENTION_SECONDS = Math.max(SESSION_ABSOLUTE_TTL, GRANT_TTL);
/** Saves of a known (model, id, account) are not written again; the provider re-saves sessions on every use. */
const SEEN_LIMIT = 10_000;
const FOREIGN_KEY_VIOLATION = '23503';

// Written at the first save of every session and grant (a sign-in writes two).
const recordState = compileQuery((knex, param) =>
  knex('account_provider_state')
    .insert({ model: param(0), id: param(1), account_id: param(2), uid: param(3) })
    .onConflict(['model', 'id'])
    .merge({ account_id: param(2), uid: param(3) }),
);

export function createAccountStateIndex(knex: Knex) {
  const seen = new Set<string>();
  return {
    async record(model: string, id: string, accountId: string, uid: string | null) {
      const key = `${model}:${id}:${accountId}`;
      if (seen.has(key) || !isUuid(accountId)) return;
      try {
        await recordState(knex, [model, id, accountId, uid]);
      } catch (err) {
        // The account was deleted: nothing of it is left to revoke, and the provider's save must not fail.
        if ((err as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw err;
        return;
      }
      if (seen.size >= SEEN_LIMIT) seen.clear();
      seen.add(key);
    },
    async list(accountId: string): Promise<{ model: string; id: string; uid: string | null }[]> {
      await knex('account_provider_state')
        .where({ account_id: accountId })
        .andWhere('created_at', '<', knex.raw(`now() - make_interval(secs => ?)`, [INDEX_RETENTION_SECONDS]))
        .del();
      return knex('account_provider_state').where({ account_id: accountId }).select('model', 'id', 'uid');
    },
    async forget(model: string, id: string) {
      for (const key of seen) if (key.startsWith(`${model}:${id}:`)) seen.delete(key);
      await knex('account_provider_state').where({ model, id }).del();
    },
  };
}

export type AccountStateIndex = ReturnType<typeof createAccountStateIndex>;

/** Wraps the provider's adapter factory so Session and Grant saves are indexed by account. */
export function indexAccountState(factory: StateAdapterFactory, index: AccountStateIndex): StateAdapterFactory {
  return (model) => {
    const inner = factory(model);
    if (!INDEXED.has(model)) return inner;
    return {
      ...delegateTo(inner),
      async upsert(id, payload, expiresIn) {
        await inner.upsert(id, payload, expiresIn);
        if (typeof payload.accountId === 'string') {
          await index.record(model, id, payload.accountId, typeof payload.uid === 'string' ? payload.uid : null);
        }
      },
    };
  };
}

/** Ends an account's sessions and revokes its grants through the provider's state adapter. */
export function createSessionRevoker(deps: { index: AccountStateIndex; stateAdapter: StateAdapterFactory }): SessionRevoker {
  const adapter = (model: string) => deps.stateAdapter(model);
  return {
    async revokeAccount(accountId, options = {}) {
      const rows = await deps.index.list(accountId);
      const keptGrants = new Set<string>();
      let sessions = 0;
      let grants = 0;
      for (const row of rows.filter((r) => r.model === 'Session')) {
        const session = await adapter('Session').find(row.id);
        // The index can be stale (the browser signed in as someone else since): check the owner.
        if (session && session.accountId === accountId) {
          if (options.keepSessionUid && session.uid === options.keepSessionUid) {
            const authorizations = (session.authorizations ?? {}) as Record<string, { grantId?: string }>;
            for (const a of Object.values(authorizations)) if (a?.grantId) keptGrants.add(a.grantId);
            continue;
          }
          await adapter('Session').destroy(row.id);
          sessions++;
        }
        await deps.index.forget('Session', row.id);
      }
      for (const row of rows.filter((r) => r.model === 'Grant')) {
        if (keptGrants.has(row.id)) continue;
        const grant = await adapter('Grant').find(row.id);
        if (grant && grant.accountId === accountId) {
          for (const model of GRANT_TOKEN_MODELS) await adapter(model).revokeByGrantId(row.id);
          await adapter('Grant').destroy(row.id);
          grants++;
        }
        await deps.index.forget('Grant', row.id);
      }
      return { sessions, grants };
    },
  };
}
