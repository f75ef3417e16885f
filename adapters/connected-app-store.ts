// Connected apps as rows of oidc_clients (the provider finds them like any client), tied to their
// organization by the organization_id column and the client's `organization_id` metadata.
import type { Knex } from 'knex';
import type { ConnectedApp, ConnectedAppStore } from '../accounts/connected-apps.ts';
import type { Permission } from '../accounts/permissions.ts';
import { hashClientSecret } from './client-store.ts';

type Row = { client_id: string; metadata: Record<string, unknown> | string; organization_id: string | null; created_at: Date | string };

const toApp = (r: Row): ConnectedApp | undefined => {
  const m = typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata;
  if (!r.organization_id || m.connected_app !== true) return undefined;
  return {
    clientId: r.client_id,
    name: String(m.client_name ?? r.client_id),
    scopes: String(m.scope ?? '').split(' ').filter(Boolean) as Permission[],
    organizationId: r.organization_id,
    createdAt: new Date(r.created_at),
  };
};

export function createKnexConnectedAppStore(knex: Knex): ConnectedAppStore {
  return {
    async create(app) {
      const metadata = {
        client_id: app.clientId,
        client_secret: hashClientSecret(app.secret),
        client_name: app.name,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: app.scopes.join(' '),
        organization_id: app.organizationId,
        first_party: false,
        connected_app: true,
      };
      const [row] = await knex('oidc_clients')
        .insert({ client_id: app.clientId, metadata: JSON.stringify(metadata), organization_id: app.organizationId })
        .returning('*');
      return toApp(row)!;
    },
    async find(clientId) {
      const row: Row | undefined = await knex('oidc_clients').where({ client_id: clientId }).first('*');
      return row ? toApp(row) : undefined;
    },
    async list(organizationId, query) {
      const q = knex('oidc_clients').where({ organization_id: organizationId }).whereRaw("metadata->>'connected_app' = 'true'");
      if (query.after) q.andWhere('client_id', '>', query.after);
      const rows: Row[] = await q.orderBy('client_id').limit(query.limit).select('*');
      return rows.map(toApp).filter((a): a is ConnectedApp => a !== undefined);
    },
    async setSecret(clientId, secret) {
      await knex('oidc_clients')
        .where({ client_id: clientId })
        .update({ metadata: knex.raw(`jsonb_set(metadata, '{client_secret}', to_jsonb(?::text))`, [hashClientSecret(secret)]) });
    },
    async remove(clientId) {
      await knex('oidc_clients').where({ client_id: clientId }).delete();
    },
  };
}
