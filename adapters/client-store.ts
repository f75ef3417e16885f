// Registered clients (relying parties and connected apps). Secrets are stored as SHA-256
// digests: they are 256-bit random values, so a fast hash is enough, and a database leak
// does not leak usable secrets. The provider compares digests (see server/provider.ts).
import { isStorableText } from './storable-text.ts';
import { hash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

export type ClientMetadata = Record<string, unknown> & { client_id: string };

export function hashClientSecret(secret: string): string {
  return 'sha256:' + hash('sha256', secret, 'base64url'); // one-shot: no Hash object per token request
}

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function createClientStore(knex: Knex) {
  return {
    async find(clientId: string): Promise<ClientMetadata | undefined> {
      if (!isStorableText(clientId)) return undefined;
      const row = await knex('oidc_clients').where({ client_id: clientId }).first('metadata');
      return row?.metadata;
    },
    /** Stores a client; a plain `client_secret` is replaced by its digest before it is written. */
    async create(metadata: ClientMetadata, organizationId?: string | null) {
      const stored = { ...metadata };
      if (typeof stored.client_secret === 'string') stored.client_secret = hashClientSecret(stored.client_secret);
      await knex('oidc_clients')
        .insert({ client_id: metadata.client_id, metadata: JSON.stringify(stored), organization_id: organizationId ?? null })
        .onConflict('client_id')
        .merge();
    },
    async remove(clientId: string) {
      await knex('oidc_clients').where({ client_id: clientId }).delete();
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
