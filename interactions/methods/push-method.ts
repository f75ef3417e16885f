// Push approval with the Gatehouse Authenticator app (issue 5 §4; protocol in accounts/push-protocol.ts,
// device endpoints in interactions/push-routes.ts). The sign-in page shows a two-digit number; the
// person picks it on the device and approves or denies. An approval belongs to exactly one flow:
// its id lives in that flow's private state and the stored approval names the flow and account.
// Its action: `status`, the waiting page's poll (a read at the method-action route).
import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { z } from 'zod';
import { validMethodName, type MfaStore } from '../../accounts/mfa.ts';
import {
  approvalExpiry,
  approvalStatus,
  enrolmentCodeDigest,
  enrolmentUri,
  newEnrolmentCode,
  numberMatching,
  type PushApproval,
} from '../../accounts/push-protocol.ts';
import { PUSH_APPROVAL_TTL_SECONDS, PUSH_ENROLMENT_TTL_SECONDS } from '../../accounts/security-constants.ts';
import type { PushStore } from '../../adapters/push-store.ts';
import type { SecretBox } from '../../adapters/secret-box.ts';
import type { FlowMessage } from '../login/flow.ts';
import { methodActionPath, type MfaContext, type MfaStrategy } from './method.ts';
import { scratchSpace } from './scratch.ts';

export type PushDependencies = { store: PushStore; /** The issuer: where devices enrol and poll. */ serverUrl: string };

export const PUSH_MESSAGES = {
  pending: { code: 'mfa.push_pending', level: 'info' },
  denied: { code: 'mfa.push_denied', level: 'error' },
  expired: { code: 'mfa.push_expired', level: 'error' },
  notEnrolled: {
    code: 'mfa.push_not_enrolled',
    level: 'error',
  },
  enrolmentExpired: { code: 'mfa.push_enrolment_expired', level: 'error' },
} satisfies Record<string, FlowMessage>;

/** `swk` + `user`: a key held in software on the device, and the person's explicit approval (README). */
const PUSH_AMR = ['swk', 'user'];

/** The approval this flow is waiting for; the enrolment code it showed (sealed) and its digest. */
const challengeScratch = scratchSpace('push', z.object({ approvalId: z.string() }));
const enrolScratch = scratchSpace('push_enrol', z.object({ code: z.string(), digest: z.string(), expiresAt: z.number() }));
type PushEnrolState = z.infer<typeof enrolScratch.schema>;


export function createPushMethod(deps: { mfa: MfaStore; box: SecretBox; push: PushDependencies; clock?: () => number }): MfaStrategy {
  const now = () => (deps.clock ?? Date.now)();
  const { store } = deps.push;
  const devicesOf = (ctx: MfaContext) =>
    ctx.methods.filter((m) => m.kind === 'push' && typeof m.config.deviceId === 'string');

  async function currentApproval(ctx: MfaContext): Promise<PushApproval | undefined> {
    const state = challengeScratch.read(ctx.flow);
    if (!state?.approvalId) return undefined;
    const approval = await store.findApproval(state.approvalId);
    // Only this flow's approval, for this account, counts.
    return approval && approval.flowId === ctx.flow.id && approval.accountId === ctx.account.id ? approval : undefined;
  }

  function waitingView(ctx: MfaContext, approval: PushApproval) {
    return {
      pushNumber: String(approval.number),
      // The interaction cookie (path /interaction/<uid>) makes the poll this flow's own.
      pushStatusUrl: methodActionPath(ctx.flow.id, 'push', 'status'),
      pushMinutes: Math.round(PUSH_APPROVAL_TTL_SECONDS / 60),
      pushDevices: devicesOf(ctx).map((m) => m.name),
    };
  }

  async function enrolState(ctx: MfaContext) {
    const state = enrolScratch.read(ctx.flow);
    if (!state) return undefined;
    const device = await store.findEnrolledDevice(state.digest);
    if (device && device.flowId === ctx.flow.id && device.accountId === ctx.account.id) return { state, device };
    const enrolment = await store.findEnrolment(state.digest);
    if (enrolment && enrolment.flowId === ctx.flow.id && now() < enrolment.expiresAt) return { state, device: undefined };
    return undefined;
  }

  return {
    kind: 'push',
    label: 'Gatehouse Authenticator app',
    amr: PUSH_AMR,
    describe: () => 'Gatehouse Authenticator app',
    privateSchema: z.object({ push: challengeScratch.schema.optional(), push_enrol: enrolScratch.schema.optional() }),
    async available(ctx) {
      return devicesOf(ctx).length > 0;
    },
    async challengeView(ctx) {
      const existing = await currentApproval(ctx);
      // This flow's approval until it expires: reloading the page sends no new request (nor wipes an
      // answer the device already gave, which the next POST turns into the outcome). Expired → a new one.
      return existing && approvalStatus(existing, now()) !== 'expired' ? waitingView(ctx, existing) : undefined;
    },
    async prepareChallenge(ctx) {
      const time = now();
      const { number, choices } = numberMatching();
      const approval: PushApproval = {
        id: randomUUID(),
        flowId: ctx.flow.id,
        accountId: ctx.account.id,
        deviceIds: devicesOf(ctx).map((m) => String(m.config.deviceId)),
        clientName: ctx.clientName ?? 'Gatehouse',
        ip: ctx.request.ip ?? null,
        time,
        number,
        choices,
        expiresAt: approvalExpiry(time),
        status: 'pending',
      };
      await store.saveApproval(approval);
      challengeScratch.write(ctx.flow, { approvalId: approval.id });
    },
    async verify(ctx) {
      const approval = await currentApproval(ctx);
      const status = approvalStatus(approval, now());
      if (status === 'pending') return { kind: 'pending', message: PUSH_MESSAGES.pending };
      // Any answer ends this approval: the next page shows a fresh request.
      challengeScratch.clear(ctx.flow);
      if (approval) await store.removeApproval(approval.id);
      if (status === 'expired' || !approval) return { kind: 'failed', message: PUSH_MESSAGES.expired };
      if (status === 'denied') return { kind: 'failed', message: PUSH_MESSAGES.denied };
      const method = devicesOf(ctx).find((m) => m.config.deviceId === approval.deviceId);
      if (!method) return { kind: 'failed', message: PUSH_MESSAGES.denied }; // the device was removed meanwhile
      await deps.mfa.markUsed(method.id);
      return { kind: 'verified', amr: ['mfa', ...PUSH_AMR] };
    },
    enrolment: {
      async prepare(ctx) {
        const code = newEnrolmentCode();
        const state: PushEnrolState = { code: deps.box.seal(code), digest: enrolmentCodeDigest(code), expiresAt: now() + PUSH_ENROLMENT_TTL_SECONDS * 1000 };
        await store.createEnrolment(state.digest, { accountId: ctx.account.id, flowId: ctx.flow.id, expiresAt: state.expiresAt });
        enrolScratch.write(ctx.flow, state);
      },
      async view(ctx) {
        // The code this flow showed, until it expires or the device used it: then a new one.
        const current = await enrolState(ctx);
        if (!current) return undefined;
        const code = deps.box.open(current.state.code);
        const server = deps.push.serverUrl;
        return {
          pushCode: code,
          pushServer: server,
          pushMinutes: Math.round(PUSH_ENROLMENT_TTL_SECONDS / 60),
          pushQr: await QRCode.toDataURL(enrolmentUri(server, code), { margin: 1, width: 200 }),
          pushDeviceName: current.device?.name,
        };
      },
      async complete(ctx, input) {
        const current = await enrolState(ctx);
        if (!current) {
          enrolScratch.clear(ctx.flow); // the page shows a new code
          return { kind: 'failed', message: PUSH_MESSAGES.enrolmentExpired };
        }
        const { state, device } = current;
        if (!device) return { kind: 'failed', message: PUSH_MESSAGES.notEnrolled };
        const name = validMethodName(input.name || device.name);
        // Two "Done" clicks racing: one adds the method.
        if (!(await store.claimEnrolledDevice(state.digest))) return { kind: 'failed', message: PUSH_MESSAGES.enrolmentExpired };
        const method = await store.registerDevice(device, name);
        await store.removeEnrolment(state.digest);
        enrolScratch.clear(ctx.flow);
        return { kind: 'enrolled', method };
      },
    },
    actions: {
      // The waiting page asks whether the device answered (views/static/push-wait.js); it reads, never
      // writes: the page's own POST turns the answer into the outcome. `none`: no approval of this flow.
      status: {
        steps: ['mfa_challenge'],
        read: true,
        async run(ctx) {
          if (!challengeScratch.read(ctx.flow)) return { kind: 'json', body: { status: 'none' } };
          // Gone from the store (its TTL) reads as expired: the page submits and gets a new request.
          return { kind: 'json', body: { status: approvalStatus(await currentApproval(ctx), now()) } };
        },
      },
    },
  };
}
