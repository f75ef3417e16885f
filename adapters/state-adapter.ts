// The short-lived state store behind oidc-provider (SQL for the embedded default, Redis in
// production): the provider's Adapter contract plus `tryConsume`. Features keep their own TTL'd
// state there too (factor marks, push approvals, MFA setups, upstream sign-ins), each under a model
// name of its own, and see payloads as plain JSON objects; the SQL and Redis adapters implement it
// with oidc-provider's payload type (StateAdapter<AdapterPayload>).
export type StatePayload = Record<string, unknown>;

export type StateAdapter<P = StatePayload> = {
  upsert(id: string, payload: P, expiresIn?: number): Promise<void>;
  find(id: string): Promise<P | undefined>;
  findByUid(uid: string): Promise<P | undefined>;
  findByUserCode(userCode: string): Promise<P | undefined>;
  /** Resolves only for the one call that consumed the entry; rejects otherwise. */
  consume(id: string): Promise<void>;
  /** True when this call consumed the entry (atomic: of parallel calls, one wins). */
  tryConsume(id: string): Promise<boolean>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
};

export type StateAdapterFactory = (model: string) => StateAdapter;

/**
 * Every method of `inner`, bound to it, for wrappers that override a few (spread would drop the
 * methods: the adapters are class instances).
 */
export function delegateTo(inner: StateAdapter): StateAdapter {
  return {
    upsert: (id, payload, expiresIn) => inner.upsert(id, payload, expiresIn),
    find: (id) => inner.find(id),
    findByUid: (uid) => inner.findByUid(uid),
    findByUserCode: (code) => inner.findByUserCode(code),
    consume: (id) => inner.consume(id),
    tryConsume: (id) => inner.tryConsume(id),
    destroy: (id) => inner.destroy(id),
    revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
  };
}
