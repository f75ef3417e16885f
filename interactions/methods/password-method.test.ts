// The password method on its own, with a hasher that compares plainly: one message for an unknown
// user and a wrong password (and a secret checked either way), an SSO organization's refusal of a
// correct password, and the rehash of an old hash after a success.
import assert from 'node:assert/strict';
import type { AccountStore } from '../../accounts/account.ts';
import type { PasswordHasher } from '../../accounts/password-hasher.ts';
import { newFlow } from '../login/flow.ts';
import { createPasswordMethod } from './password-method.ts';

describe('password method', () => {
  let rehashed: string[];
  let verified: (string | undefined)[];
  const accounts = {
    async findPasswordCredential(username: string) {
      if (username === 'kari') return { accountId: 'a1', credentialId: 'c1', hash: 'old:secret-one' };
      if (username === 'ola') return { accountId: 'a2', credentialId: 'c2', hash: 'new:secret-two' };
      if (username === 'sso') return { accountId: 'a3', credentialId: 'c3', hash: 'new:secret-three' };
      return undefined;
    },
    async rehashPassword(credentialId: string) {
      rehashed.push(credentialId);
    },
  } as unknown as AccountStore;
  const hasher = {
    async verify(hash: string | undefined, password: string) {
      verified.push(hash);
      return hash !== undefined && hash.split(':')[1] === password;
    },
    needsRehash: (hash: string) => hash.startsWith('old:'),
    hash: async (password: string) => `new:${password}`,
  } as unknown as PasswordHasher;
  const method = createPasswordMethod({
    accounts,
    hasher,
    ssoPolicy: { localSignInRefusal: async (id) => (id === 'a3' ? { code: 'session.sso_required', level: 'error' } : undefined) },
  });
  const submit = (username: string, password: string) => method.submit(newFlow('f'), { username, password }, {});

  beforeEach(() => {
    rehashed = [];
    verified = [];
  });

  const cases: [string, string, string, string, { guess?: boolean; accountId?: string }][] = [
    ['', 'x', 'session.credentials_required', 'nothing typed', {}],
    ['kari', '', 'session.credentials_required', 'no password', {}],
    ['nobody', 'secret-one', 'session.invalid_credentials', 'unknown user', { guess: true, accountId: undefined }],
    ['kari', 'wrong', 'session.invalid_credentials', 'wrong password', { guess: true, accountId: 'a1' }],
    ['sso', 'secret-three', 'session.sso_required', 'an SSO organization refuses a correct password', {}],
  ];
  for (const [username, password, code, what, extra] of cases) {
    it(`${what} → ${code}`, async () => {
      const outcome = await submit(username, password);
      assert.equal(outcome.kind === 'failed' && outcome.message.code, code);
      if (outcome.kind === 'failed') {
        assert.equal(outcome.guess, extra.guess);
        assert.equal(outcome.accountId, extra.accountId);
      }
    });
  }

  it('an unknown user costs a hash check like a known one (no timing oracle)', async () => {
    await submit('nobody', 'x');
    assert.deepEqual(verified, [undefined], 'the hasher verified (its dummy hash)');
  });

  it('signs in with amr pwd, rehashing an old hash', async () => {
    assert.deepEqual(await submit('kari', 'secret-one'), { kind: 'verified', accountId: 'a1', amr: ['pwd'] });
    assert.deepEqual(rehashed, ['c1']);
    assert.deepEqual(await submit('ola', 'secret-two'), { kind: 'verified', accountId: 'a2', amr: ['pwd'] });
    assert.deepEqual(rehashed, ['c1'], 'a current hash is kept');
  });

  it('throttles by the typed username', () => {
    assert.equal(method.throttleSubject!({ username: '  kari ' }), 'kari');
    assert.equal(method.throttleSubject!({ username: '' }), undefined);
  });
});
