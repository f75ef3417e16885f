import assert from 'node:assert/strict';
import Keygrip from 'keygrip';
import { cookieKeys } from './cookie-keys.ts';

describe('cookie keys', () => {
  const keys = ['newest-key-0123456789', 'older-key-0123456789'];
  const ours = cookieKeys(keys);
  const keygrip = new Keygrip(keys);

  it('signs exactly as keygrip does, so existing cookies stay valid', () => {
    for (const data of ['_session=abc', 'gatehouse.lang=nb.1700000000', '']) assert.equal(ours.sign(data), keygrip.sign(data));
  });

  it('finds which key signed a value, like keygrip, and refuses a wrong or truncated signature', () => {
    const byOlder = new Keygrip([keys[1]]).sign('x=1');
    assert.equal(ours.index('x=1', byOlder), 1);
    assert.equal(ours.index('x=1', keygrip.sign('x=1')), 0);
    assert.equal(ours.index('x=2', byOlder), -1);
    assert.equal(ours.index('x=1', byOlder.slice(0, -1)), -1);
    assert.equal(ours.verify('x=1', ''), false);
  });
});
