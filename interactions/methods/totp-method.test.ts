// The authenticator-app strategy on its own: a real secret box and TOTP, a store that remembers the
// claimed time steps. What it decides: right, wrong and replayed codes; one seed per set-up.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { MfaMethod, MfaStore } from '../../accounts/mfa.ts';
import { newTotpSecret, totpCode } from '../../accounts/totp.ts';
import { createSecretBox } from '../../adapters/secret-box.ts';
import { newFlow } from '../login/flow.ts';
import type { MfaContext } from './method.ts';
import { challengeOnce, enrolmentOnce } from './prepared.ts';
import { createTotpMethod } from './totp-method.ts';

describe('authenticator app (TOTP) method', () => {
  const box = createSecretBox(randomBytes(32));
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);
  let claimed: Map<string, number>;
  let added: MfaMethod[];
  const store = {
    async claimTotpStep(id: string, step: number) {
      if ((claimed.get(id) ?? -1) >= step) return false;
      claimed.set(id, step);
      return true;
    },
    async addMethod(accountId: string, kind: string, name: string, config: Record<string, unknown>) {
      const m: MfaMethod = { id: `m${added.length}`, accountId, kind, name, config, createdAt: new Date(now), lastUsedAt: null };
      added.push(m);
      return m;
    },
  } as unknown as MfaStore;
  const method = createTotpMethod({ mfa: store, box, issuerName: 'id.example.com', clock: () => now });
  const secret = newTotpSecret();
  const app: MfaMethod = { id: 't1', accountId: 'a1', kind: 'totp', name: 'Phone', config: { secret: box.seal(secret) }, createdAt: new Date(now), lastUsedAt: null };
  const context = (methods: MfaMethod[] = [app]): MfaContext => ({ flow: newFlow('f'), account: { id: 'a1', username: 'kari' } as never, methods, request: {} });

  beforeEach(() => {
    claimed = new Map();
    added = [];
  });

  it('owns its kind, label, amr and words', () => {
    assert.deepEqual([method.kind, method.label, method.amr, method.describe()], ['totp', 'Authenticator app', ['otp'], 'authenticator app']);
  });

  it('is available with a registered app only; its challenge needs no preparation', async () => {
    assert.equal(await method.available(context()), true);
    assert.equal(await method.available(context([])), false);
    assert.equal(method.prepareChallenge, undefined);
    assert.deepEqual((await challengeOnce(method, context())).view, {});
  });

  const cases: [string, (code: string) => string, string][] = [
    ['the current code', (code) => code, 'verified'],
    ['a wrong code', (code) => (code === '000000' ? '111111' : '000000'), 'mfa.invalid_code'],
    ['a code with spaces', (code) => `${code.slice(0, 3)} ${code.slice(3)}`, 'verified'],
    ['letters', () => 'abcdef', 'mfa.invalid_code'],
  ];
  for (const [what, typed, expected] of cases) {
    it(`${what} → ${expected}`, async () => {
      const outcome = await method.verify(context(), { code: typed(await totpCode(secret, now)) });
      assert.equal(outcome.kind === 'failed' ? outcome.message.code : outcome.kind, expected);
    });
  }

  it('accepts a code once: the same code again is a replay', async () => {
    const code = await totpCode(secret, now);
    assert.deepEqual(await method.verify(context(), { code }), { kind: 'verified', amr: ['mfa', 'otp'] });
    const again = await method.verify(context(), { code });
    assert.equal(again.kind === 'failed' && again.message.code, 'mfa.code_already_used');
  });

  it('prepares one seed per set-up, and its first code registers the app with that time step claimed', async () => {
    const ctx = context([]);
    const first = await enrolmentOnce(method.enrolment!, ctx);
    const reload = await enrolmentOnce(method.enrolment!, ctx);
    assert.equal(reload.prepared, false);
    assert.equal(reload.view.secret, first.view.secret, 'a reload shows the same seed');
    const seed = String(first.view.secret).replace(/ /g, '');
    const enrolled = await method.enrolment!.complete(ctx, { code: await totpCode(seed, now), name: 'Phone' });
    assert.equal(enrolled.kind, 'enrolled');
    assert.equal(box.open(String(added[0].config.secret)), seed);
    assert.equal(typeof added[0].config.lastTimeStep, 'number', 'the confirming code cannot be replayed to sign in');
    assert.equal(await method.enrolment!.view(ctx), undefined, 'the seed left the flow');
  });

  it('refuses to complete a set-up that was never prepared', async () => {
    const outcome = await method.enrolment!.complete(context([]), { code: '123456' });
    assert.equal(outcome.kind === 'failed' && outcome.message.code, 'mfa.enrolment_expired');
  });
});
