// One HTTP request reads an account once. The provider asks for it several times per request
// (session check, claims, ID token), and a sign-in step reads it for its context and again to
// complete. The memo lives on the request's ctx.state and dies with it, never across requests: a
// lockout, a disabled or changed account, a reset MFA is seen by the next request. (The embedded
// store's cache across requests keeps that: every write drops what it changes, adapters/embedded-reads.ts.)
import type { AccountStore, AccountWithOrganization } from './account.ts';

type Memo = Map<string, Promise<AccountWithOrganization | undefined>>;
type RequestState = { accounts?: Memo } | undefined;

/** The account, read at most once per request (`state`: the request's ctx.state; none → no memo). */
export function accountOfRequest(state: object | undefined, accounts: Pick<AccountStore, 'findById'>, id: string): Promise<AccountWithOrganization | undefined> {
  if (!state) return accounts.findById(id);
  const memo = ((state as NonNullable<RequestState>).accounts ??= new Map());
  let found = memo.get(id);
  if (!found) memo.set(id, (found = accounts.findById(id)));
  return found;
}

/** The account if this request already read it; undefined without a query otherwise. */
export function accountReadInRequest(state: object | undefined, id: string): Promise<AccountWithOrganization | undefined> | undefined {
  return (state as RequestState)?.accounts?.get(id);
}
