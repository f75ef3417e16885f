import assert from 'node:assert/strict';
import { BadTextError, decodeComponent, parseFormStrict } from './strict-text.ts';

describe('strict text from the wire', () => {
  it('takes plain ASCII as it is, and turns + into a space only in forms', () => {
    assert.equal(decodeComponent('token', 'address'), 'token');
    assert.equal(decodeComponent('a+b', 'address'), 'a+b');
    assert.equal(decodeComponent('a+b', 'form', true), 'a b');
    assert.deepEqual(parseFormStrict('grant_type=client_credentials&scope=a+b', 'form'), { grant_type: 'client_credentials', scope: 'a b' });
  });

  it('percent-decodes UTF-8, and takes raw request-line bytes (latin1 code units) byte for byte', () => {
    assert.equal(decodeComponent('caf%C3%A9', 'form'), 'café');
    assert.equal(decodeComponent('caf\u00c3\u00a9', 'address'), 'café');
    assert.equal(decodeComponent('%2F', 'address'), '/');
  });

  it('refuses NUL, broken UTF-8 and malformed escapes, escaped or not', () => {
    for (const [raw, problem] of [['a%00b', 'NUL'], ['a\u0000b', 'NUL'], ['%C3', 'UTF-8'], ['\u00c3', 'UTF-8'], ['%ZZ', '%-escape'], ['%', '%-escape']] as const) {
      assert.throws(() => decodeComponent(raw, 'form'), (err: unknown) => err instanceof BadTextError && String((err as { vars?: { detail?: string } }).vars?.detail).includes(problem), JSON.stringify(raw));
    }
  });
});
