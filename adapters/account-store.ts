// knex implementation of the AccountStore contract. SQL lives here and only here.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Account, AccountStore, AccountWithOrganization, NewAccount, Organization, Role } from '../accounts/account.ts';
import { DomainError } from '../accounts/errors.ts';
import { normalizeEmail, normalizeUsername } from '../accounts/account-rules.ts';
import { LANGUAGE_TAGS } from '../accounts/messages/catalog.ts';
import { compileQuery } from './compiled-query.ts';

export type AccountRow = {
  id: string;
  username: string;
  email: string;
  email_verified: boolean;
  name: string | null;
  phone_number: string | null;
  service_account: boolean;
  mfa_exempt?: boolean;
  language?: string | null;
  created_at: Date | string;
};

/** A tag the catalog speaks, else null: nothing else is stored, nor read back (a language file may be gone). */
export const knownLanguage = (tag: unknown): string | null => (typeof tag === 'string' && LANGUAGE_TAGS.includes(tag) ? tag : null);

export const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  username: r.username,
  email: r.email,
  emailVerified: r.email_verified,
  name: r.name,
  phoneNumber: r.phone_number,
  serviceAccount: r.service_account,
  mfaExempt: r.service_account && r.mfa_exempt === true,
  language: knownLanguage(r.language),
  createdAt: new Date(r.created_at),
});

export const UNIQUE_VIOLATION = '23505';

/**
 * Inserts an account with a password credential and its username identifier (inside the caller's
 * transaction). A taken username surfaces as the database's unique violation.
 */
export async function insertLocalAccount(trx: Knex.Transaction, account: NewAccount, passwordHash: string): Promise<AccountRow> {
  const [row] = await trx('accounts')
    .insert({
      id: randomUUID(),
      username: account.username.trim(),
      email: normalizeEmail(account.email),
      name: account.name ?? null,
      phone_number: account.phoneNumber ?? null,
      service_account: account.serviceAccount ?? false,
      language: knownLanguage(account.language),
    })
    .returning('*');
  const credentialId = randomUUID();
  await trx('credentials').insert({
    id: credentialId,
    account_id: row.id,
    type: 'password',
    config: JSON.stringify({ hash: passwordHash, history: [] }),
  });
  await trx('credential_identifiers').insert({ type: 'password', identifier: normalizeUsername(account.username), credential_id: credentialId });
  return row;
}

// One round trip: the account, its root organization and its roles there. Read on every request of a
// sign-in and every refresh (the provider's findAccount), so compiled once.
const accountWithOrganization = compileQuery<AccountRow & { org_id: string | null; org_name: string; org_parent_id: string | null; role: Role | null }>((knex, param) =>
  knex('accounts as a')
    .leftJoin('memberships as m', 'm.account_id', 'a.id')
    .leftJoin('organizations as o', 'o.id', 'm.organization_id')
    // A membership may be in a business group: the organization is always the group's root.
    .leftJoin('organizations as r', 'r.id', knex.raw('coalesce(o.root_id, o.id)'))
    .where('a.id', param(0))
    .select('a.*', 'r.id as org_id', 'r.name as org_name', 'r.parent_id as org_parent_id', 'm.role as role'),
);

// Every password sign-in's first read.
const passwordCredential = compileQuery<{ id: string; account_id: string; config: { hash: string } }>((knex, param) =>
  knex('credential_identifiers as i')
    .join('credentials as c', 'c.id', 'i.credential_id')
    .where({ 'i.type': 'password', 'i.identifier': param(0) })
    .first('c.id', 'c.account_id', 'c.config'),
);

const languageUpdate = compileQuery((knex, param) =>
  knex('accounts').where({ id: param(0) }).whereRaw('language is distinct from ?', [param(1)]).update({ language: param(1) }),
);

export function createKnexAccountStore(knex: Knex): AccountStore {
  return {
    async findById(id) {
      if (!isUuid(id)) return undefined;
      const rows = await accountWithOrganization(knex, [id]);
      if (rows.length === 0) return undefined;
      const first = rows[0];
      const organization: Organization | null = first.org_id
        ? { id: first.org_id, name: first.org_name, parentId: first.org_parent_id }
        : null;
      const roles = rows.map((r) => r.role as Role | null).filter((r): r is Role => r !== null);
      return { ...toAccount(first), organization, roles } satisfies AccountWithOrganization;
    },

    async findPasswordCredential(username) {
      const [row] = await passwordCredential(knex, [normalizeUsername(username)]);
      if (!row) return undefined;
      return { credentialId: row.id, accountId: row.account_id, hash: row.config.hash };
    },

    async rehashPassword(credentialId, hash) {
      await knex('credentials')
        .where({ id: credentialId, type: 'password' })
        .update({ config: knex.raw(`jsonb_set(config, '{hash}', to_jsonb(?::text))`, [hash]), updated_at: knex.fn.now() });
    },

    async createAccountWithOrganization({ account, passwordHash, organizationName }) {
      try {
        return await knex.transaction(async (trx) => {
          const organization: Organization = { id: randomUUID(), name: organizationName.trim(), parentId: null };
          await trx('organizations').insert({ id: organization.id, name: organization.name, parent_id: null });
          const row = await insertLocalAccount(trx, account, passwordHash);
          await trx('memberships').insert([
            { account_id: row.id, organization_id: organization.id, role: 'owner' },
            { account_id: row.id, organization_id: organization.id, role: 'admin' },
          ]);
          return { account: toAccount(row), organization };
        });
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
          throw new DomainError('username.taken', { status: 409, field: 'username' });
        }
        throw err;
      }
    },

    async usernameExists(username) {
      const row = await knex('accounts').whereRaw('lower(username) = ?', [normalizeUsername(username)]).first('id');
      return row !== undefined;
    },

    async setLanguage(accountId, tag) {
      const language = knownLanguage(tag);
      if (!language || !isUuid(accountId)) return;
      // Every sign-in sets it: write only when it changes.
      await languageUpdate(knex, [accountId, language], { changesAccount: accountId });
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: string) => UUID.test(v);
