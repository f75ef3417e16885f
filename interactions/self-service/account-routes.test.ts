import assert from 'node:assert/strict';
import { translate } from '../../accounts/messages/catalog.ts';
import { loggedInVia } from './account-routes.ts';

// The page shows the message in the reader's language; these are the English texts.
const text = (...args: Parameters<typeof loggedInVia>) => {
  const m = loggedInVia(...args);
  return translate('en', m.code, m.vars);
};

describe('"Logged In Via"', () => {
  const cases: [string[], string][] = [
    [['pwd'], 'Gatehouse username and password'],
    [['pwd', 'mfa', 'otp'], 'Gatehouse username and password, with authenticator app'],
    [['pwd', 'mfa', 'hwk'], 'Gatehouse username and password, with security key'],
    [['pwd', 'mfa', 'swk', 'user'], 'Gatehouse username and password, with built-in authenticator or Gatehouse Authenticator'],
    [[], 'Single sign-on through your organization’s identity provider'],
    [['fed'], 'Single sign-on through your organization’s identity provider'],
  ];
  for (const [amr, expected] of cases) it(`${JSON.stringify(amr)} → ${expected}`, () => assert.equal(text(amr), expected));

  // The session's method says it in its own words: two `otp` methods are not both "authenticator app".
  const names = { describe: (kind: string) => ({ totp: 'authenticator app', email_otp: 'email code' })[kind] ?? kind };
  const byMethod: [string, string][] = [
    ['totp', 'Gatehouse username and password, with authenticator app'],
    ['email_otp', 'Gatehouse username and password, with email code'],
  ];
  for (const [kind, expected] of byMethod) it(`otp by ${kind} → ${expected}`, () => assert.equal(text(['pwd', 'mfa', 'otp'], kind, names), expected));

  it('in Norwegian too, the method in its own words', () => {
    const m = loggedInVia(['pwd', 'mfa', 'otp'], 'email_otp', names);
    assert.equal(translate('nb', m.code, m.vars), 'Brukernavn og passord for Gatehouse, med kode på e-post');
  });
  it('a method the catalog does not know is said by the registry', () => {
    assert.equal(text(['pwd', 'mfa', 'otp'], 'future_kind', { describe: () => 'future thing' }), 'Gatehouse username and password, with future thing');
  });
});
