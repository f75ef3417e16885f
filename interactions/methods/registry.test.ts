// Every registered method answers for itself: kind, label, amr, how "Logged In Via" says it, and
// the names the domain asks the registry for. A new method that forgets one fails here.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AccountStore } from '../../accounts/account.ts';
import type { AuditLog } from '../../accounts/audit.ts';
import { createEmailCodes, type EmailCodeStore } from '../../accounts/email-codes.ts';
import type { MfaStore } from '../../accounts/mfa.ts';
import type { PasswordHasher } from '../../accounts/password-hasher.ts';
import { createSecretBox } from '../../adapters/secret-box.ts';
import { createMethodRegistry } from './registry.ts';

describe('method registry', () => {
  const unused = {} as never;
  const registry = createMethodRegistry({
    accounts: unused as AccountStore,
    hasher: unused as PasswordHasher,
    mfa: unused as MfaStore,
    box: createSecretBox(randomBytes(32)),
    recoveryDigest: (c) => c,
    issuerName: 'id.example.com',
    issuer: 'https://id.example.com',
    audit: unused as AuditLog,
    emailCodes: createEmailCodes({ store: unused as EmailCodeStore, secret: randomBytes(32) }),
    mailer: { send: async () => {} },
  });

  const expected: [string, string, string[], string][] = [
    ['totp', 'Authenticator app', ['otp'], 'authenticator app'],
    ['platform', 'Built-in authenticator', ['swk', 'user'], 'built-in authenticator'],
    ['security_key', 'Security key', ['hwk'], 'security key'],
    ['email_otp', 'Email code', ['otp'], 'email code'],
    ['recovery_code', 'Recovery code', ['otp'], 'recovery code'],
  ];

  it('lists the second factors in the order "Try another method" shows them', () => {
    assert.deepEqual(registry.secondFactors.map((m) => m.kind), expected.map(([kind]) => kind));
  });

  for (const [kind, label, amr, words] of expected) {
    it(`${kind}: "${label}", amr ${JSON.stringify(amr)}, "${words}"`, () => {
      const m = registry.mfa(kind)!;
      assert.equal(m.label, label);
      assert.deepEqual(m.amr, amr);
      assert.equal(m.describe(), words);
      assert.equal(registry.names.label(kind), label);
      assert.equal(registry.names.describe(kind), words);
    });
  }

  it('two otp methods are told apart by the method, not by amr', () => {
    assert.notEqual(registry.names.describe('totp'), registry.names.describe('email_otp'));
  });

  it('only the emailed code delivers to the password-reset inbox', () => {
    assert.deepEqual(registry.secondFactors.filter((m) => registry.names.traits(m.kind).inbox).map((m) => m.kind), ['email_otp']);
  });

  it('an unknown kind reads as itself rather than failing', () => {
    assert.equal(registry.names.label('future_kind'), 'future_kind');
    assert.equal(registry.mfa('future_kind'), undefined);
  });
});
