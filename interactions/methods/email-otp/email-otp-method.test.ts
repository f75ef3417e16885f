// The email-OTP strategy with real small parts: the real email codes over an in-memory store, a
// mailer that keeps what it was given, a real audit list. No HTTP: what the method itself decides.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AccountWithOrganization } from '../../../accounts/account.ts';
import type { AuditEvent } from '../../../accounts/audit.ts';
import { createEmailCodes, type EmailCodeStore, type PendingEmailCode } from '../../../accounts/email-codes.ts';
import type { MailMessage } from '../../../accounts/mailer.ts';
import type { MfaMethod, MfaStore } from '../../../accounts/mfa.ts';
import { EMAIL_OTP_RESENDS_PER_FLOW } from '../../../accounts/security-constants.ts';
import { message } from '../../../accounts/messages/catalog.ts';
import { newFlow } from '../../login/flow.ts';
// The views render with the catalog once the server's language module is loaded, as at start.
import '../../../server/language.ts';
import type { MfaContext } from '../method.ts';
import { challengeOnce, enrolmentOnce } from '../prepared.ts';
import { createEmailOtpMethod, maskEmail } from './email-otp-method.ts';

function memoryCodeStore(): EmailCodeStore {
  const rows = new Map<string, PendingEmailCode & { consumed: boolean }>();
  const pending = (accountId: string, purpose: string) => [...rows.values()].find((r) => r.accountId === accountId && r.purpose === purpose && !r.consumed);
  return {
    async replace(code) {
      const old = pending(code.accountId, code.purpose);
      if (old) rows.delete(old.id);
      rows.set(code.id, { ...code, attempts: 0, consumed: false });
    },
    async findPending(accountId, purpose) {
      return pending(accountId, purpose);
    },
    async spendAttempt(id, max) {
      const row = rows.get(id);
      if (!row || row.consumed || row.attempts >= max) return undefined;
      row.attempts += 1;
      return row.attempts;
    },
    async consume(id) {
      const row = rows.get(id);
      if (!row || row.consumed) return false;
      row.consumed = true;
      return true;
    },
    async remove(id) {
      rows.delete(id);
    },
  };
}

describe('email one-time code method', () => {
  const account = { id: 'a1', username: 'kari', email: 'kari@example.com', emailVerified: true, organization: null } as unknown as AccountWithOrganization;
  const added: MfaMethod[] = [];
  const mfa = {
    async addMethod(accountId: string, kind: string, name: string, config: Record<string, unknown>) {
      const method = { id: `m${added.length}`, accountId, kind, name, config, createdAt: new Date(), lastUsedAt: null };
      added.push(method);
      return method;
    },
    async markUsed() {},
  } as unknown as MfaStore;
  let mail: MailMessage[];
  let audit: AuditEvent[];
  let method: ReturnType<typeof createEmailOtpMethod>;
  const app: MfaMethod = { id: 't1', accountId: 'a1', kind: 'totp', name: 'App', config: {}, createdAt: new Date(), lastUsedAt: null };
  const email: MfaMethod = { ...app, id: 'e1', kind: 'email_otp', name: 'Email code' };
  const context = (methods: MfaMethod[], who = account): MfaContext => ({ flow: newFlow('flow1'), account: who, methods, request: { ip: '192.0.2.1' } });
  const codeOf = (m: MailMessage) => m.text.match(/\b(\d{6})\b/)![1];
  const other = (code: string) => (code === '000000' ? '111111' : '000000');

  beforeEach(() => {
    mail = [];
    audit = [];
    method = createEmailOtpMethod({
      mfa,
      codes: createEmailCodes({ store: memoryCodeStore(), secret: randomBytes(32) }),
      mailer: { send: async (m) => void mail.push(m) },
      audit: { record: async (e) => void audit.push(e) },
    });
  });

  it('owns its kind, label, amr, words for "Logged In Via", and says it delivers to the inbox', () => {
    assert.equal(method.kind, 'email_otp');
    assert.equal(method.label, 'Email code');
    assert.deepEqual(method.amr, ['otp']);
    assert.equal(method.describe(), 'email code');
    assert.equal(method.inbox, true);
    assert.deepEqual(Object.keys(method.actions ?? {}), ['resend']);
  });

  it('is available only with a registered method and a verified address', async () => {
    assert.equal(await method.available(context([app, email])), true);
    assert.equal(await method.available(context([app])), false);
    assert.equal(await method.available(context([app, email], { ...account, emailVerified: false })), false);
  });

  it('renders of one challenge (a reload, a wrong code, another language) send one email', async () => {
    const ctx = context([app, email]);
    ctx.flow.mfaKind = 'email_otp';
    const first = await challengeOnce(method, ctx);
    const code = codeOf(mail[0]);
    await method.verify(ctx, { code: other(code) });
    const again = await challengeOnce(method, ctx);
    await challengeOnce(method, ctx);
    assert.deepEqual([first.prepared, again.prepared], [true, false]);
    assert.equal(mail.length, 1);
    assert.equal((await method.verify(ctx, { code })).kind, 'verified', 'the one code still works');
  });

  it('a send refused at set-up is what was prepared: a reload shows it and sends nothing', async () => {
    let sends = 0;
    const failing = createEmailOtpMethod({
      mfa,
      codes: createEmailCodes({ store: memoryCodeStore(), secret: randomBytes(32) }),
      mailer: { send: async () => { sends += 1; throw new Error('451 try later'); } },
      audit: { record: async (e) => void audit.push(e) },
    });
    const ctx = context([app]);
    const first = await enrolmentOnce(failing.enrolment!, ctx);
    const reload = await enrolmentOnce(failing.enrolment!, ctx);
    assert.equal(sends, 1);
    assert.deepEqual([first.view.emailOtpSent, (reload.view.emailOtpProblem as { code: string }).code], [false, 'mail.send_failed']);
  });

  it('sends one code when the challenge starts; its view needs no second send', async () => {
    const ctx = context([app, email]);
    assert.equal(await method.challengeView(ctx), undefined, 'no challenge before it starts');
    await method.prepareChallenge!(ctx);
    assert.equal(mail.length, 1);
    assert.equal(mail[0].to, 'kari@example.com');
    assert.equal(mail[0].subject, message('email.otp.subject', { code: codeOf(mail[0]) }));
    const view = await method.challengeView(ctx);
    await method.challengeView(ctx);
    assert.equal(mail.length, 1);
    assert.deepEqual(view, { emailOtpTo: 'k•••@example.com', emailOtpSent: true, emailOtpMinutes: 10, emailOtpResendsLeft: EMAIL_OTP_RESENDS_PER_FLOW });
    assert.equal(audit.filter((e) => e.action === 'mfa.email_otp_sent').length, 1);
  });

  it('accepts the code once; a wrong code fails with the tries left', async () => {
    const ctx = context([app, email]);
    await method.prepareChallenge!(ctx);
    const code = codeOf(mail[0]);
    const wrong = await method.verify(ctx, { code: other(code) });
    assert.equal(wrong.kind === 'failed' && wrong.message.code, 'code.invalid');
    assert.deepEqual(await method.verify(ctx, { code }), { kind: 'verified', amr: ['mfa', 'otp'] });
    const again = await method.verify(ctx, { code });
    assert.equal(again.kind === 'failed' && again.message.code, 'code.expired', 'single use');
  });

  it('"Send a new code" replaces the code, up to the per-sign-in limit', async () => {
    const ctx = context([app, email]);
    await method.prepareChallenge!(ctx);
    for (let i = 0; i < EMAIL_OTP_RESENDS_PER_FLOW; i++) {
      const result = await method.actions!.resend.run(ctx, {});
      assert.equal(result.kind === 'message' && result.message.code, 'mfa.email_otp_sent');
    }
    const refused = await method.actions!.resend.run(ctx, {});
    assert.equal(refused.kind === 'message' && refused.message.code, 'mfa.email_otp_resend_limit');
    assert.equal(mail.length, 1 + EMAIL_OTP_RESENDS_PER_FLOW);
    const first = await method.verify(ctx, { code: codeOf(mail[0]) });
    assert.equal(first.kind, 'failed', 'the first code was replaced');
    assert.equal((await method.verify(ctx, { code: codeOf(mail.at(-1)!) })).kind, 'verified');
  });

  it('an unsent code does not stay valid: a refused send leaves a message and no code', async () => {
    const failing = createEmailOtpMethod({
      mfa,
      codes: createEmailCodes({ store: memoryCodeStore(), secret: randomBytes(32) }),
      mailer: { send: async () => { throw new Error('451 try later'); } },
      audit: { record: async (e) => void audit.push(e) },
    });
    const ctx = context([app, email]);
    await failing.prepareChallenge!(ctx);
    assert.deepEqual(ctx.flow.messages.map((m) => m.code), ['mail.send_failed']);
    assert.equal((await failing.challengeView(ctx))?.emailOtpSent, false);
    const guess = await failing.verify(ctx, { code: '123456' });
    assert.equal(guess.kind === 'failed' && guess.message.code, 'code.expired', 'the code that was not sent was discarded');
  });

  it('is never set up as the only method, nor for an unverified address', async () => {
    const alone = await method.enrolment!.complete(context([]), { code: '123456' });
    assert.equal(alone.kind === 'failed' && alone.message.code, 'mfa.inbox_not_only_method');
    const unverified = await method.enrolment!.complete(context([app], { ...account, emailVerified: false }), { code: '123456' });
    assert.equal(unverified.kind === 'failed' && unverified.message.code, 'mfa.email_otp_unverified');
    assert.equal(mail.length, 0);
  });

  it('sets up beside another method with the code it sent once per set-up', async () => {
    const ctx = context([app]);
    const { view } = await enrolmentOnce(method.enrolment!, ctx);
    await enrolmentOnce(method.enrolment!, ctx);
    assert.equal(mail.length, 1, 'a reload sends nothing');
    assert.equal(view.emailOtpAlone, false);
    const enrolled = await method.enrolment!.complete(ctx, { code: codeOf(mail[0]), name: 'Inbox' });
    assert.equal(enrolled.kind === 'enrolled' && enrolled.method.kind, 'email_otp');
    assert.equal(enrolled.kind === 'enrolled' && enrolled.method.name, 'Inbox');
  });

  it('masks the address it names', () => {
    assert.equal(maskEmail('kari.nordmann@example.no'), 'k•••@example.no');
    assert.equal(maskEmail('x@y.z'), 'x•••@y.z');
  });
});
