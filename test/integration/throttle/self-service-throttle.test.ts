// Throttles of the mailed and linked secrets: emailed codes counted across codes, code sending,
// forgotten credentials and sign-up per IP and per target, push enrolment codes and invitation links.
import assert from 'node:assert/strict';
import { codeIn, startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { startGatehouse, uniqueName, type TestServer } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { solveCaptcha } from '../../helpers/captcha.ts';
import { messageCodes } from '../../helpers/self-service.ts';
import { ThrottledError } from '../../../accounts/throttle.ts';
import {
  EMAIL_CODE_FAILURES_PER_DAY,
  EMAIL_CODE_MAX_ATTEMPTS,
  EMAIL_CODE_SENDS_PER_ACCOUNT,
  FORGOT_PER_IP,
  FORGOT_PER_TARGET,
  INVITATION_FAILURES_PER_IP,
  PUSH_ENROLMENT_FAILURES_PER_IP,
  SIGN_UP_PER_TARGET,
} from '../../../accounts/security-constants.ts';
import { PUSH_API_PREFIX } from '../../../accounts/push-protocol.ts';

const form = (ip: string) => ({ 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip });

for (const store of storeMatrix()) {
  describeFor(store, 'self-service throttles', () => {
    let server: TestServer;
    let sink: SmtpSink;

    before(async () => {
      sink = await startSmtpSink();
      server = await startGatehouse(store, { TRUST_PROXY: 'true', SMTP_URL: sink.url });
    });
    after(async () => {
      await server?.close();
      await sink?.close();
    });

    async function rejects(promise: Promise<unknown>, code: string) {
      await assert.rejects(promise, (err: { code?: string }) => err.code === code, code);
    }

    it(`counts wrong emailed codes across codes: a new code brings no fresh tries (${EMAIL_CODE_FAILURES_PER_DAY} a day)`, async () => {
      const user = await server.createUser({ emailVerified: false });
      const { emailVerification } = server.gatehouse.selfService;
      const address = `${user.username}@example.com`;
      for (let round = 0; round < EMAIL_CODE_FAILURES_PER_DAY / EMAIL_CODE_MAX_ATTEMPTS; round++) {
        sink.clear();
        await emailVerification.send(user.id);
        for (let i = 0; i < EMAIL_CODE_MAX_ATTEMPTS - 1; i++) await rejects(emailVerification.confirm(user.id, '000000'), 'code.invalid');
        await rejects(emailVerification.confirm(user.id, '000000'), 'code.too_many_attempts');
      }
      sink.clear();
      await emailVerification.send(user.id);
      const code = codeIn(await sink.waitFor((m) => (m.to as { text: string }).text.includes(address)));
      const refused = await emailVerification.confirm(user.id, code).catch((err) => err);
      assert.ok(refused instanceof ThrottledError, 'the right code of a fresh code is refused: no fresh tries');
      assert.equal(refused.status, 429);
      assert.equal((await server.gatehouse.accounts.findById(user.id))?.emailVerified, false, 'still unverified');
      const failures = await server.gatehouse.db.knex('audit_events').where({ action: 'email.verify', target: user.id, outcome: 'failure' }).count({ n: '*' });
      assert.equal(Number(failures[0].n), EMAIL_CODE_FAILURES_PER_DAY, 'each wrong code audited; the refusal is not one more row');
    });

    it(`sends at most ${EMAIL_CODE_SENDS_PER_ACCOUNT} codes per account and purpose an hour`, async () => {
      const user = await server.createUser({ emailVerified: false });
      for (let i = 0; i < EMAIL_CODE_SENDS_PER_ACCOUNT; i++) await server.gatehouse.selfService.emailVerification.send(user.id, { ip: '10.40.0.1' });
      await rejects(server.gatehouse.selfService.emailVerification.send(user.id, { ip: '10.40.0.2' }), 'throttle.wait');
    });

    async function forgot(identifier: string, ip: string) {
      const res = await fetch(`${server.url}/forgot`, { method: 'POST', headers: form(ip), body: new URLSearchParams({ identifier }) });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
    }

    it(`limits “Forgot your credentials” per target (${FORGOT_PER_TARGET} an hour), known and unknown alike`, async () => {
      const user = await server.createUser();
      const unknown = uniqueName('nobody');
      for (let i = 0; i < FORGOT_PER_TARGET; i++) {
        assert.deepEqual(messageCodes((await forgot(user.username, `10.41.0.${i + 1}`)).body), ['forgot.sent']);
        assert.deepEqual(messageCodes((await forgot(unknown, `10.41.1.${i + 1}`)).body), ['forgot.sent']);
      }
      const a = await forgot(user.username, '10.41.2.1');
      const b = await forgot(unknown, '10.41.2.2');
      assert.equal(a.status, 429);
      assert.equal(b.status, a.status);
      assert.deepEqual(messageCodes(a.body), ['throttle.wait']);
      assert.deepEqual(messageCodes(b.body), messageCodes(a.body));
      assert.ok(Number(a.retryAfter) > 0);
      assert.match(a.body, /name="identifier"/, 'the form stays');
      await server.gatehouse.selfService.jobs.settled();
    });

    it(`limits “Forgot your credentials” per IP (${FORGOT_PER_IP} an hour)`, async () => {
      for (let i = 0; i < FORGOT_PER_IP; i++) assert.equal((await forgot(uniqueName('who'), '10.42.0.1')).status, 200);
      assert.equal((await forgot(uniqueName('who'), '10.42.0.1')).status, 429);
      assert.equal((await forgot(uniqueName('who'), '10.42.0.2')).status, 200, 'another IP is not affected');
      await server.gatehouse.selfService.jobs.settled();
    });

    it(`limits sign-ups per email address (${SIGN_UP_PER_TARGET} an hour)`, async function () {
      this.timeout(120_000);
      const email = `${uniqueName('shared')}@example.com`;
      const signUp = async (ip: string) => {
        const fields = { email, username: uniqueName('su_'), phoneNumber: '+1 650 253 0000', password: 'Tr0ub4dor&3-horse', company: 'Initech Labs', terms: 'accepted', altcha: await solveCaptcha(server.url) };
        const res = await fetch(`${server.url}/signup`, { method: 'POST', headers: form(ip), body: new URLSearchParams(fields) });
        return { status: res.status, body: await res.text() };
      };
      for (let i = 0; i < SIGN_UP_PER_TARGET; i++) assert.equal((await signUp(`10.43.0.${i + 1}`)).status, 201, `sign-up ${i + 1}`);
      const refused = await signUp('10.43.1.1');
      assert.equal(refused.status, 429);
      assert.deepEqual(messageCodes(refused.body), ['throttle.wait']);
      assert.match(refused.body, /name="username"/, 'the form stays');
    });

    it(`refuses push enrolment codes from an IP after ${PUSH_ENROLMENT_FAILURES_PER_IP} wrong ones`, async () => {
      const enrol = async (ip: string) => {
        const res = await fetch(`${server.url}${PUSH_API_PREFIX}/enrol`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
          body: JSON.stringify({ code: 'WRONG-CODE', name: 'Phone', publicKey: { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' } }),
        });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, string> };
      };
      for (let i = 0; i < PUSH_ENROLMENT_FAILURES_PER_IP; i++) assert.equal((await enrol('10.44.0.1')).body.error, 'invalid_code');
      const refused = await enrol('10.44.0.1');
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error, 'slow_down');
      assert.ok(Number(refused.retryAfter) > 0);
      assert.equal((await enrol('10.44.0.2')).body.error, 'invalid_code', 'another IP is not affected');
    });

    it(`refuses invitation links from an IP after ${INVITATION_FAILURES_PER_IP} unusable ones`, async () => {
      const open = async (ip: string) => {
        const res = await fetch(`${server.url}/invitations/${uniqueName('nope')}`, { headers: { 'x-forwarded-for': ip } });
        return { status: res.status, body: await res.text() };
      };
      for (let i = 0; i < INVITATION_FAILURES_PER_IP; i++) assert.notEqual((await open('10.45.0.1')).status, 429);
      const refused = await open('10.45.0.1');
      assert.equal(refused.status, 429);
      assert.deepEqual(messageCodes(refused.body), ['throttle.wait']);
      assert.notEqual((await open('10.45.0.2')).status, 429);
    });
  });
}
