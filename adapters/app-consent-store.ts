// Remembered consents (application_consents): one row per person and application.
import type { Knex } from 'knex';
import type { AppConsent, AppConsentStore } from '../accounts/app-consents.ts';

type Row = { client_id: string; scopes: string; claims: unknown; granted_at: Date | string; updated_at: Date | string; metadata?: unknown };

const toConsent = (r: Row): AppConsent => {
  const metadata = (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata) as Record<string, unknown> | undefined;
  const claims = typeof r.claims === 'string' ? JSON.parse(r.claims) : r.claims;
  return {
    clientId: r.client_id,
    clientName: String(metadata?.client_name ?? r.client_id),
    scopes: r.scopes.split(' ').filter(Boolean),
    claims: Array.isArray(claims) ? claims.map(String) : [],
    grantedAt: new Date(r.granted_at),
    updatedAt: new Date(r.updated_at),
  };
};

export function createKnexAppConsentStore(knex: Knex): AppConsentStore {
  return {
    async find(accountId, clientId) {
      const row: Row | undefined = await knex('application_consents as c')
        .join('oidc_clients as o', 'o.client_id', 'c.client_id')
        .where({ 'c.account_id': accountId, 'c.client_id': clientId })
        .first('c.*', 'o.metadata');
      return row ? toConsent(row) : undefined;
    },
    async remember(accountId, clientId, scopes, claims) {
      await knex.transaction(async (trx) => {
        const row: Row | undefined = await trx('application_consents').where({ account_id: accountId, client_id: clientId }).forUpdate().first('*');
        if (!row) {
          await trx('application_consents').insert({ account_id: accountId, client_id: clientId, scopes: [...new Set(scopes)].join(' '), claims: JSON.stringify([...new Set(claims)]) });
          return;
        }
        const current = toConsent(row);
        const allScopes = [...new Set([...current.scopes, ...scopes])];
        const allClaims = [...new Set([...current.claims, ...claims])];
        if (allScopes.length === current.scopes.length && allClaims.length === current.claims.length) return;
        await trx('application_consents')
          .where({ account_id: accountId, client_id: clientId })
          .update({ scopes: allScopes.join(' '), claims: JSON.stringify(allClaims), updated_at: trx.fn.now() });
      });
    },
    async list(accountId) {
      const rows: Row[] = await knex('application_consents as c')
        .join('oidc_clients as o', 'o.client_id', 'c.client_id')
        .where({ 'c.account_id': accountId })
        .orderBy('c.updated_at', 'desc')
        .select('c.*', 'o.metadata');
      return rows.map(toConsent);
    },
    async forget(accountId, clientId) {
      const deleted = await knex('application_consents').where({ account_id: accountId, client_id: clientId }).del();
      return Number(typeof deleted === 'number' ? deleted : (deleted as { rowCount?: number }).rowCount ?? 0) > 0;
    },
  };
}
