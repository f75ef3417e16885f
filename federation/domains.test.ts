// Domains for custom-domain sign-in: what counts as a host name, and which registered domain an email
// address falls under (the email-domain rule of federated sign-in).
import assert from 'node:assert/strict';
import { domainViolations, emailDomainCandidates, isHostname, normalizeDomain } from './domains.ts';

describe('organization domains', () => {
  const cases: [string, boolean][] = [
    ['example.com', true],
    ['sso.example.co.uk', true],
    ['xn--bcher-kva.example', true],
    ['localhost', true],
    ['a-b.example', true],
    ['-a.example', false],
    ['a-.example', false],
    ['a..example', false],
    ['exa mple.com', false],
    ['under_score.example', false],
    ['10.0.0.1', false],
    ['https://example.com', false],
    ['example.com/path', false],
    ['user@example.com', false],
    ['', false],
    [`${'a'.repeat(64)}.example`, false],
    [`${'a'.repeat(63)}.example`, true],
  ];
  for (const [value, ok] of cases) {
    it(`${JSON.stringify(value)} is ${ok ? '' : 'not '}a host name`, () => assert.equal(isHostname(normalizeDomain(value)), ok));
  }

  it('normalizes case and a trailing dot', () => {
    assert.equal(normalizeDomain(' Example.COM. '), 'example.com');
  });

  it('reports each invalid domain with the code domain.invalid', () => {
    assert.deepEqual(domainViolations(['ok.example', 'not ok']).map((v) => v.code), ['domain.invalid']);
  });

  it('lists an email address’s host and its parents, most specific first', () => {
    assert.deepEqual(emailDomainCandidates('bob@eng.acme.example'), ['eng.acme.example', 'acme.example', 'example']);
    assert.deepEqual(emailDomainCandidates('not-an-email'), []);
  });
});
