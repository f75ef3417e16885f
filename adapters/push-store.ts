// Storage for push approval (Gatehouse Authenticator). Short-lived state — pending approvals,
// enrolment codes, used signature nonces — lives in the provider's state store (Redis or SQL)
// through the same adapter factory as the provider's sessions, as adapters/factor-marks-store.ts
// does; registered devices are MFA methods (rows of `credentials`, kind 'push') with their device
// id as a unique lookup key in `credential_identifiers` (removed with the method by cascade).
// Single use is enforced with the adapters' atomic tryConsume, never by read-then-write.
import { randomUUID, type JsonWebKey } from 'node:crypto';
import type { Knex } from 'knex';
import type { MfaMethod, MfaStore } from '../accounts/mfa.ts';
import type { PushApproval } from '../accounts/push-protocol.ts';
import { PUSH_APPROVAL_TTL_SECONDS, PUSH_ENROLMENT_TTL_SECONDS, PUSH_SIGNATURE_WINDOW_SECONDS } from '../accounts/security-constants.ts';
import type { StateAdapter as SharedStateAdapter } from './state-adapter.ts';

type StateAdapter = Pick<SharedStateAdapter, 'upsert' | 'find' | 'tryConsume' | 'destroy'>;

/** An enrolment code waiting for a device; stored under the code's digest. */
export type PushEnrolment = { accountId: string; flowId: string; expiresAt: number };
/** What a device sent with a valid code; the method is added when the person clicks "Done". */
export type EnrolledDevice = { accountId: string; flowId: string; deviceId: string; name: string; publicKeyJwk: JsonWebKey };
/** A registered device, found by the id it signs its requests with. */
export type PushDevice = { deviceId: string; accountId: string; methodId: string; name: string; publicKeyJwk: JsonWebKey };

export type PushStore = {
  saveApproval(approval: PushApproval): Promise<void>;
  findApproval(id: string): Promise<PushApproval | undefined>;
  /** The account's approvals that list this device and are still undecided (expiry is the caller's to judge). */
  undecidedFor(accountId: string, deviceId: string): Promise<PushApproval[]>;
  /** Records the device's answer once: false when the approval was already answered (or is gone). */
  decide(approval: PushApproval, answer: Pick<PushApproval, 'status' | 'decidedAt' | 'deviceId' | 'reason'>): Promise<boolean>;
  removeApproval(id: string): Promise<void>;

  createEnrolment(digest: string, enrolment: PushEnrolment): Promise<void>;
  findEnrolment(digest: string): Promise<PushEnrolment | undefined>;
  /** A device uses the code: true once per code. */
  claimEnrolment(digest: string): Promise<boolean>;
  saveEnrolledDevice(digest: string, device: EnrolledDevice): Promise<void>;
  findEnrolledDevice(digest: string): Promise<EnrolledDevice | undefined>;
  /** "Done" turns the enrolled device into a method: true once per code. */
  claimEnrolledDevice(digest: string): Promise<boolean>;
  removeEnrolment(digest: string): Promise<void>;

  /** Remembers a signature nonce; false when it was seen before (a replayed request). */
  useNonce(deviceId: string, nonce: string): Promise<boolean>;

  /** Adds the device as the account's push method and indexes it by device id. */
  registerDevice(device: EnrolledDevice, name: string): Promise<MfaMethod>;
  findDevice(deviceId: string): Promise<PushDevice | undefined>;
};

/** Decided approvals stay readable this long, so the waiting page can still pick the answer up. */
const DECIDED_KEEP_SECONDS = 60;
/** An approval lives for its 2 minutes plus a little, so a late device gets "expired", not "unknown". */
const APPROVAL_RECORD_SECONDS = PUSH_APPROVAL_TTL_SECONDS + 30;
/** A nonce must be remembered for as long as its timestamp can be accepted (± the window). */
const NONCE_TTL_SECONDS = 2 * PUSH_SIGNATURE_WINDOW_SECONDS;
const IDENTIFIER_TYPE = 'push_device';

export function createPushStore(deps: { stateAdapter: (model: string) => StateAdapter; knex: Knex; mfa: MfaStore }): PushStore {
  const approvals = deps.stateAdapter('PushApproval');
  // Per account: ids of its recent approvals, so a device can list them without a scan.
  const inbox = deps.stateAdapter('PushInbox');
  const enrolments = deps.stateAdapter('PushEnrolment');
  const enrolled = deps.stateAdapter('PushEnrolledDevice');
  const nonces = deps.stateAdapter('PushNonce');
  const { knex } = deps;

  const asApproval = (payload: Record<string, unknown> | undefined) => {
    if (!payload || typeof payload.id !== 'string') return undefined;
    const { consumed: _consumed, ...approval } = payload;
    return approval as unknown as PushApproval;
  };

  return {
    async saveApproval(approval) {
      await approvals.upsert(approval.id, { ...approval }, APPROVAL_RECORD_SECONDS);
      // Read-modify-write of a small list: two sign-ins of one account started in the same
      // instant may drop one id here; that device then doesn't see it and the person retries.
      const current = await inbox.find(approval.accountId);
      const ids = Array.isArray(current?.ids) ? (current.ids as string[]) : [];
      const live = [];
      for (const id of ids.slice(-20)) if (await approvals.find(id)) live.push(id);
      await inbox.upsert(approval.accountId, { ids: [...live, approval.id] }, APPROVAL_RECORD_SECONDS);
    },
    async findApproval(id) {
      if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
      return asApproval(await approvals.find(id));
    },
    async undecidedFor(accountId, deviceId) {
      const current = await inbox.find(accountId);
      const ids = Array.isArray(current?.ids) ? (current.ids as string[]) : [];
      const out: PushApproval[] = [];
      for (const id of ids) {
        const payload = await approvals.find(id);
        const approval = asApproval(payload);
        if (approval && !payload?.consumed && approval.status === 'pending' && approval.accountId === accountId && approval.deviceIds.includes(deviceId)) {
          out.push(approval);
        }
      }
      return out;
    },
    async decide(approval, answer) {
      if (!(await approvals.tryConsume(approval.id))) return false;
      // `consumed` in the payload keeps the entry consumed when it is saved again.
      await approvals.upsert(approval.id, { ...approval, ...answer, consumed: Math.floor(Date.now() / 1000) }, DECIDED_KEEP_SECONDS);
      return true;
    },
    async removeApproval(id) {
      await approvals.destroy(id);
    },

    async createEnrolment(digest, enrolment) {
      await enrolments.upsert(digest, { ...enrolment }, PUSH_ENROLMENT_TTL_SECONDS);
    },
    async findEnrolment(digest) {
      const found = await enrolments.find(digest);
      if (!found || typeof found.accountId !== 'string' || typeof found.flowId !== 'string') return undefined;
      return { accountId: found.accountId, flowId: found.flowId, expiresAt: Number(found.expiresAt) };
    },
    async claimEnrolment(digest) {
      return enrolments.tryConsume(digest);
    },
    async saveEnrolledDevice(digest, device) {
      await enrolled.upsert(digest, { ...device }, PUSH_ENROLMENT_TTL_SECONDS);
    },
    async findEnrolledDevice(digest) {
      const found = await enrolled.find(digest);
      if (!found || found.consumed || typeof found.deviceId !== 'string') return undefined;
      const { consumed: _consumed, ...device } = found;
      return device as unknown as EnrolledDevice;
    },
    async claimEnrolledDevice(digest) {
      return enrolled.tryConsume(digest);
    },
    async removeEnrolment(digest) {
      await enrolments.destroy(digest);
      await enrolled.destroy(digest);
    },

    async useNonce(deviceId, nonce) {
      const key = `${deviceId}:${nonce}`;
      if (await nonces.find(key)) return false;
      await nonces.upsert(key, {}, NONCE_TTL_SECONDS);
      // Two identical requests racing past find() both upsert; only one tryConsume wins.
      return nonces.tryConsume(key);
    },

    async registerDevice(device, name) {
      const method = await deps.mfa.addMethod(device.accountId, 'push', name, { deviceId: device.deviceId, publicKeyJwk: device.publicKeyJwk });
      try {
        await knex('credential_identifiers').insert({ type: IDENTIFIER_TYPE, identifier: device.deviceId, credential_id: method.id });
      } catch (err) {
        await knex('credentials').where({ id: method.id }).delete();
        throw err;
      }
      return method;
    },
    async findDevice(deviceId) {
      if (!/^[0-9a-f-]{36}$/.test(deviceId)) return undefined;
      const row = await knex('credential_identifiers as i')
        .join('credentials as c', 'c.id', 'i.credential_id')
        .where({ 'i.type': IDENTIFIER_TYPE, 'i.identifier': deviceId, 'c.type': 'push' })
        .first('c.id', 'c.account_id', 'c.name', 'c.config');
      if (!row) return undefined;
      const config = (typeof row.config === 'string' ? JSON.parse(row.config) : row.config) as { deviceId?: string; publicKeyJwk?: JsonWebKey };
      if (config.deviceId !== deviceId || !config.publicKeyJwk) return undefined;
      return { deviceId, accountId: row.account_id, methodId: row.id, name: row.name ?? 'Gatehouse Authenticator', publicKeyJwk: config.publicKeyJwk };
    },
  };
}

export const newDeviceId = () => randomUUID();
