// knex implementation of ProfileStore (accounts/profile.ts).
import type { Knex } from 'knex';
import type { ProfileAccount, ProfileStore } from '../accounts/profile.ts';
import { normalizeEmail, normalizeUsername } from '../accounts/account-rules.ts';
import { isUuid, knownLanguage } from './account-store.ts';

type Row = {
  id: string;
  username: string;
  email: string;
  email_verified: boolean;
  name: string | null;
  phone_number: string | null;
  has_password: boolean;
  language: string | null;
};

const toProfile = (r: Row): ProfileAccount => ({
  id: r.id,
  username: r.username,
  email: r.email,
  emailVerified: r.email_verified,
  name: r.name,
  phoneNumber: r.phone_number,
  sso: !r.has_password,
  language: knownLanguage(r.language),
});

export function createKnexProfileStore(knex: Knex): ProfileStore {
  const select = () =>
    knex('accounts as a').select(
      'a.id',
      'a.username',
      'a.email',
      'a.email_verified',
      'a.name',
      'a.phone_number',
      'a.language',
      knex.raw(`exists (select 1 from credentials c where c.account_id = a.id and c.type = 'password') as has_password`),
    );

  return {
    async find(accountId) {
      if (!isUuid(accountId)) return undefined;
      const row: Row | undefined = await select().where('a.id', accountId).first();
      return row ? toProfile(row) : undefined;
    },
    async findByUsername(username) {
      const row: Row | undefined = await select().whereRaw('lower(a.username) = ?', [normalizeUsername(username)]).first();
      return row ? toProfile(row) : undefined;
    },
    async findByEmail(email) {
      const rows: Row[] = await select().whereRaw('lower(a.email) = ?', [normalizeEmail(email)]).orderBy('a.username');
      return rows.map(toProfile);
    },
    async updateContact(accountId, contact) {
      await knex('accounts')
        .where({ id: accountId })
        .update({ name: contact.name, phone_number: contact.phoneNumber, updated_at: knex.fn.now() });
    },
    async setEmail(accountId, email, verified) {
      await knex('accounts')
        .where({ id: accountId })
        .update({ email: normalizeEmail(email), email_verified: verified, updated_at: knex.fn.now() });
    },
    async markEmailVerified(accountId, email) {
      const updated = await knex('accounts')
        .where({ id: accountId })
        .whereRaw('lower(email) = ?', [normalizeEmail(email)])
        .update({ email_verified: true, updated_at: knex.fn.now() });
      return Number(updated) === 1;
    },
  };
}
