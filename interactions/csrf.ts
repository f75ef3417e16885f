// CSRF tokens for Gatehouse's own signed-in pages: an HMAC of the provider session's uid, so a
// token is only good for the session it was rendered in (synchronizer pattern, no extra state).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../accounts/errors.ts';

export function createCsrf(key: Buffer) {
  const tokenFor = (sessionUid: string) => createHmac('sha256', key).update(`csrf:${sessionUid}`).digest('base64url');
  return {
    tokenFor,
    /** Throws a 403 DomainError when the submitted token does not belong to this session. */
    check(sessionUid: string, submitted: unknown) {
      const expected = Buffer.from(tokenFor(sessionUid));
      const actual = Buffer.from(typeof submitted === 'string' ? submitted : '');
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
        throw new DomainError('csrf.invalid', { status: 403 });
      }
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
