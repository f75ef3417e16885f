// knex implementation of CaptchaSpentStore (accounts/captcha.ts): the primary key makes a second
// redemption of the same challenge fail, across every instance sharing the database.
import type { Knex } from 'knex';
import type { CaptchaSpentStore } from '../accounts/captcha.ts';

export function createKnexCaptchaStore(knex: Knex): CaptchaSpentStore {
  return {
    async spend(challengeHash, expiresAt) {
      // Expired entries can't be replayed anyway (the signed expiry is checked first): sweep them.
      await knex('captcha_spent').where('expires_at', '<', knex.fn.now()).del();
      const rows = await knex('captcha_spent')
        .insert({ challenge_hash: challengeHash, expires_at: expiresAt })
        .onConflict('challenge_hash')
        .ignore()
        .returning('challenge_hash');
      return rows.length === 1;
    },
  };
}
