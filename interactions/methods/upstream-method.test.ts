// The upstream-IdP first factor on its own, with a fake federation: what it does with the sign-in
// form, the scratch state it keeps for the round trip (used once), and how each answer ends.
import assert from 'node:assert/strict';
import type { FederatedSignIn } from '../../federation/federated-sign-in.ts';
import type { Linking } from '../../federation/linking.ts';
import { UpstreamError, type UpstreamClaims } from '../../federation/upstream-client.ts';
import { newFlow, type Flow } from '../login/flow.ts';
import { createUpstreamMethod, federatedAmr } from './upstream-method.ts';

describe('upstream IdP method', () => {
  const pending = { idpId: 'idp1', issuer: 'https://idp.example', state: 'f.state-value-0123456789', nonce: 'n', codeVerifier: 'v' };
  const claims: UpstreamClaims = { idpId: 'idp1', issuer: 'https://idp.example', subject: 's1', email: 'kari@example.com', emailVerified: true, name: null, amr: ['pwd', 'mfa'] } as UpstreamClaims;
  let startFails: UpstreamError | undefined;
  let finishFails: UpstreamError | undefined;
  const federation = {
    async start(idpId: string, options: { prompt?: string }) {
      if (startFails) throw startFails;
      return { url: `https://idp.example/authorize?idp=${idpId}&prompt=${options.prompt ?? ''}`, pending };
    },
    async finish() {
      if (finishFails) throw finishFails;
      return { idp: { id: 'idp1', name: 'Example IdP' }, claims };
    },
    async resolve() {
      return { kind: 'signed_in', accountId: 'a1', identityId: 'i1' };
    },
  } as unknown as FederatedSignIn;
  const method = createUpstreamMethod({ federation, linking: {} as Linking });
  const query = (state: string) => new URLSearchParams({ state, code: 'c' });
  const begun = async (): Promise<Flow> => {
    const flow = newFlow('f');
    await method.submit(flow, { idp: 'idp1' });
    return flow;
  };

  beforeEach(() => {
    startFails = undefined;
    finishFails = undefined;
  });

  it('leaves the password form to the next method', async () => {
    assert.deepEqual(await method.submit(newFlow('f'), { username: 'kari', password: 'x' }), { kind: 'not-mine' });
  });

  it('sends the browser to the IdP and keeps the round trip in the flow (prompt=login when re-authenticating)', async () => {
    const flow = newFlow('f');
    const outcome = await method.submit(flow, { idp: 'idp1' });
    assert.equal(outcome.kind === 'redirect' && outcome.url, 'https://idp.example/authorize?idp=idp1&prompt=');
    assert.deepEqual(flow.private.upstream, { ...pending, purpose: 'sign_in' });
    const again = await method.submit({ ...newFlow('f'), reauth: true }, { idp: 'idp1' });
    assert.match(again.kind === 'redirect' ? again.url : '', /prompt=login$/);
  });

  it('an IdP that cannot be reached is a failure with its message, not an error page', async () => {
    startFails = new UpstreamError('federation.idp_unavailable', 'Example IdP', 'ECONNREFUSED', { step: 'discovery' });
    const outcome = await method.submit(newFlow('f'), { idp: 'idp1' });
    assert.equal(outcome.kind === 'failed' && outcome.message.code, 'federation.idp_unavailable');
  });

  const answers: [string, () => Promise<[Flow, URLSearchParams]>, string][] = [
    ['an answer without a round trip', async () => [newFlow('f'), query(pending.state)], 'federation.response_unexpected'],
    ['another state', async () => [await begun(), query('f.another-state-0123456789')], 'federation.state_mismatch'],
    ['the IdP refused', async () => {
      finishFails = new UpstreamError('federation.idp_error', 'Example IdP', 'invalid_grant', { step: 'token' });
      return [await begun(), query(pending.state)];
    }, 'federation.idp_error'],
    ['a valid answer', async () => [await begun(), query(pending.state)], 'signed_in'],
  ];
  for (const [what, setUp, expected] of answers) {
    it(`${what} → ${expected}; the round trip is used once`, async () => {
      const [flow, q] = await setUp();
      const outcome = await method.callback(flow, q, {});
      assert.equal(outcome.kind === 'failed' ? outcome.message.code : outcome.kind, expected);
      assert.equal(flow.private.upstream, undefined);
    });
  }

  it('a sign-in through the IdP says fed, and mfa only when the IdP did it', () => {
    assert.deepEqual(federatedAmr({ amr: ['pwd'] }), ['fed']);
    assert.deepEqual(federatedAmr({ amr: ['pwd', 'mfa'] }), ['fed', 'mfa']);
  });
});
