// HTTP side of push approval (protocol: accounts/push-protocol.ts):
//   POST /authenticator/v1/enrol            { code, name, publicKey }  → 201 { deviceId, server, name }
//   GET  /authenticator/v1/approvals[?wait=S]  (signed)                → 200 { approvals: [...] }
//   POST /authenticator/v1/approvals/:id    (signed) { decision, number } → 200 { status }
// Device endpoints answer JSON only: { error, error_description } with 400/401/404/409/410. The
// waiting page's own poll is the push method's `status` action (interactions/methods/push-method.ts).
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AuditLog } from '../accounts/audit.ts';
import { validMethodName } from '../accounts/mfa.ts';
import { attempt, DomainError } from '../accounts/errors.ts';
import {
  approvalStatus,
  deviceView,
  enrolmentCodeDigest,
  parseDevicePublicKey,
  PUSH_API_PREFIX,
  PUSH_HEADERS,
  signingInput,
  verifyDeviceSignature,
  type PushApproval,
} from '../accounts/push-protocol.ts';
import { PUSH_LONG_POLL_MAX_SECONDS, PUSH_SIGNATURE_WINDOW_SECONDS } from '../accounts/security-constants.ts';
import { newDeviceId, type PushDevice, type PushStore } from '../adapters/push-store.ts';
import { ThrottledError, type ThrottlePolicy } from '../accounts/throttle.ts';

/** Device-facing failures: a status and a stable code. */
class DeviceError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const unauthorized = (message: string) => new DeviceError(401, 'invalid_signature', message);

export function createPushRoutes(deps: {
  store: PushStore;
  audit: AuditLog;
  /** The issuer, returned to a device at enrolment as the server to talk to. */
  serverUrl: string;
  /** Wrong enrolment codes per IP (accounts/throttle.ts). */
  throttle?: ThrottlePolicy['pushEnrolment'];
  clock?: () => number;
}) {
  const { store, audit } = deps;
  const now = () => (deps.clock ?? Date.now)();
  const router = new Router();

  // JSON errors for devices; anything else is a bug and goes to the app's error handler.
  const deviceJson: Middleware = async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (err) {
      if (!(err instanceof DeviceError) && !(err instanceof DomainError)) throw err;
      ctx.status = err.status;
      ctx.body = { error: err.code, error_description: err.message };
      if (err.status === 401) ctx.set('WWW-Authenticate', 'Gatehouse-Device');
    }
  };

  /** Checks a signed request: fresh timestamp, known device, valid signature, unused nonce. */
  async function authenticate(ctx: Context): Promise<PushDevice> {
    const deviceId = ctx.get(PUSH_HEADERS.device);
    const timestamp = ctx.get(PUSH_HEADERS.timestamp);
    const nonce = ctx.get(PUSH_HEADERS.nonce);
    const signature = ctx.get(PUSH_HEADERS.signature);
    if (!deviceId || !timestamp || !nonce || !signature) throw unauthorized('This request must be signed by a registered device.');
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) - now() / 1000) > PUSH_SIGNATURE_WINDOW_SECONDS) {
      throw new DeviceError(401, 'stale_request', `The request time is more than ${PUSH_SIGNATURE_WINDOW_SECONDS} seconds from the server's; check the device clock.`);
    }
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) throw unauthorized('The request nonce is malformed.');
    const found = await store.findDevice(deviceId);
    if (!found) throw new DeviceError(401, 'unknown_device', 'This device is not registered (or was removed).');
    const input = signingInput({ method: ctx.method, pathAndQuery: ctx.originalUrl, timestamp, nonce, body: ctx.request.rawBody ?? '' });
    if (!verifyDeviceSignature(found.publicKeyJwk, input, signature)) {
      await audit.record({
        actor: null,
        action: 'mfa.push_signature',
        outcome: 'denied',
        target: found.accountId,
        details: { device_id: deviceId, reason: 'invalid_signature' },
        ip: ctx.ip,
        userAgent: ctx.get('user-agent') || null,
      });
      throw unauthorized('The request signature is not valid for this device.');
    }
    if (!(await store.useNonce(deviceId, nonce))) throw new DeviceError(401, 'replayed_request', 'This request was already received.');
    return found;
  }

  router.post(`${PUSH_API_PREFIX}/enrol`, deviceJson, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const code = typeof body.code === 'string' && body.code.length <= 64 ? body.code : '';
    const publicKeyJwk = parseDevicePublicKey(body.publicKey);
    if (!publicKeyJwk) throw new DeviceError(400, 'invalid_key', 'publicKey must be the public part of a P-256 key as a JWK (kty EC, crv P-256, x, y).');
    const name = validMethodName(typeof body.name === 'string' && body.name.trim() ? body.name : 'Gatehouse Authenticator');
    const allowed = await attempt(async () => deps.throttle?.check(ctx.ip));
    if (!allowed.ok) {
      const err = allowed.error;
      if (!(err instanceof ThrottledError)) throw err;
      ctx.set('Retry-After', String(err.retryAfterSeconds));
      throw new DeviceError(429, 'slow_down', `Too many wrong enrolment codes from this address; retry after ${err.retryAfterSeconds} seconds.`);
    }
    const digest = enrolmentCodeDigest(code);
    const enrolment = code ? await store.findEnrolment(digest) : undefined;
    // One answer for unknown, expired and used codes: the endpoint is no oracle.
    const invalid = new DeviceError(400, 'invalid_code', 'The enrolment code is not valid, was already used, or has expired.');
    if (!enrolment || now() >= enrolment.expiresAt || !(await store.claimEnrolment(digest))) {
      await deps.throttle?.failed(ctx.ip);
      throw invalid;
    }
    const deviceId = newDeviceId();
    await store.saveEnrolledDevice(digest, { accountId: enrolment.accountId, flowId: enrolment.flowId, deviceId, name, publicKeyJwk });
    await audit.record({
      actor: enrolment.accountId,
      action: 'mfa.push_device_linked',
      outcome: 'success',
      target: enrolment.accountId,
      details: { device_id: deviceId },
      ip: ctx.ip,
      userAgent: ctx.get('user-agent') || null,
    });
    ctx.status = 201;
    ctx.body = { deviceId, server: deps.serverUrl, name };
  });

  router.get(`${PUSH_API_PREFIX}/approvals`, deviceJson, async (ctx) => {
    const me = await authenticate(ctx);
    const wait = Math.min(PUSH_LONG_POLL_MAX_SECONDS, Math.max(0, Number(ctx.query.wait) || 0));
    const deadline = Date.now() + wait * 1000;
    const pending = async () => (await store.undecidedFor(me.accountId, me.deviceId)).filter((a) => approvalStatus(a, now()) === 'pending');
    let approvals = await pending();
    // Long poll: hold the request until a sign-in asks, or the wait runs out.
    while (approvals.length === 0 && Date.now() < deadline && !ctx.req.socket?.destroyed) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      approvals = await pending();
    }
    ctx.body = { approvals: approvals.map(deviceView) };
  });

  router.post(`${PUSH_API_PREFIX}/approvals/:id`, deviceJson, async (ctx) => {
    const me = await authenticate(ctx);
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (body.decision !== 'approve' && body.decision !== 'deny') throw new DeviceError(400, 'invalid_request', 'decision must be "approve" or "deny".');
    const approval = await store.findApproval(ctx.params.id);
    // Another account's approval, or one not sent to this device, looks like no approval at all.
    if (!approval || approval.accountId !== me.accountId || !approval.deviceIds.includes(me.deviceId)) {
      throw new DeviceError(404, 'not_found', 'No such sign-in request for this device.');
    }
    const status = approvalStatus(approval, now());
    if (status === 'expired') throw new DeviceError(410, 'expired', 'This sign-in request expired.');
    if (status !== 'pending') throw new DeviceError(409, 'already_decided', 'This sign-in request was already answered.');
    // Number matching: approving with a number other than the one on the sign-in page is a denial.
    const wrongNumber = body.decision === 'approve' && Number(body.number) !== approval.number;
    const answer: Pick<PushApproval, 'status' | 'decidedAt' | 'deviceId' | 'reason'> =
      body.decision === 'approve' && !wrongNumber
        ? { status: 'approved', decidedAt: now(), deviceId: me.deviceId }
        : { status: 'denied', decidedAt: now(), deviceId: me.deviceId, reason: wrongNumber ? 'wrong_number' : 'denied' };
    if (!(await store.decide(approval, answer))) throw new DeviceError(409, 'already_decided', 'This sign-in request was already answered.');
    await audit.record({
      actor: me.accountId,
      action: 'mfa.push_decision',
      outcome: answer.status === 'approved' ? 'success' : 'denied',
      target: me.accountId,
      details: { device_id: me.deviceId, method_id: me.methodId, decision: answer.status, ...(answer.reason ? { reason: answer.reason } : {}) },
      ip: ctx.ip,
      userAgent: ctx.get('user-agent') || null,
    });
    ctx.body = { status: answer.status, ...(answer.reason === 'wrong_number' ? { reason: 'wrong_number' } : {}) };
  });

  return router;
}
