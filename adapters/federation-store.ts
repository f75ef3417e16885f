// knex implementation of the federation store (federation/federation-store.ts). SQL lives here and only here.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { normalizeEmail, normalizeUsername } from '../accounts/account-rules.ts';
import { DomainError } from '../accounts/errors.ts';
import type { AccountFacts, FederatedIdentity, FederationStore, NewIdentityProviderRow } from '../federation/federation-store.ts';
import { DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD, TOKEN_ENDPOINT_AUTH_METHODS, type ClaimMapping, type StoredIdentityProvider, type TokenEndpointAuthMethod } from '../federation/identity-provider.ts';
import { isUuid } from './account-store.ts';
import { compileQuery } from './compiled-query.ts';

type IdpRow = {
  id: string;
  organization_id: string;
  name: string;
  issuer: string;
  client_id: string;
  client_secret_sealed: string | null;
  scopes: string;
  claim_mapping: ClaimMapping | string;
  token_endpoint_auth_method: string;
  show_button: boolean;
  provision_users: boolean;
  enabled: boolean;
  created_at: Date | string;
  updated_at: Date | string;
};

type IdentityRow = {
  id: string;
  idp_id: string;
  issuer: string;
  subject: string;
  account_id: string;
  email: string | null;
  created_at: Date | string;
  last_used_at: Date | string | null;
};

const toIdp = (r: IdpRow): StoredIdentityProvider => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  issuer: r.issuer,
  clientId: r.client_id,
  hasClientSecret: r.client_secret_sealed !== null,
  clientSecretSealed: r.client_secret_sealed,
  scopes: r.scopes.split(' ').filter(Boolean),
  claimMapping: typeof r.claim_mapping === 'string' ? JSON.parse(r.claim_mapping) : r.claim_mapping,
  tokenEndpointAuthMethod: (TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(r.token_endpoint_auth_method) ? (r.token_endpoint_auth_method as TokenEndpointAuthMethod) : DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
  showButton: r.show_button,
  provisionUsers: r.provision_users,
  enabled: r.enabled,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const toIdentity = (r: IdentityRow): FederatedIdentity => ({
  id: r.id,
  idpId: r.idp_id,
  issuer: r.issuer,
  subject: r.subject,
  accountId: r.account_id,
  email: r.email,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
});

const idpColumns = (row: Partial<NewIdentityProviderRow>) => {
  const out: Record<string, unknown> = {};
  if (row.organizationId !== undefined) out.organization_id = row.organizationId;
  if (row.name !== undefined) out.name = row.name;
  if (row.issuer !== undefined) out.issuer = row.issuer;
  if (row.clientId !== undefined) out.client_id = row.clientId;
  if (row.clientSecretSealed !== undefined) out.client_secret_sealed = row.clientSecretSealed;
  if (row.scopes !== undefined) out.scopes = row.scopes.join(' ');
  if (row.claimMapping !== undefined) out.claim_mapping = JSON.stringify(row.claimMapping);
  if (row.tokenEndpointAuthMethod !== undefined) out.token_endpoint_auth_method = row.tokenEndpointAuthMethod;
  if (row.showButton !== undefined) out.show_button = row.showButton;
  if (row.provisionUsers !== undefined) out.provision_users = row.provisionUsers;
  if (row.enabled !== undefined) out.enabled = row.enabled;
  return out;
};

const UNIQUE_VIOLATION = '23505';

// Read by every local sign-in (the SSO check and the sign-in page's buttons), so compiled once.
// The organization as accountFacts finds it (the first membership's root) and that root's
// sso_required, in one round trip instead of accountFacts + settings (three statements).
const signInFacts = compileQuery<{ service_account: boolean; organization_id: string | null; sso_required: boolean | null }>((db, param) =>
  db
    .select('f.service_account', 'f.organization_id', 's.sso_required')
    .from(
      db('accounts as a')
        .where('a.id', param(0))
        .select(
          'a.service_account',
          db.raw(`(select coalesce(o.root_id, o.id) from memberships m join organizations o on o.id = m.organization_id
                   where m.account_id = a.id order by m.created_at limit 1) as organization_id`),
        )
        .as('f'),
    )
    .leftJoin('federation_settings as s', 's.organization_id', 'f.organization_id')
    .first(),
);
const buttonIdentityProviders = compileQuery<IdpRow>((db) =>
  db('identity_providers').where({ enabled: true, show_button: true }).orderBy([{ column: 'name' }, { column: 'created_at' }]).select('*'),
);

export function createKnexFederationStore(db: Knex | Knex.Transaction): FederationStore {
  /** Accounts with their root organization (through any membership) and whether they hold a password. */
  const facts = () =>
    db('accounts as a').select(
      'a.id',
      'a.username',
      'a.email',
      'a.email_verified',
      'a.name',
      'a.service_account',
      db.raw(`exists (select 1 from credentials c where c.account_id = a.id and c.type = 'password') as has_password`),
      db.raw(`(select coalesce(o.root_id, o.id) from memberships m join organizations o on o.id = m.organization_id
               where m.account_id = a.id order by m.created_at limit 1) as organization_id`),
    );
  type FactsRow = { id: string; username: string; email: string; email_verified: boolean; name: string | null; service_account: boolean; has_password: boolean; organization_id: string | null };
  const toFacts = (r: FactsRow): AccountFacts => ({
    id: r.id,
    username: r.username,
    email: r.email,
    emailVerified: r.email_verified,
    name: r.name,
    hasPassword: r.has_password,
    serviceAccount: r.service_account,
    organizationId: r.organization_id,
  });

  const store: FederationStore = {
    async transaction(work) {
      return (db as Knex).transaction(async (trx) => work(createKnexFederationStore(trx)));
    },
    async lockAccount(accountId) {
      await db('accounts').where({ id: accountId }).forUpdate().first('id');
    },

    async listIdentityProviders(organizationId) {
      if (!isUuid(organizationId)) return [];
      const rows: IdpRow[] = await db('identity_providers').where({ organization_id: organizationId }).orderBy([{ column: 'name' }, { column: 'created_at' }]);
      return rows.map(toIdp);
    },
    async findIdentityProvider(id) {
      if (!isUuid(id)) return undefined;
      const row: IdpRow | undefined = await db('identity_providers').where({ id }).first();
      return row ? toIdp(row) : undefined;
    },
    async listButtonIdentityProviders() {
      const rows = await buttonIdentityProviders(db, []);
      return rows.map(toIdp);
    },
    async createIdentityProvider(row) {
      const [created] = await db('identity_providers').insert({ id: randomUUID(), ...idpColumns(row) }).returning('*');
      return toIdp(created);
    },
    async updateIdentityProvider(id, changes) {
      await db('identity_providers').where({ id }).update({ ...idpColumns(changes), updated_at: db.fn.now() });
    },
    async deleteIdentityProvider(id) {
      await db('identity_providers').where({ id }).delete();
    },

    async settings(organizationId) {
      const row = isUuid(organizationId) ? await db('federation_settings').where({ organization_id: organizationId }).first() : undefined;
      const domains = isUuid(organizationId)
        ? ((await db('organization_domains').where({ organization_id: organizationId }).orderBy('domain').pluck('domain')) as string[])
        : [];
      return { organizationId, domains, ssoRequired: row?.sso_required ?? false, allowProfileLinking: row?.allow_profile_linking ?? false };
    },
    async saveSettings(organizationId, changes) {
      const update: Record<string, unknown> = {};
      if (changes.ssoRequired !== undefined) update.sso_required = changes.ssoRequired;
      if (changes.allowProfileLinking !== undefined) update.allow_profile_linking = changes.allowProfileLinking;
      if (Object.keys(update).length === 0) return;
      await db('federation_settings')
        .insert({ organization_id: organizationId, ...update, updated_at: db.fn.now() })
        .onConflict('organization_id')
        .merge({ ...update, updated_at: db.fn.now() });
    },
    async replaceDomains(organizationId, domains) {
      try {
        await (db as Knex).transaction(async (trx) => {
          await trx('organization_domains').where({ organization_id: organizationId }).delete();
          if (domains.length > 0) await trx('organization_domains').insert(domains.map((domain) => ({ domain, organization_id: organizationId })));
        });
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
          throw new DomainError('domain.taken', { status: 409, field: 'domains' });
        }
        throw err;
      }
    },
    async organizationOfDomain(domain) {
      const row = await db('organization_domains').where({ domain }).first('organization_id');
      return row?.organization_id;
    },
    async domainOwners(domains) {
      if (domains.length === 0) return [];
      const rows: { domain: string; organization_id: string }[] = await db('organization_domains').whereIn('domain', domains).select('domain', 'organization_id');
      return rows.map((r) => ({ domain: r.domain, organizationId: r.organization_id }));
    },

    async findIdentity(idpId, issuer, subject) {
      if (!isUuid(idpId)) return undefined;
      const row: IdentityRow | undefined = await db('federated_identities').where({ idp_id: idpId, issuer, subject }).first();
      return row ? toIdentity(row) : undefined;
    },
    async findIdentityById(id) {
      if (!isUuid(id)) return undefined;
      const row: IdentityRow | undefined = await db('federated_identities').where({ id }).first();
      return row ? toIdentity(row) : undefined;
    },
    async identitiesOf(accountId) {
      if (!isUuid(accountId)) return [];
      const rows: IdentityRow[] = await db('federated_identities').where({ account_id: accountId }).orderBy('created_at');
      return rows.map(toIdentity);
    },
    async attachIdentity(input) {
      try {
        // A savepoint, so a refused insert does not abort the caller's transaction.
        const [row] = await (db as Knex).transaction((trx) =>
          trx('federated_identities')
            .insert({
              id: randomUUID(),
              idp_id: input.idpId,
              issuer: input.issuer,
              subject: input.subject,
              account_id: input.accountId,
              email: input.email,
              last_used_at: db.fn.now(),
            })
            .returning('*'),
        );
        return toIdentity(row);
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
          throw new DomainError('link.same_idp', { status: 409 });
        }
        throw err;
      }
    },
    async moveIdentity(identityId, accountId) {
      await db('federated_identities').where({ id: identityId }).update({ account_id: accountId, last_used_at: db.fn.now() });
    },
    async touchIdentity(identityId, email) {
      await db('federated_identities').where({ id: identityId }).update({ last_used_at: db.fn.now(), email });
    },
    async deleteIdentity(identityId) {
      await db('federated_identities').where({ id: identityId }).delete();
    },

    async accountFacts(accountId) {
      if (!isUuid(accountId)) return undefined;
      const row: FactsRow | undefined = await facts().where('a.id', accountId).first();
      return row ? toFacts(row) : undefined;
    },
    async localSignInFacts(accountId) {
      if (!isUuid(accountId)) return undefined;
      const [row] = await signInFacts(db, [accountId]);
      return row ? { serviceAccount: row.service_account, organizationId: row.organization_id, ssoRequired: row.sso_required ?? false } : undefined;
    },
    async accountsInOrganizationByEmail(organizationId, email) {
      if (!isUuid(organizationId)) return [];
      const rows: FactsRow[] = await facts()
        .where('a.email', normalizeEmail(email))
        .whereExists((sub) => {
          sub.select(db.raw('1')).from('memberships as m').join('organizations as o', 'o.id', 'm.organization_id')
            .whereRaw('m.account_id = a.id')
            .andWhere((w) => w.where('o.id', organizationId).orWhere('o.root_id', organizationId));
        })
        .orderByRaw('lower(a.username)');
      return rows.map(toFacts);
    },
    async usernameExists(username) {
      const row = await db('accounts').whereRaw('lower(username) = ?', [normalizeUsername(username)]).first('id');
      return row !== undefined;
    },
    async createSsoAccount(input) {
      try {
        return await (db as Knex).transaction(async (trx) => {
          const [row] = await trx('accounts')
            .insert({
              id: randomUUID(),
              username: input.username,
              email: normalizeEmail(input.email),
              email_verified: input.emailVerified,
              name: input.name,
              service_account: false,
            })
            .returning('*');
          await trx('memberships').insert({ account_id: row.id, organization_id: input.organizationId, role: 'member' });
          return {
            id: row.id,
            username: row.username,
            email: row.email,
            emailVerified: row.email_verified,
            name: row.name,
            hasPassword: false,
            serviceAccount: false,
            organizationId: input.organizationId,
          };
        });
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
          throw new DomainError('username.taken', { status: 409, field: 'username' });
        }
        throw err;
      }
    },
    async updateSsoProfile(accountId, profile) {
      const update: Record<string, unknown> = { email_verified: profile.emailVerified };
      if (profile.email !== undefined) update.email = normalizeEmail(profile.email);
      if (profile.name !== undefined) update.name = profile.name;
      await db('accounts').where({ id: accountId }).update({ ...update, updated_at: db.fn.now() });
    },
  };
  return store;
}
