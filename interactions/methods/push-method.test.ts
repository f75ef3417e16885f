// Push approval as a method, over an in-memory push store and an injected clock: one request per
// challenge (however often the page renders), its own status action (the page's poll), the
// answers, expiry, and one enrolment code per set-up.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { MfaMethod, MfaStore } from '../../accounts/mfa.ts';
import type { PushApproval } from '../../accounts/push-protocol.ts';
import { PUSH_APPROVAL_TTL_SECONDS, PUSH_ENROLMENT_TTL_SECONDS } from '../../accounts/security-constants.ts';
import type { PushEnrolment, PushStore } from '../../adapters/push-store.ts';
import { createSecretBox } from '../../adapters/secret-box.ts';
import { newFlow } from '../login/flow.ts';
import { methodActionPath, type MfaContext } from './method.ts';
import { challengeOnce, enrolmentOnce } from './prepared.ts';
import { createPushMethod } from './push-method.ts';

describe('push approval method', () => {
  let clock: number;
  let approvals: Map<string, PushApproval>;
  let enrolments: Map<string, PushEnrolment>;
  let used: string[];
  const store = {
    async saveApproval(a: PushApproval) {
      approvals.set(a.id, { ...a });
    },
    async findApproval(id: string) {
      return approvals.get(id);
    },
    async removeApproval(id: string) {
      approvals.delete(id);
    },
    async createEnrolment(digest: string, e: PushEnrolment) {
      enrolments.set(digest, e);
    },
    async findEnrolment(digest: string) {
      return enrolments.get(digest);
    },
    async findEnrolledDevice() {
      return undefined;
    },
  } as unknown as PushStore;
  const mfa = { async markUsed(id: string) { used.push(id); } } as unknown as MfaStore;
  const method = createPushMethod({ mfa, box: createSecretBox(randomBytes(32)), push: { store, serverUrl: 'https://id.example.com' }, clock: () => clock });
  const phone: MfaMethod = { id: 'p1', accountId: 'a1', kind: 'push', name: 'Phone', config: { deviceId: 'dev1' }, createdAt: new Date(0), lastUsedAt: null };
  const context = (methods: MfaMethod[] = [phone]): MfaContext => ({
    flow: { ...newFlow('flow1'), step: 'mfa_challenge', mfaKind: 'push' },
    account: { id: 'a1' } as never,
    methods,
    request: { ip: '192.0.2.1' },
    clientName: 'Demo',
  });
  const answer = (status: 'approved' | 'denied') => {
    const [a] = approvals.values();
    approvals.set(a.id, { ...a, status, decidedAt: clock, deviceId: 'dev1' });
  };
  const poll = async (ctx: MfaContext) => {
    const result = await method.actions!.status.run(ctx, {});
    return result.kind === 'json' ? (result.body as { status: string }).status : result.kind;
  };

  beforeEach(() => {
    clock = Date.UTC(2026, 11, 1, 12);
    approvals = new Map();
    enrolments = new Map();
    used = [];
  });

  it('owns its kind, label, amr, words and its status action (a read at the method-action route)', () => {
    assert.deepEqual([method.kind, method.amr, method.describe()], ['push', ['swk', 'user'], 'Gatehouse Authenticator app']);
    assert.deepEqual(Object.keys(method.actions ?? {}), ['status']);
    assert.equal(method.actions!.status.read, true);
    assert.deepEqual(method.actions!.status.steps, ['mfa_challenge']);
  });

  it('sends one request per challenge: every render shows the same number, the page polls its own action', async () => {
    const ctx = context();
    const renders = [];
    for (let i = 0; i < 3; i++) renders.push(await challengeOnce(method, ctx));
    assert.equal(approvals.size, 1, 'one request to the device');
    assert.deepEqual(renders.map((r) => r.prepared), [true, false, false]);
    assert.equal(new Set(renders.map((r) => r.view.pushNumber)).size, 1);
    assert.equal(renders[0].view.pushStatusUrl, methodActionPath('flow1', 'push', 'status'));
    const [a] = approvals.values();
    assert.deepEqual([a.flowId, a.accountId, a.deviceIds, a.clientName, a.ip], ['flow1', 'a1', ['dev1'], 'Demo', '192.0.2.1']);
  });

  it('waits while pending (no failure), then verifies an approval once', async () => {
    const ctx = context();
    await challengeOnce(method, ctx);
    assert.equal(await poll(ctx), 'pending');
    assert.equal((await method.verify(ctx, {})).kind, 'pending');
    answer('approved');
    assert.equal(await poll(ctx), 'approved');
    assert.deepEqual(await method.verify(ctx, {}), { kind: 'verified', amr: ['mfa', 'swk', 'user'] });
    assert.deepEqual(used, ['p1']);
    assert.equal(approvals.size, 0, 'an answered request is gone');
    assert.equal(await poll(ctx), 'none', 'nothing of this flow to wait for');
  });

  it('a denial fails, and the next render starts a new request', async () => {
    const ctx = context();
    await challengeOnce(method, ctx);
    answer('denied');
    const denied = await method.verify(ctx, {});
    assert.equal(denied.kind === 'failed' && denied.message.code, 'mfa.push_denied');
    const next = await challengeOnce(method, ctx);
    assert.equal(next.prepared, true);
    assert.equal(approvals.size, 1);
  });

  it('an expired request reads as expired, and the next render replaces it', async () => {
    const ctx = context();
    await challengeOnce(method, ctx);
    clock += PUSH_APPROVAL_TTL_SECONDS * 1000;
    assert.equal(await poll(ctx), 'expired');
    const second = await challengeOnce(method, ctx);
    assert.equal(second.prepared, true);
    assert.equal(approvals.size, 2, 'a new request (the old one expires in the store)');
  });

  it('is available only with a registered device', async () => {
    assert.equal(await method.available(context()), true);
    assert.equal(await method.available(context([])), false);
  });

  it('shows one enrolment code per set-up until it expires', async () => {
    const ctx = context([]);
    const first = await enrolmentOnce(method.enrolment!, ctx);
    const reload = await enrolmentOnce(method.enrolment!, ctx);
    assert.equal(enrolments.size, 1);
    assert.equal(reload.prepared, false);
    assert.equal(reload.view.pushCode, first.view.pushCode);
    clock += PUSH_ENROLMENT_TTL_SECONDS * 1000;
    const late = await enrolmentOnce(method.enrolment!, ctx);
    assert.equal(late.prepared, true);
    assert.notEqual(late.view.pushCode, first.view.pushCode);
  });

  it('"Done" before the device enrolled says so; it adds nothing', async () => {
    const ctx = context([]);
    await enrolmentOnce(method.enrolment!, ctx);
    const early = await method.enrolment!.complete(ctx, {});
    assert.equal(early.kind === 'failed' && early.message.code, 'mfa.push_not_enrolled');
  });
});
