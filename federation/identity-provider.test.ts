// The rules of an identity provider registration, one case per rule (OIDC only, https issuers, a
// stable subject claim).
import assert from 'node:assert/strict';
import { identityProviderViolations, normalizeIssuer, parseScopes, type IdentityProviderInput } from './identity-provider.ts';

const valid: IdentityProviderInput = { name: 'Okta', issuer: 'https://acme.okta.example', clientId: 'abc' };
const codes = (input: Partial<IdentityProviderInput>, allowHttpIssuers = false) =>
  identityProviderViolations({ ...valid, ...input }, { allowHttpIssuers }).map((v) => v.code);

describe('identity provider registration rules', () => {
  const cases: [string, Partial<IdentityProviderInput>, string[], boolean?][] = [
    ['a valid registration', {}, []],
    ['an empty name', { name: ' ' }, ['idp.name_length']],
    ['a name over 100 characters', { name: 'x'.repeat(101) }, ['idp.name_length']],
    ['an issuer that is not a URL', { issuer: 'okta' }, ['idp.issuer_invalid']],
    ['an http issuer', { issuer: 'http://idp.example' }, ['idp.issuer_not_https']],
    ['an http issuer where allowed (development)', { issuer: 'http://127.0.0.1:4000' }, [], true],
    ['an issuer with a query', { issuer: 'https://idp.example/?tenant=1' }, ['idp.issuer_invalid']],
    ['an issuer with a fragment', { issuer: 'https://idp.example/#x' }, ['idp.issuer_invalid']],
    ['no client id', { clientId: '' }, ['idp.client_id_invalid']],
    ['scopes without openid (plain OAuth 2.0)', { scopes: ['email', 'profile'] }, ['idp.openid_scope_required']],
    ['a malformed scope', { scopes: ['openid', 'bad"scope'] }, ['idp.scopes_invalid']],
    ['email as the subject claim', { claimMapping: { subject: 'email' } }, ['idp.subject_claim_unstable']],
    ['preferred_username as the subject claim', { claimMapping: { subject: 'preferred_username' } }, ['idp.subject_claim_unstable']],
    ['the subject claim equal to the email claim', { claimMapping: { subject: 'mail', email: 'mail' } }, ['idp.subject_claim_unstable']],
    ['an oid subject claim (Entra ID)', { claimMapping: { subject: 'oid' } }, []],
    ['a claim name with spaces', { claimMapping: { name: 'full name' } }, ['idp.claim_invalid']],
  ];
  for (const [title, input, expected, allowHttp] of cases) {
    it(`${title} → ${expected.length ? expected.join(', ') : 'accepted'}`, () => assert.deepEqual(codes(input, allowHttp ?? false), expected));
  }

  it('normalizes an issuer by dropping trailing slashes', () => {
    assert.equal(normalizeIssuer('https://idp.example/tenant/'), 'https://idp.example/tenant');
    assert.equal(normalizeIssuer('not a url'), undefined);
  });

  it('parses scopes as typed, without duplicates', () => {
    assert.deepEqual(parseScopes(' openid  email openid '), ['openid', 'email']);
  });
});
