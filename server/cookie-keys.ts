// The keys Koa signs and checks cookies with: our app's and oidc-provider's own app's (server/provider.ts).
// Signatures are keygrip's exactly (HMAC-SHA1, base64url), so cookies stay valid across the change
// and across the keys' rotation order. Only the comparison differs: keygrip's tsscmp makes a random
// HMAC key for every comparison (about half a millisecond of each sign-in, across its signed cookie
// reads); crypto.timingSafeEqual compares equal-length signatures in constant time without that.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type Keygrip from 'keygrip';

export function cookieKeys(keys: readonly string[]): Keygrip {
  if (keys.length === 0) throw new Error('cookie keys must not be empty');
  const sign = (data: string, key: string) => createHmac('sha1', key).update(data).digest('base64url');
  const index = (data: string, digest: string) => {
    const presented = Buffer.from(String(digest ?? ''));
    for (let i = 0; i < keys.length; i++) {
      const expected = Buffer.from(sign(data, keys[i]));
      if (expected.length === presented.length && timingSafeEqual(expected, presented)) return i;
    }
    return -1;
  };
  return { sign: (data: string) => sign(data, keys[0]), verify: (data: string, digest: string) => index(data, digest) > -1, index } as Keygrip;
}
