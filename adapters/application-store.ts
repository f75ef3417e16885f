// Applications as rows of oidc_clients: the metadata column is the OIDC client registration the
// provider reads (accounts/application.ts maps both ways), organization_id ties an app to its
// organization. Secrets are kept only as digests inside the metadata (client_secret).
import type { Knex } from 'knex';
import { fromClientMetadata, toClientMetadata, type Application } from '../accounts/application.ts';
import type { ApplicationStore } from '../accounts/applications.ts';
import { hashClientSecret } from './client-store.ts';

type Row = { client_id: string; metadata: Record<string, unknown> | string; organization_id: string | null; created_at: Date | string };

const metadataOf = (r: Row) => (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata) as Record<string, unknown>;
const toApp = (r: Row) => fromClientMetadata(metadataOf(r), { organizationId: r.organization_id, createdAt: new Date(r.created_at) });

const UNIQUE_VIOLATION = '23505';

export function createKnexApplicationStore(knex: Knex): ApplicationStore {
  return {
    async insert(app, secret) {
      const metadata = { ...toClientMetadata(app), ...(secret ? { client_secret: hashClientSecret(secret) } : {}) };
      try {
        const inserted = await knex('oidc_clients')
          .insert({ client_id: app.clientId, metadata: JSON.stringify(metadata), organization_id: app.organizationId })
          .onConflict('client_id')
          .ignore()
          .returning('client_id');
        return inserted.length === 1 ? 'created' : 'exists';
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) return 'exists';
        throw err;
      }
    },
    async find(clientId) {
      const row: Row | undefined = await knex('oidc_clients').where({ client_id: clientId }).first('*');
      return row ? toApp(row) : undefined;
    },
    async list(query) {
      const q = knex('oidc_clients');
      if (query.organizationId === null) q.whereNull('organization_id');
      else if (query.organizationId !== undefined) q.where({ organization_id: query.organizationId });
      // Service applications, including connected apps registered before applications had kinds.
      if (query.kind === 'service') q.andWhere((w) => w.whereRaw("metadata->>'gatehouse_kind' = 'service'").orWhereRaw("metadata->>'connected_app' = 'true'"));
      if (query.after) q.andWhere('client_id', '>', query.after);
      const rows: Row[] = await q.orderBy('client_id').limit(query.limit).select('*');
      return rows.map(toApp);
    },
    async update(clientId, fields) {
      return knex.transaction(async (trx) => {
        const row: Row | undefined = await trx('oidc_clients').where({ client_id: clientId }).forUpdate().first('*');
        if (!row) return undefined;
        const current = toApp(row);
        const next: Application = { ...current, ...fields };
        const stored = metadataOf(row);
        const metadata = { ...toClientMetadata(next), ...(typeof stored.client_secret === 'string' ? { client_secret: stored.client_secret } : {}) };
        await trx('oidc_clients').where({ client_id: clientId }).update({ metadata: JSON.stringify(metadata) });
        return next;
      });
    },
    async setSecret(clientId, secret) {
      await knex('oidc_clients')
        .where({ client_id: clientId })
        .update({ metadata: knex.raw(`jsonb_set(metadata, '{client_secret}', to_jsonb(?::text))`, [hashClientSecret(secret)]) });
    },
    async remove(clientId) {
      const deleted = await knex('oidc_clients').where({ client_id: clientId }).delete();
      return Number(typeof deleted === 'number' ? deleted : (deleted as { rowCount?: number }).rowCount ?? 0) > 0;
    },
  };
}
