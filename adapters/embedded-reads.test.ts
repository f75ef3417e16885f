// The embedded store's reads across requests (accounts, branding, sign-in buttons): served from memory,
// yet every write is seen by the next read. Counts the statements PGlite runs (knex's query event) to tell a cached read from a real one.
import assert from 'node:assert/strict';
import { migrate, openDatabase, type Database } from './database.ts';
import { createKnexAccountStore } from './account-store.ts';
import { rememberAccountReads, rememberBrandingReads, rememberIdentityProviderButtons } from './embedded-reads.ts';
import { createKnexBrandingStore } from './branding-store.ts';
import { createKnexFederationStore } from './federation-store.ts';
import { DEFAULT_CLAIM_MAPPING } from '../federation/identity-provider.ts';
import type { AccountStore } from '../accounts/account.ts';

describe('embedded store reads remembered across requests (accounts, branding, sign-in buttons)', () => {
  let db: Database;
  let accounts: AccountStore;
  let statements = 0;
  const newAccount = async (username: string) =>
    (await accounts.createAccountWithOrganization({ account: { username, email: `${username}@example.org` }, passwordHash: 'not-a-hash', organizationName: `${username} Inc` })).account;
  /** Statements run by `work`. */
  const counted = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const before = statements;
    const result = await work();
    return [result, statements - before];
  };

  before(async () => {
    db = await openDatabase({});
    await migrate(db.knex);
    db.knex.on('query', () => statements++);
    accounts = rememberAccountReads(createKnexAccountStore(db.knex), db.onStoreWrite!);
  });
  after(() => db.close());

  it('reads an account once, then answers from memory with a copy each caller may change', async () => {
    const { id } = await newAccount('cache_once');
    const [first, firstStatements] = await counted(() => accounts.findById(id));
    assert.equal(first?.username, 'cache_once');
    assert.equal(firstStatements, 1);
    first!.name = 'Changed By A Caller';
    first!.roles.push('member' as never);
    const [second, secondStatements] = await counted(() => accounts.findById(id));
    assert.equal(secondStatements, 0);
    assert.equal(second?.name, null);
    assert.deepEqual(second?.roles.sort(), ['admin', 'owner']);
  });

  it('sees a write of any statement to accounts, memberships or organizations at the next read', async () => {
    const { id } = await newAccount('cache_write');
    await accounts.findById(id);
    await db.knex('accounts').where({ id }).update({ name: 'Renamed' });
    assert.equal((await accounts.findById(id))?.name, 'Renamed');
    const organizationId = (await accounts.findById(id))!.organization!.id;
    await db.knex('organizations').where({ id: organizationId }).update({ name: 'Renamed Inc' });
    assert.equal((await accounts.findById(id))?.organization?.name, 'Renamed Inc');
    await db.knex('memberships').where({ account_id: id, role: 'admin' }).del();
    assert.deepEqual((await accounts.findById(id))?.roles, ['owner']);
    // Raw SQL, in a transaction, inside a CTE: all go through the same client.
    await db.knex.transaction((trx) => trx.raw('with changed as (update accounts set name = ? where id = ? returning id) select count(*) from changed', ['In A Transaction', id]));
    assert.equal((await accounts.findById(id))?.name, 'In A Transaction');
    await db.knex('accounts').where({ id }).del();
    assert.equal(await accounts.findById(id), undefined);
  });

  it("a write naming its account drops that account's entry alone", async () => {
    const one = await newAccount('cache_one');
    const other = await newAccount('cache_other');
    await accounts.findById(one.id);
    await accounts.findById(other.id);
    await accounts.setLanguage(one.id, 'nb');
    const [read, readStatements] = await counted(() => accounts.findById(one.id));
    assert.equal(read?.language, 'nb');
    assert.equal(readStatements, 1);
    const [, otherStatements] = await counted(() => accounts.findById(other.id));
    assert.equal(otherStatements, 0, 'the other account stays cached');
  });

  it('does not keep a read that a write overtook', async () => {
    const { id } = await newAccount('cache_race');
    // The read starts first and PGlite runs statements in order, so it returns the row before the write.
    const reading = accounts.findById(id);
    const writing = db.knex('accounts').where({ id }).update({ name: 'Written Meanwhile' });
    assert.equal((await reading)?.name, null);
    await writing;
    assert.equal((await accounts.findById(id))?.name, 'Written Meanwhile');
  });

  it("an account's branding is read once per page until the organization or its branding changes", async () => {
    const { id } = await newAccount('cache_brand');
    const branding = rememberBrandingReads(createKnexBrandingStore(db.knex), db.onStoreWrite!);
    const [first, firstStatements] = await counted(() => branding.ofAccount(id));
    assert.equal(first?.rootName, 'cache_brand Inc');
    assert.equal(firstStatements, 1);
    assert.equal((await counted(() => branding.ofAccount(id)))[1], 0);
    await branding.save(first!.branding.organizationId, { accentColor: '#112233' });
    assert.equal((await branding.ofAccount(id))?.branding.accentColor, '#112233');
    await accounts.setLanguage(id, 'nb');
    assert.equal((await counted(() => branding.ofAccount(id)))[1], 0, 'an account write leaves the branding cached');
  });

  it("the sign-in page's identity-provider buttons are read once until an identity provider changes", async () => {
    const { organization } = await accounts.createAccountWithOrganization({ account: { username: 'cache_idp', email: 'cache_idp@example.org' }, passwordHash: 'not-a-hash', organizationName: 'Idp Inc' });
    const federation = rememberIdentityProviderButtons(createKnexFederationStore(db.knex), db.onStoreWrite!);
    const before = await federation.listButtonIdentityProviders();
    assert.equal((await counted(() => federation.listButtonIdentityProviders()))[1], 0);
    const created = await federation.createIdentityProvider({
      organizationId: organization.id, name: 'Cache IdP', issuer: 'https://idp.example.org', clientId: 'gatehouse', clientSecretSealed: null,
      scopes: ['openid'], claimMapping: DEFAULT_CLAIM_MAPPING, showButton: true, provisionUsers: false, enabled: true,
    });
    const after = await federation.listButtonIdentityProviders();
    assert.deepEqual(after.map((i) => i.id).sort(), [...before.map((i) => i.id), created.id].sort());
    await db.knex('identity_providers').where({ id: created.id }).update({ enabled: false });
    assert.ok(!(await federation.listButtonIdentityProviders()).some((i) => i.id === created.id), 'a disabled identity provider loses its button at once');
  });

  it('is not used with PostgreSQL: only the embedded store hears its writes', async function () {
    const databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) this.skip();
    const postgres = await openDatabase({ databaseUrl, schema: `gh_test_account_cache_${process.pid}` });
    try {
      assert.equal(postgres.onStoreWrite, undefined);
    } finally {
      await postgres.knex.raw('drop schema if exists ?? cascade', [`gh_test_account_cache_${process.pid}`]);
      await postgres.close();
    }
  });
});
