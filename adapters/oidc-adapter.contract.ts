// Behaviour every oidc-provider Adapter in Gatehouse must share, run against each store.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { errors, type AdapterPayload } from 'oidc-provider';

/**
 * The adapter surface the contract exercises: oidc-provider's Adapter plus tryConsume. consume
 * must resolve only for the call that consumed the entry and reject for every other one.
 */
export type ContractAdapter = {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<unknown>;
  find(id: string): Promise<AdapterPayload | undefined | void>;
  findByUid(uid: string): Promise<AdapterPayload | undefined | void>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined | void>;
  consume(id: string): Promise<void>;
  tryConsume(id: string): Promise<boolean>;
  destroy(id: string): Promise<unknown>;
  revokeByGrantId(grantId: string): Promise<unknown>;
};

export type AdapterHarness = {
  factory: (model: string) => ContractAdapter;
  close: () => Promise<void>;
  /** Removes everything the previous test stored. */
  reset: () => Promise<void>;
};

const TTL = 300;

export function runAdapterContract(name: string, makeFactory: () => Promise<AdapterHarness>): void {
  describe(name, function () {
    let harness: AdapterHarness | undefined;
    const adapter = (model: string) => harness!.factory(model);

    before(async function () {
      harness = await makeFactory();
    });
    after(async function () {
      await harness?.close();
    });
    beforeEach(async function () {
      await harness!.reset();
    });

    it('returns what upsert stored, JSON-equal', async function () {
      const tokens = adapter('AccessToken');
      const id = randomUUID();
      const payload = {
        jti: id,
        kind: 'AccessToken',
        accountId: 'acct-1',
        scope: 'openid email',
        amr: [], // an empty array must stay an array
        claims: { id_token: { email: { essential: true } } },
        iat: 1_790_000_000,
        exp: 1_790_000_300,
        extra: { big: 2 ** 53 - 1, unicode: 'Zoë ✓', nested: [[1, 'two', null]] },
      } satisfies AdapterPayload;
      await tokens.upsert(id, payload, TTL);
      assert.deepEqual(await tokens.find(id), payload);
    });

    it('finds nothing for an unknown id, or for the same id under another model', async function () {
      const id = randomUUID();
      assert.equal(await adapter('AccessToken').find(id), undefined);
      await adapter('AccessToken').upsert(id, { jti: id }, TTL);
      assert.equal(await adapter('RefreshToken').find(id), undefined);
    });

    it('answers finds of several models asked for at once, each with its own entry (as introspection asks)', async function () {
      const [access, refresh, grantId] = [randomUUID(), randomUUID(), randomUUID()];
      await adapter('Grant').upsert(grantId, { jti: grantId, accountId: 'acct-1' }, TTL);
      await adapter('AccessToken').upsert(access, { jti: access, kind: 'AccessToken', grantId }, TTL);
      await adapter('RefreshToken').upsert(refresh, { jti: refresh, kind: 'RefreshToken', grantId, consumed: 1_790_000_000 }, TTL);
      const [asAccess, asCredentials, asRefresh, refreshed, unknown, grant] = await Promise.all([
        adapter('AccessToken').find(access),
        adapter('ClientCredentials').find(access),
        adapter('RefreshToken').find(access),
        adapter('RefreshToken').find(refresh),
        adapter('AccessToken').find(randomUUID()),
        adapter('Grant').find(grantId),
      ]);
      assert.deepEqual(asAccess, { jti: access, kind: 'AccessToken', grantId });
      assert.equal(asCredentials, undefined);
      assert.equal(asRefresh, undefined);
      assert.deepEqual(refreshed, { jti: refresh, kind: 'RefreshToken', grantId, consumed: 1_790_000_000 });
      assert.equal(unknown, undefined);
      assert.deepEqual(grant, { jti: grantId, accountId: 'acct-1' });
      // The grant read along with its tokens is current: a change made after is what the next find sees.
      await adapter('Grant').upsert(grantId, { jti: grantId, accountId: 'acct-2' }, TTL);
      const [, grantAfter] = await Promise.all([adapter('AccessToken').find(access), adapter('Grant').find(grantId)]);
      assert.deepEqual(grantAfter, { jti: grantId, accountId: 'acct-2' });
    });

    it('expires entries after expiresIn', async function () {
      this.timeout(10_000);
      const sessions = adapter('Session');
      const id = randomUUID();
      const uid = randomUUID();
      await sessions.upsert(id, { jti: id, uid }, 1);
      await sessions.upsert('long-lived', { jti: 'long-lived' }, TTL);
      assert.ok(await sessions.find(id));
      await sleep(1_600);
      assert.equal(await sessions.find(id), undefined);
      assert.equal(await sessions.findByUid(uid), undefined);
      assert.equal(await sessions.tryConsume(id), false);
      assert.ok(await sessions.find('long-lived'));
    });

    it('finds a Session by uid', async function () {
      const sessions = adapter('Session');
      const id = randomUUID();
      const uid = randomUUID();
      await sessions.upsert(id, { jti: id, uid, accountId: 'acct-1' }, TTL);
      assert.deepEqual(await sessions.findByUid(uid), { jti: id, uid, accountId: 'acct-1' });
      assert.equal(await sessions.findByUid(randomUUID()), undefined);
    });

    it('finds a DeviceCode by user code', async function () {
      const codes = adapter('DeviceCode');
      const id = randomUUID();
      await codes.upsert(id, { jti: id, userCode: 'WDJB-MJHT', grantId: 'g' }, TTL);
      assert.deepEqual(await codes.findByUserCode('WDJB-MJHT'), { jti: id, userCode: 'WDJB-MJHT', grantId: 'g' });
      assert.equal(await codes.findByUserCode('XXXX-XXXX'), undefined);
    });

    it('consume marks the entry consumed with an epoch-seconds timestamp', async function () {
      const codes = adapter('AuthorizationCode');
      const id = randomUUID();
      await codes.upsert(id, { jti: id, grantId: 'g' }, TTL);
      assert.equal((await codes.find(id))?.consumed, undefined);
      const before = Math.floor(Date.now() / 1000);
      await codes.consume(id);
      const consumed = (await codes.find(id))?.consumed;
      assert.equal(typeof consumed, 'number');
      assert.ok(consumed >= before - 5 && consumed <= Date.now() / 1000 + 5, `consumed=${consumed}`);
    });

    it('lets exactly one of two parallel consume() (and tryConsume()) calls succeed', async function () {
      const codes = adapter('AuthorizationCode');
      const id = randomUUID();
      await codes.upsert(id, { jti: id, grantId: 'g' }, TTL);

      const results = await Promise.allSettled([codes.consume(id), codes.consume(id)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(lost?.reason instanceof errors.InvalidGrant, String(lost?.reason));
      assert.equal(typeof (await codes.find(id))?.consumed, 'number');

      const other = randomUUID();
      await codes.upsert(other, { jti: other }, TTL);
      const tries = await Promise.all([codes.tryConsume(other), codes.tryConsume(other)]);
      assert.deepEqual(tries.sort(), [false, true]);
    });

    it('refuses to consume an unknown id, and a consumed PAR with invalid_request_uri', async function () {
      await assert.rejects(adapter('RefreshToken').consume(randomUUID()), errors.InvalidGrant);
      const pars = adapter('PushedAuthorizationRequest');
      const id = randomUUID();
      await pars.upsert(id, { jti: id }, TTL);
      await pars.consume(id);
      await assert.rejects(pars.consume(id), errors.InvalidRequestUri);
    });

    it('destroy removes the entry', async function () {
      const interactions = adapter('Interaction');
      const id = randomUUID();
      await interactions.upsert(id, { jti: id }, TTL);
      await interactions.destroy(id);
      assert.equal(await interactions.find(id), undefined);
      await interactions.destroy(id); // destroying twice is harmless
    });

    it("revokeByGrantId removes every model's entries of that grant and nothing else", async function () {
      const models = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode'];
      const revoked: Array<[string, string]> = [];
      const kept: Array<[string, string]> = [];
      for (const model of models) {
        for (const [grantId, list] of [['grant-a', revoked], ['grant-b', kept]] as const) {
          const id = randomUUID();
          await adapter(model).upsert(id, { jti: id, grantId }, TTL);
          list.push([model, id]);
        }
      }
      await adapter('Session').upsert('session-1', { jti: 'session-1', uid: 'u-1' }, TTL);

      await adapter('AccessToken').revokeByGrantId('grant-a');

      for (const [model, id] of revoked) assert.equal(await adapter(model).find(id), undefined, `${model} kept`);
      for (const [model, id] of kept) assert.ok(await adapter(model).find(id), `${model} of grant-b removed`);
      assert.ok(await adapter('Session').find('session-1'));
      await adapter('RefreshToken').revokeByGrantId('grant-a'); // the provider calls it per model
    });

    it('stores every one of many concurrent saves, of several models; the last of two saves of one id wins', async function () {
      const ids = Array.from({ length: 40 }, () => randomUUID());
      const models = ['AccessToken', 'ClientCredentials', 'Session'];
      await Promise.all(ids.map((id, i) => adapter(models[i % 3]).upsert(id, { jti: id, kind: models[i % 3], n: i }, TTL)));
      for (const [i, id] of ids.entries()) assert.equal((await adapter(models[i % 3]).find(id))?.n, i);
      const id = randomUUID();
      await Promise.all([adapter('AccessToken').upsert(id, { jti: id, v: 'first' }, TTL), adapter('AccessToken').upsert(id, { jti: id, v: 'second' }, TTL)]);
      assert.equal((await adapter('AccessToken').find(id))?.v, 'second');
    });

    it('upsert overwrites the payload, its indexes and its consumed state', async function () {
      const sessions = adapter('Session');
      const id = randomUUID();
      await sessions.upsert(id, { jti: id, uid: 'old-uid', accountId: 'a' }, TTL);
      await sessions.consume(id);
      await sessions.upsert(id, { jti: id, uid: 'new-uid', accountId: 'b' }, TTL);

      assert.deepEqual(await sessions.find(id), { jti: id, uid: 'new-uid', accountId: 'b' });
      assert.equal(await sessions.findByUid('old-uid'), undefined);
      assert.deepEqual(await sessions.findByUid('new-uid'), { jti: id, uid: 'new-uid', accountId: 'b' });

      // A payload that is saved already consumed keeps saying so.
      await sessions.upsert(id, { jti: id, uid: 'new-uid', consumed: 1_790_000_000 }, TTL);
      assert.equal((await sessions.find(id))?.consumed, 1_790_000_000);
      assert.equal(await sessions.tryConsume(id), false);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
