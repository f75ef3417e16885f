import assert from 'node:assert/strict';
import { isProviderPath } from './provider-routes.ts';

describe('provider routes: which paths skip our own routers', () => {
  const cases: [string, boolean][] = [
    ['/token', true],
    ['/token/introspection', true],
    ['/token/revocation', true],
    ['/auth', true],
    ['/auth/abc123', true],
    ['/session/end/confirm', true],
    ['/.well-known/openid-configuration', true],
    ['/jwks', true],
    ['/me', true],
    ['/authenticator/v1/enrol', false],
    ['/tokens', false],
    ['/interaction/abc', false],
    ['/account', false],
    ['/api/v1/users', false],
    ['/', false],
  ];
  for (const [path, expected] of cases) {
    it(`${path} → ${expected ? 'provider' : 'our routers'}`, () => assert.equal(isProviderPath(path), expected));
  }
});
