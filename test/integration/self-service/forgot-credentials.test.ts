// "Forgot your credentials": usernames by email, reset links by username (also for usernames that
// look like email addresses), the same answer whatever matched, and a failing mail server.
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGatehouse, uniqueName, type TestServer } from '../../helpers/gatehouse-server.ts';
import { CookieJar, request } from '../../helpers/browserless-user.ts';
import { messageCodes } from '../../helpers/self-service.ts';
import { resetLinkIn, startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';

describe('self-service: forgot your credentials', () => {
  let sink: SmtpSink;
  let server: TestServer;

  before(async () => {
    sink = await startSmtpSink();
    server = await startGatehouse(undefined, { SMTP_URL: sink.url, MAIL_FROM: 'gatehouse@example.com' });
  });
  after(async () => {
    await server?.close();
    await sink?.close();
  });
  beforeEach(() => {
    sink.failing = false;
    sink.clear();
  });

  const submit = (identifier: string, headers: Record<string, string> = {}) =>
    request(new CookieJar(), `${server.url}/forgot`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ identifier }).toString(),
    });
  const settled = () => server.gatehouse.selfService.jobs.settled();

  it('has one labelled field and "Request credentials"', async () => {
    const page = await request(new CookieJar(), `${server.url}/forgot`);
    assert.match(page.body, /<h1>Forgot your credentials<\/h1>/);
    assert.match(page.body, /<label for="identifier">Username or email address<\/label>/);
    assert.match(page.body, /<button type="submit">Request credentials<\/button>/);
  });

  it('emails the list of every username using an email address, to that address', async () => {
    const email = `${uniqueName('shared')}@example.com`;
    const a = await server.createUser({ email });
    const b = await server.createUser({ email });
    const page = await submit(email.toUpperCase());
    assert.equal(page.status, 200);
    assert.deepEqual(messageCodes(page.body), ['forgot.sent']);
    await settled();
    const mails = sink.to(email);
    assert.equal(mails.length, 1, 'one email with every username');
    assert.equal(mails[0].subject, 'Your Gatehouse usernames');
    assert.ok(mails[0].text?.includes(a.username) && mails[0].text?.includes(b.username));
    assert.match(String(mails[0].html), new RegExp(`<li data-testid="username">${a.username}</li>`));
    assert.equal(mails[0].from?.text, 'gatehouse@example.com');
  });

  it('emails a reset link for a username to the account\'s address', async () => {
    const user = await server.createUser();
    await submit(user.username.toUpperCase());
    await settled();
    const [mail] = sink.to(`${user.username}@example.com`);
    assert.equal(mail.subject, 'Reset your Gatehouse password');
    assert.ok(resetLinkIn(mail).startsWith(`${server.url}/reset/`), 'link built from ISSUER');
    assert.match(String(mail.html), /href="http:\/\/127\.0\.0\.1:\d+\/reset\/[A-Za-z0-9_-]{43}"/);
    const stored = await server.gatehouse.db.knex('password_reset_tokens').where({ account_id: user.id }).first();
    const token = resetLinkIn(mail).split('/reset/')[1];
    assert.ok(!JSON.stringify(stored).includes(token), 'only a digest of the token is stored');
    assert.equal(Buffer.from(token, 'base64url').length * 8, 256, '256-bit token');
  });

  it('resets a username that looks like an email address, and sends the username list to that address too', async () => {
    // Usernames can't contain "@" today, but imported or legacy ones can: the reference product can't reset those.
    const lookalike = `${uniqueName('pat')}@example.org`;
    const { account } = await server.gatehouse.accounts.createAccountWithOrganization({
      account: { username: lookalike, email: `private_${lookalike}` },
      passwordHash: await server.gatehouse.hasher.hash('Lantern-Quiet-42'),
      organizationName: 'Lookalike Inc',
    });
    const other = await server.createUser({ email: lookalike });
    await submit(lookalike);
    await settled();
    const reset = sink.to(`private_${lookalike}`);
    assert.equal(reset.length, 1);
    assert.equal(reset[0].subject, 'Reset your Gatehouse password');
    assert.match(reset[0].text ?? '', new RegExp(`"${lookalike.replace(/[.]/g, '\\.')}"`));
    const list = sink.to(lookalike);
    assert.equal(list.length, 1);
    assert.equal(list[0].subject, 'Your Gatehouse usernames');
    assert.ok(list[0].text?.includes(other.username));
    assert.ok(account.id);
  });

  it('answers with the same page and status whatever matched, before any lookup or email', async () => {
    const user = await server.createUser();
    const inputs = [user.username, `${user.username}@example.com`, 'nobody_at_all', 'nobody@nowhere.example', 'x'.repeat(250)];
    const pages = [];
    for (const input of inputs) pages.push(await submit(input));
    for (const page of pages) {
      assert.equal(page.status, pages[0].status);
      assert.equal(page.body, pages[0].body, 'byte-identical pages');
    }
    await settled();
  });

  it('answers before any lookup or email happens (the work runs after the response)', async () => {
    // No clock: the mail server holds the message, so a route that waited for the mailer (or for the
    // lookups before it) could not answer until release() — and this test would time out instead.
    const user = await server.createUser();
    const release = sink.hold();
    try {
      const page = await submit(user.username);
      assert.equal(page.status, 200);
      assert.equal(sink.to(`${user.username}@example.com`).length, 0, 'answered while the email was not yet delivered');
      await sink.arrived(); // the lookup found the account and the mailer is sending, after the answer
    } finally {
      release();
    }
    await settled();
    assert.equal(sink.to(`${user.username}@example.com`).length, 1, 'the reset link went out once released');
  });

  it('asks again for an empty field', async () => {
    const page = await submit('  ');
    assert.equal(page.status, 400);
    assert.deepEqual(messageCodes(page.body), ['forgot.identifier_required']);
  });

  it('sends no reset link to an account that signs in through an identity provider', async () => {
    const sso = await server.createUser();
    await server.gatehouse.db.knex('credentials').where({ account_id: sso.id, type: 'password' }).del();
    await submit(sso.username);
    await settled();
    assert.equal(sink.to(`${sso.username}@example.com`).length, 0);
  });

  it('sends at most 3 reset links per account per 15 minutes', async () => {
    const user = await server.createUser();
    for (let i = 0; i < 5; i++) await submit(user.username);
    await settled();
    assert.equal(sink.to(`${user.username}@example.com`).length, 3);
    const denied = await server.gatehouse.db.knex('audit_events').where({ action: 'password.reset_link', target: user.id, outcome: 'denied' });
    assert.equal(denied.length, 2);
  });

  it('when the mail server refuses the message: nothing stays valid, and it is audited', async () => {
    const user = await server.createUser();
    sink.failing = true;
    const page = await submit(user.username);
    assert.deepEqual(messageCodes(page.body), ['forgot.sent'], 'the answer cannot depend on the account');
    await settled();
    const tokens = await server.gatehouse.db.knex('password_reset_tokens').where({ account_id: user.id });
    assert.equal(tokens.length, 0, 'no reset token left valid and unsent');
    const failure = await server.gatehouse.db.knex('audit_events').where({ action: 'password.reset_link', target: user.id, outcome: 'failure' }).first();
    assert.equal(failure.details.reason, 'mail_failed');
  });

  it('when the mail server is unreachable: "we could not send the email, try again", for any input', async () => {
    const down = await startGatehouse(undefined, { SMTP_URL: 'smtp://127.0.0.1:1' });
    try {
      const user = await down.createUser();
      for (const input of [user.username, 'nobody_here']) {
        const page = await request(new CookieJar(), `${down.url}/forgot`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ identifier: input }).toString(),
        });
        assert.equal(page.status, 503);
        assert.deepEqual(messageCodes(page.body), ['mail.send_failed']);
        assert.match(page.body, /We could not send the email\. Try again/);
      }
    } finally {
      await down.close();
    }
  });

  it('builds links from ISSUER, never from the Host header', async () => {
    const user = await server.createUser();
    const body = new URLSearchParams({ identifier: user.username }).toString();
    const { port } = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/forgot', method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', reject);
      req.end(body);
    });
    await settled();
    const [mail] = sink.to(`${user.username}@example.com`);
    assert.ok(resetLinkIn(mail).startsWith(`${server.url}/reset/`));
    assert.ok(!(mail.text ?? '').includes('evil.example'));
  });

  it('refuses a form posted from another site', async () => {
    const page = await submit('anyone', { origin: 'https://evil.example' });
    assert.equal(page.status, 403);
  });
});
