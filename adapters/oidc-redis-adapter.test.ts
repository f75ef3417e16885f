// Runs the adapter contract on Redis when REDIS_URL is set, plus the code-redemption races.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Provider, type ClientMetadata, type Configuration } from 'oidc-provider';
import { runAdapterContract } from './oidc-adapter.contract.ts';
import { createRedisAdapterFactory } from './oidc-redis-adapter.ts';

const redisUrl = process.env.REDIS_URL;

/** POSTs a form to a provider's /token on `port` as `client` (client_secret_basic); its status and JSON body. */
function tokenRequester(port: number, client: ClientMetadata) {
  const authorization = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  return (params: Record<string, string>) =>
    fetch(`http://127.0.0.1:${port}/token`, { method: 'POST', headers: { authorization }, body: new URLSearchParams(params) })
      .then(async (res) => ({ status: res.status, body: await res.json() }));
}
type TokenRequest = ReturnType<typeof tokenRequester>;

if (!redisUrl) {
  it.skip('oidc redis adapter (skipped: REDIS_URL not set)');
} else {
  // Unique per run so parallel runs on one Redis never see each other's keys.
  const prefix = `gh-test:${process.pid}:${randomUUID()}:`;

  async function deleteRunKeys(redis: Redis): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  runAdapterContract('oidc redis adapter', async () => {
    const redis = new Redis(redisUrl);
    return {
      factory: createRedisAdapterFactory(redis, { prefix }),
      reset: () => deleteRunKeys(redis),
      close: async () => {
        await deleteRunKeys(redis);
        await redis.quit();
      },
    };
  });

  describe('oidc redis adapter consume race', function () {
    let redis: Redis;
    let peers: Redis[] = [];

    before(async function () {
      redis = new Redis(redisUrl);
      // One connection per contender, as if 20 server processes redeemed the same code.
      peers = Array.from({ length: 20 }, () => redis.duplicate());
    });
    after(async function () {
      await deleteRunKeys(redis);
      await Promise.all([redis, ...peers].map((r) => r.quit()));
    });

    it('lets exactly one of 20 parallel consume() calls on one id succeed', async function () {
      const seed = createRedisAdapterFactory(redis, { prefix })('AuthorizationCode');
      const contenders = peers.map((peer) => createRedisAdapterFactory(peer, { prefix })('AuthorizationCode'));
      const [tried, consumed] = [randomUUID(), randomUUID()];
      await seed.upsert(tried, { jti: tried }, 60);
      await seed.upsert(consumed, { jti: consumed }, 60);

      const wins = await Promise.all(contenders.map((adapter) => adapter.tryConsume(tried)));
      assert.equal(wins.filter(Boolean).length, 1, `${wins.filter(Boolean).length} of 20 tryConsume() calls returned true`);

      const results = await Promise.allSettled(contenders.map((adapter) => adapter.consume(consumed)));
      const won = results.filter((r) => r.status === 'fulfilled').length;
      assert.equal(won, 1, `${won} of 20 consume() calls resolved`);
      for (const r of results) if (r.status === 'rejected') assert.equal(r.reason.error, 'invalid_grant');
      assert.equal(typeof (await seed.find(consumed))?.consumed, 'number');
    });

    /** A provider over `adapter` for one confidential client, with what both token races share. */
    function raceProvider(adapter: Configuration['adapter'], client: ClientMetadata, settings: Configuration) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return new Provider('http://127.0.0.1', {
        adapter,
        clients: [client],
        jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'race', use: 'sig', alg: 'RS256' }] },
        cookies: { keys: [randomBytes(32).toString('base64url')] },
        findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
        // Explicit where the defaults would print quick-start notices into the test output.
        features: { devInteractions: { enabled: false } },
        ...settings,
      });
    }

    /** Runs `work` while the provider listens; `token(params)` posts to /token with the client's Basic credentials. */
    async function whileServing(provider: Provider, client: ClientMetadata, work: (token: TokenRequest) => Promise<void>) {
      const server = http.createServer(provider.callback());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        await work(tokenRequester((server.address() as AddressInfo).port, client));
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }

    it('lets exactly one of 20 parallel token requests redeem one authorization code', async function () {
      const clientId = 'race-client';
      const clientSecret = randomBytes(24).toString('base64url');
      const redirectUri = 'https://rp.example/cb';
      const client = { client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri] };
      const provider = raceProvider(createRedisAdapterFactory(redis, { prefix }), client, {
        ttl: { AccessToken: 60, AuthorizationCode: 60, Grant: 60, IdToken: 60 },
      });

      // What the authorization endpoint would have stored after consent.
      const grant = new provider.Grant({ accountId: 'acct-1', clientId });
      grant.addOIDCScope('openid');
      const grantId = await grant.save();
      const verifier = randomBytes(32).toString('base64url');
      const codeProperties = {
        accountId: 'acct-1',
        client: (await provider.Client.find(clientId))!,
        grantId,
        redirectUri,
        scope: 'openid',
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        codeChallengeMethod: 'S256',
      };
      // @types/oidc-provider requires gty here; the authorization endpoint itself never sets it.
      const code = await new provider.AuthorizationCode(codeProperties as typeof codeProperties & { gty: string }).save();

      await whileServing(provider, client, async (token) => {
        const redeem = () => token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });

        const responses = await Promise.all(Array.from({ length: 20 }, redeem));

        const issued = responses.filter((r) => r.status === 200);
        assert.equal(issued.length, 1, `${issued.length} of 20 token requests got tokens`);
        assert.ok(issued[0].body.access_token);
        for (const r of responses.filter((r) => r.status !== 200)) {
          assert.equal(r.status, 400);
          assert.equal(r.body.error, 'invalid_grant');
        }
      });
    });

    it("sends a rotating refresh's consume and both saves at once, and lets one of 20 parallel refreshes of a token rotate it", async function () {
      const client = { client_id: 'refresh-race-client', client_secret: randomBytes(24).toString('base64url'), grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['https://rp.example/cb'] };
      // What the provider asks of the store, in order: "<Model>.<call> start" / "... end".
      const calls: string[] = [];
      const factory = createRedisAdapterFactory(redis, { prefix });
      const adapter = (model: string) => {
        const inner = factory(model);
        const watched = (name: 'upsert' | 'consume') => async (...args: never[]) => {
          calls.push(`${model}.${name} start`);
          try {
            return await (inner[name] as (...a: never[]) => Promise<void>).apply(inner, args);
          } finally {
            calls.push(`${model}.${name} end`);
          }
        };
        return Object.assign(Object.create(inner), { upsert: watched('upsert'), consume: watched('consume') });
      };
      const provider = raceProvider(adapter, client, {
        scopes: ['openid', 'offline_access'],
        rotateRefreshToken: true,
        ttl: { AccessToken: 60, Grant: 60, IdToken: 60, RefreshToken: 60 },
      });
      // What a finished code flow leaves behind: a grant and a refresh token of it.
      const registered = (await provider.Client.find(client.client_id))!;
      const mint = async () => {
        const grant = new provider.Grant({ accountId: 'acct-1', clientId: client.client_id });
        grant.addOIDCScope('openid offline_access');
        const grantId = await grant.save();
        return new provider.RefreshToken({ client: registered, accountId: 'acct-1', grantId, scope: 'openid offline_access', gty: 'authorization_code' }).save();
      };

      await whileServing(provider, client, async (token) => {
        const refresh = (refreshToken: string) => token({ grant_type: 'refresh_token', refresh_token: refreshToken });

        // One refresh: the old token's consume and both new tokens' saves are all sent before any answer comes back.
        const first = await mint();
        calls.length = 0;
        const rotated = await refresh(first);
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        const writes = calls.filter((c) => /^(RefreshToken\.consume|RefreshToken\.upsert|AccessToken\.upsert) /.test(c));
        assert.deepEqual(writes.slice(0, 3).sort(), ['AccessToken.upsert start', 'RefreshToken.consume start', 'RefreshToken.upsert start'], writes.join(', '));
        assert.equal(writes.length, 6, writes.join(', '));
        // The token it rotated to works once; the one it replaced is spent.
        assert.ok(rotated.body.refresh_token && rotated.body.refresh_token !== first, 'a new refresh token');
        assert.equal((await refresh(rotated.body.refresh_token)).status, 200);
        assert.equal((await refresh(first)).body.error, 'invalid_grant');

        // 20 at once with one token: one rotates it, every other one is refused (a late one also revokes
        // the grant as a replay, as the provider does for any reuse).
        const raced = await mint();
        const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(raced)));
        const issued = responses.filter((r) => r.status === 200);
        assert.equal(issued.length, 1, `${issued.length} of 20 refreshes got tokens`);
        assert.ok(issued[0].body.refresh_token && issued[0].body.access_token);
        for (const r of responses.filter((r) => r.status !== 200)) assert.deepEqual([r.status, r.body.error], [400, 'invalid_grant']);
      });
    });
  });

  describe('oidc redis adapter: a grant read with its token', function () {
    let redis: Redis;
    before(() => { redis = new Redis(redisUrl); });
    after(async () => {
      await deleteRunKeys(redis);
      await redis.quit();
    });

    /** The commands Redis receives from clients for this run's keys while `work` runs (MONITOR; a script's own commands left out). */
    async function commandsDuring(work: () => Promise<void>): Promise<string[]> {
      const monitor = await redis.monitor();
      const seen: string[] = [];
      const done = `${prefix}done:${randomUUID()}`;
      const finished = new Promise<void>((resolve) => monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (args.includes(done)) resolve();
        else if (source !== 'lua' && args.some((arg) => arg.startsWith(prefix))) seen.push(args[0].toLowerCase());
      }));
      await work();
      await redis.get(done);
      await finished;
      monitor.disconnect();
      return seen;
    }

    it('answers the Grant.find right after its refresh token from the same script, and reads Redis afresh after that turn', async function () {
      const factory = createRedisAdapterFactory(redis, { prefix });
      const [grants, tokens] = [factory('Grant'), factory('RefreshToken')];
      const [grantId, tokenId] = [randomUUID(), randomUUID()];
      await grants.upsert(grantId, { jti: grantId, accountId: 'alice', clientId: 'app' }, 60);
      await tokens.upsert(tokenId, { jti: tokenId, grantId, accountId: 'alice' }, 60);
      await tokens.find(tokenId); // loads the script, so what follows is one EVALSHA

      const sameTurn = await commandsDuring(async () => {
        assert.equal((await tokens.find(tokenId))?.grantId, grantId);
        assert.equal((await grants.find(grantId))?.accountId, 'alice');
      });
      assert.deepEqual(sameTurn, ['evalsha']);

      // Changed behind this process's back after the turn ended: the next find sees the change.
      await new Promise((resolve) => setImmediate(resolve));
      await redis.hset(`${prefix}Grant:${grantId}`, 'payload', JSON.stringify({ jti: grantId, accountId: 'bob', clientId: 'app' }));
      assert.equal((await grants.find(grantId))?.accountId, 'bob');
    });

    it('reads the grant from Redis when this process wrote it after the token read, and finds nothing for a grant that is gone', async function () {
      const factory = createRedisAdapterFactory(redis, { prefix });
      const [grants, codes] = [factory('Grant'), factory('AuthorizationCode')];
      const [grantId, codeId, orphanId] = [randomUUID(), randomUUID(), randomUUID()];
      await grants.upsert(grantId, { jti: grantId, accountId: 'alice', clientId: 'app' }, 60);
      await codes.upsert(codeId, { jti: codeId, grantId }, 60);
      await codes.upsert(orphanId, { jti: orphanId, grantId: randomUUID() }, 60);

      await codes.find(codeId);
      const saved = grants.upsert(grantId, { jti: grantId, accountId: 'carol', clientId: 'app' }, 60);
      assert.equal((await grants.find(grantId))?.accountId, 'carol');
      await saved;

      const orphan = await codes.find(orphanId);
      assert.equal(await grants.find(orphan!.grantId as string), undefined);
    });
  });
}
