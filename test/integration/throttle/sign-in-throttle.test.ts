// Online guessing of sign-in secrets, as an attacker would try it: many fresh /auth requests, many
// IPs, unknown usernames, second factors. Waits are let pass through the throttle store's state.
import assert from 'node:assert/strict';
import { message } from '../../../accounts/messages/catalog.ts';
import { totpCode } from '../../../accounts/totp.ts';
import { createPasswordHasher } from '../../../accounts/password-hasher.ts';
import { SIGN_IN_FREE_FAILURES, SIGN_IN_LOCKOUT_FAILURES, SIGN_IN_LOCKOUT_SECONDS } from '../../../accounts/security-constants.ts';
import { startGatehouse, uniqueName, type TestServer } from '../../helpers/gatehouse-server.ts';
import { formAction } from '../../helpers/browserless-user.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { failPasswords, letWaitPass, messageCode, passwordAttempt, post } from './throttle-helpers.ts';

for (const store of storeMatrix()) {
  describeFor(store, 'sign-in throttle', () => {
    let server: TestServer;
    let sink: SmtpSink;
    let client: Awaited<ReturnType<TestServer['createClient']>>;

    before(async () => {
      sink = await startSmtpSink();
      // Cheap argon2 parameters: these tests make hundreds of guesses; the hashing cost is not what they pin.
      const hasher = createPasswordHasher({ parameters: { memoryCost: 1024, timeCost: 1, parallelism: 1 } });
      server = await startGatehouse(store, { TRUST_PROXY: 'true', SMTP_URL: sink.url }, { hasher });
      client = await server.createClient();
    });
    after(async () => {
      await server?.close();
      await sink?.close();
    });

    it(`lets a person mistype ${SIGN_IN_FREE_FAILURES} times without any wait`, async () => {
      const user = await server.createUser();
      for (let i = 0; i < SIGN_IN_FREE_FAILURES; i++) {
        const { answer } = await passwordAttempt(server, client, user.username, `Typo-${i}-pass`);
        assert.equal(messageCode(answer.body), 'session.invalid_credentials');
      }
      const { answer } = await passwordAttempt(server, client, user.username, user.password);
      assert.equal(answer.status, 303, 'the right password goes on to MFA at once');
    });

    it('makes each attempt after that wait, and refuses even the right password during the wait (429 + Retry-After)', async () => {
      const user = await server.createUser();
      // The 10th failure: 2, 4, 8, 16 s before it, 32 s after it (the table itself is a unit test).
      await failPasswords(server, client, user.username, SIGN_IN_FREE_FAILURES + 5);
      const { answer } = await passwordAttempt(server, client, user.username, user.password);
      assert.equal(answer.status, 429);
      assert.equal(messageCode(answer.body), 'throttle.wait');
      const wait = Number(answer.retryAfter);
      assert.ok(wait > 16 && wait <= 32, `the wait after the 10th failure is 32 s (Retry-After ${answer.retryAfter})`);
      assert.match(answer.body, /<input[^>]+name="password"/, 'the sign-in form stays: not a dead end');
      await letWaitPass(server, user.username);
      const after = await passwordAttempt(server, client, user.username, user.password);
      assert.equal(after.answer.status, 303, 'once the wait is over the right password works');
    });

    it(`locks the account after ${SIGN_IN_LOCKOUT_FAILURES} wrong passwords over fresh flows and IPs: the right one is refused, the person is emailed`, async () => {
      const user = await server.createUser();
      await failPasswords(server, client, user.username, SIGN_IN_LOCKOUT_FAILURES);
      const { answer } = await passwordAttempt(server, client, user.username, user.password, '192.0.2.77');
      assert.equal(answer.status, 429);
      assert.equal(messageCode(answer.body), 'throttle.wait');
      assert.ok(Number(answer.retryAfter) > SIGN_IN_LOCKOUT_SECONDS - 60, `locked for an hour (Retry-After ${answer.retryAfter})`);
      await server.gatehouse.throttleJobs.settled();
      const mail = await sink.waitFor((m) => m.subject === message('email.locked.subject') && (m.to as { text: string }).text.includes(`${user.username}@example.com`));
      const wait = message('time.minutes', { count: SIGN_IN_LOCKOUT_SECONDS / 60 });
      assert.ok((mail.text ?? '').includes(message('email.locked.body', { username: user.username, failures: String(SIGN_IN_LOCKOUT_FAILURES), wait })), mail.text);
      const status = await server.gatehouse.throttle.signIn.lockout(user.username);
      assert.equal(status.locked, true);
      assert.equal(status.failures, SIGN_IN_LOCKOUT_FAILURES);
    });

    it('audits every failure and the lockout in the account’s organization; refusals only in aggregate', async () => {
      const user = await server.createUser();
      await failPasswords(server, client, user.username, SIGN_IN_LOCKOUT_FAILURES);
      for (let i = 0; i < 12; i++) await passwordAttempt(server, client, user.username, user.password, '192.0.2.78');
      await server.gatehouse.throttleJobs.settled();
      const events = await server.gatehouse.auditStore.query({ organizationId: user.organizationId, target: user.id, limit: 100 });
      const count = (action: string, outcome?: string) => events.filter((e) => e.action === action && (!outcome || e.outcome === outcome)).length;
      assert.equal(count('session.sign_in', 'failure'), SIGN_IN_LOCKOUT_FAILURES, 'each wrong password, in the organization');
      assert.equal(count('account.locked'), 1);
      const refusals = events.filter((e) => e.action === 'session.sign_in_throttled');
      assert.deepEqual(refusals.map((e) => e.details?.refused).sort(), [1, 10], '12 refused attempts: two aggregate events (at 1 and 10), not 12 rows');
    });

    it('throttles an unknown username exactly like a locked known one (same status, message and page)', async () => {
      const known = await server.createUser();
      const unknown = uniqueName('nobody');
      await failPasswords(server, client, known.username, SIGN_IN_LOCKOUT_FAILURES, '10.2');
      await failPasswords(server, client, unknown, SIGN_IN_LOCKOUT_FAILURES, '10.3');
      const a = (await passwordAttempt(server, client, known.username, known.password, '192.0.2.80')).answer;
      const b = (await passwordAttempt(server, client, unknown, known.password, '192.0.2.81')).answer;
      assert.equal(a.status, 429);
      assert.equal(b.status, a.status);
      assert.equal(messageCode(b.body), messageCode(a.body));
      assert.ok(Math.abs(Number(a.retryAfter) - Number(b.retryAfter)) <= 60, 'the same wait');
      const normalize = (html: string, username: string) =>
        html.replaceAll(username, 'USER').replace(/\/interaction\/[\w-]+/g, '/interaction/UID').replace(/interaction=[\w.-]+/g, 'interaction=TICKET').replace(/Wait \d+ minutes/, 'Wait N minutes').replace(/nonce-[\w+/=]+/g, 'nonce');
      assert.equal(normalize(b.body, unknown), normalize(a.body, known.username), 'the same page');
      await server.gatehouse.throttleJobs.settled();
      const stray = await server.gatehouse.db.knex('audit_events').whereNotNull('organization_id').andWhereRaw('details::text like ?', [`%${unknown}%`]).count({ n: '*' });
      assert.equal(Number(stray[0].n), 0, 'the unknown username is in no organization’s log');
    });

    it('counts wrong TOTP codes on the same account throttle as passwords, across flows', async () => {
      const user = await server.createUser();
      for (let flow = 0; flow < 4; flow++) {
        await letWaitPass(server, user.username);
        const { jar, answer } = await passwordAttempt(server, client, user.username, user.password, `10.4.0.${flow + 1}`);
        assert.equal(answer.status, 303);
        const mfaUrl = answer.location!;
        const page = await fetch(mfaUrl, { headers: { cookie: jar.header() } }).then((r) => r.text());
        for (let i = 0; i < 2; i++) {
          await letWaitPass(server, user.username);
          const wrong = await post(jar, formAction(page, mfaUrl), { code: '000000' }, `10.4.0.${flow + 1}`);
          assert.equal(messageCode(wrong.body), 'mfa.invalid_code');
        }
      }
      // 8 wrong codes over 4 sign-ins: the right password and the right code now both wait.
      const { answer } = await passwordAttempt(server, client, user.username, user.password, '10.4.1.1');
      assert.equal(answer.status, 429);
      await letWaitPass(server, user.username);
      const { jar, answer: next } = await passwordAttempt(server, client, user.username, user.password, '10.4.1.2');
      assert.equal(next.status, 303);
      const status = await server.gatehouse.throttle.signIn.lockout(user.username);
      assert.equal(status.failures, 8, 'the right password did not reset the count: only a completed sign-in does');
      const page = await fetch(next.location!, { headers: { cookie: jar.header() } }).then((r) => r.text());
      await letWaitPass(server, user.username);
      const ok = await post(jar, formAction(page, next.location!), { code: await totpCode(user.totpSecret!) }, '10.4.1.2');
      assert.equal(ok.status, 303, 'signed in');
      assert.equal((await server.gatehouse.throttle.signIn.lockout(user.username)).failures, 0, 'a completed sign-in ends the run');
    });

    it('a lockout while a sign-in waits on its code page refuses the right code at the next request', async () => {
      const user = await server.createUser();
      const { jar, answer } = await passwordAttempt(server, client, user.username, user.password, '10.6.0.1');
      assert.equal(answer.status, 303);
      const page = await fetch(answer.location!, { headers: { cookie: jar.header() } }).then((r) => r.text());
      // Someone else locks the account meanwhile (nothing the flow read earlier may stand in for it).
      await failPasswords(server, client, user.username, SIGN_IN_LOCKOUT_FAILURES, '10.7');
      const refused = await post(jar, formAction(page, answer.location!), { code: await totpCode(user.totpSecret!) }, '10.6.0.1');
      assert.equal(refused.status, 429);
      assert.equal(messageCode(refused.body), 'throttle.wait');
      assert.equal((await server.gatehouse.throttle.signIn.lockout(user.username)).locked, true, 'still locked: the refused code completed nothing');
    });

    it('limits one IP spraying one password over many usernames', async () => {
      const ip = '198.51.100.9';
      const victim = await server.createUser();
      for (let flow = 0; flow < 25; flow++) {
        // Four usernames per sign-in page (a fifth failure would end the flow).
        const { jar, answer: first } = await passwordAttempt(server, client, uniqueName('spray'), 'Spring-2026!', ip);
        assert.equal(messageCode(first.body), 'session.invalid_credentials');
        for (let i = 0; i < 3; i++) {
          const next = await post(jar, first.url, { username: uniqueName('spray'), password: 'Spring-2026!' }, ip);
          assert.equal(messageCode(next.body), 'session.invalid_credentials', `flow ${flow + 1}, attempt ${i + 2}`);
        }
      }
      const refused = (await passwordAttempt(server, client, victim.username, victim.password, ip)).answer;
      assert.equal(refused.status, 429, 'the 101st attempt from that IP waits, whatever the username');
      assert.ok(Number(refused.retryAfter) > 0);
      const elsewhere = (await passwordAttempt(server, client, victim.username, victim.password, '198.51.100.10')).answer;
      assert.equal(elsewhere.status, 303, 'other IPs are not affected');
    });

    it('limits one IP guessing one username (10 an hour), while other IPs go on', async () => {
      const user = await server.createUser();
      const ip = '203.0.113.5';
      for (let i = 0; i < 10; i++) {
        await letWaitPass(server, user.username);
        await passwordAttempt(server, client, user.username, `Wrong-${i}-x`, ip);
      }
      await letWaitPass(server, user.username);
      const same = (await passwordAttempt(server, client, user.username, user.password, ip)).answer;
      assert.equal(same.status, 429);
      const other = (await passwordAttempt(server, client, user.username, user.password, '203.0.113.6')).answer;
      assert.equal(other.status, 303);
    });
  });
}
