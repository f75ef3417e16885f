// Which provider grants belong to which application, so deleting an app (or a person's "Remove
// access") can revoke its grants and tokens and drop its entry from the person's sessions.
// oidc-provider keys its state by id only (SQL or Redis), so the Grant adapter is wrapped: every
// save records (grant, client, account) in client_grants.
import type { Knex } from 'knex';
import { delegateTo, type StateAdapterFactory } from './state-adapter.ts';
import { compileQuery } from './compiled-query.ts';

// Written at the first save of every grant.
const recordGrant = compileQuery((knex, param) =>
  knex('client_grants').insert({ grant_id: param(0), client_id: param(1), account_id: param(2) }).onConflict('grant_id').ignore(),
);

/** Models holding tokens of a grant (the same set oidc-provider's revoke helper clears). */
const GRANT_TOKEN_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'];

/** Wraps the provider's adapter factory so Grant saves are indexed by client. */
export function indexClientGrants(factory: StateAdapterFactory, knex: Knex): StateAdapterFactory {
  const seen = new Set<string>();
  return (model) => {
    const inner = factory(model);
    if (model !== 'Grant') return inner;
    return {
      ...delegateTo(inner),
      async upsert(id, payload, expiresIn) {
        await inner.upsert(id, payload, expiresIn);
        if (typeof payload.clientId !== 'string' || typeof payload.accountId !== 'string' || seen.has(id)) return;
        await recordGrant(knex, [id, payload.clientId, payload.accountId]);
        if (seen.size > 10_000) seen.clear();
        seen.add(id);
      },
      async destroy(id) {
        await inner.destroy(id);
        seen.delete(id);
        await knex('client_grants').where({ grant_id: id }).del();
      },
    };
  };
}

/** Revokes what an application holds, for everyone (app deleted) or for one person (access removed). */
export function createClientRevocation(deps: { knex: Knex; stateAdapter: StateAdapterFactory }) {
  const { knex } = deps;
  const adapter = (model: string) => deps.stateAdapter(model);

  async function revokeGrants(rows: { grant_id: string; account_id: string }[], clientId: string) {
    for (const row of rows) {
      for (const model of GRANT_TOKEN_MODELS) await adapter(model).revokeByGrantId(row.grant_id);
      await adapter('Grant').destroy(row.grant_id);
    }
    await knex('client_grants').whereIn('grant_id', rows.map((r) => r.grant_id)).del();
    for (const accountId of new Set(rows.map((r) => r.account_id))) await dropFromSessions(accountId, clientId);
    return rows.length;
  }

  /** The app's entry (and so its sid and grant) leaves each of the person's live sessions. */
  async function dropFromSessions(accountId: string, clientId: string) {
    const sessions: { id: string }[] = await knex('account_provider_state').where({ model: 'Session', account_id: accountId }).select('id');
    for (const { id } of sessions) {
      const session = await adapter('Session').find(id);
      const authorizations = session?.authorizations as Record<string, unknown> | undefined;
      if (!session || session.accountId !== accountId || !authorizations || !(clientId in authorizations)) continue;
      delete authorizations[clientId];
      const remaining = typeof session.exp === 'number' ? session.exp - Math.floor(Date.now() / 1000) : undefined;
      if (remaining !== undefined && remaining <= 0) continue;
      await adapter('Session').upsert(id, session, remaining);
    }
  }

  return {
    /** Every grant, token and session entry of the application. */
    async revokeClient(clientId: string) {
      const rows = await knex('client_grants').where({ client_id: clientId }).select('grant_id', 'account_id');
      return revokeGrants(rows, clientId);
    },
    /** One person's grants, tokens and session entries for the application. */
    async revokeAccountClient(accountId: string, clientId: string) {
      const rows = await knex('client_grants').where({ client_id: clientId, account_id: accountId }).select('grant_id', 'account_id');
      return revokeGrants(rows, clientId);
    },
  };
}

export type ClientRevocation = ReturnType<typeof createClientRevocation>;
