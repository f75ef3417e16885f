// Names for the ids the audit log records (accounts/audit.ts AuditNames): an account's username, a
// client's name (connected apps and relying parties), an identity provider's name. One query per
// kind for a whole page of events. Identity providers are named only within their organization.
import type { Knex } from 'knex';
import type { AuditName, AuditNames } from '../accounts/audit.ts';
import { isUuid } from './account-store.ts';

export function createAuditNames(knex: Knex): AuditNames {
  return {
    async resolve(organizationId, ids) {
      const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id.length > 0))];
      const out = new Map<string, AuditName>();
      if (wanted.length === 0) return out;
      const uuids = wanted.filter(isUuid);
      if (uuids.length) {
        const accounts: { id: string; username: string }[] = await knex('accounts').whereIn('id', uuids).select('id', 'username');
        for (const a of accounts) out.set(a.id, { kind: 'user', name: a.username });
        const idps: { id: string; name: string }[] = await knex('identity_providers').whereIn('id', uuids).andWhere({ organization_id: organizationId }).select('id', 'name');
        for (const i of idps) out.set(i.id, { kind: 'identity_provider', name: i.name });
      }
      const others = wanted.filter((id) => !out.has(id));
      if (others.length) {
        const clients: { client_id: string; metadata: Record<string, unknown> | string }[] = await knex('oidc_clients').whereIn('client_id', others).select('client_id', 'metadata');
        for (const c of clients) {
          const m = typeof c.metadata === 'string' ? JSON.parse(c.metadata) : c.metadata;
          out.set(c.client_id, { kind: 'app', name: String(m.client_name ?? c.client_id) });
        }
      }
      return out;
    },
    async accountIdOf(username) {
      const row = await knex('accounts').whereRaw('lower(username) = lower(?)', [username]).first('id');
      return row?.id;
    },
  };
}
