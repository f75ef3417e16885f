// The email one-time code in a real browser, on a 390 px phone: password, "Try another method" →
// Email code, the code from the mail (a real SMTP server), back at the relying party with amr otp.
// "Send a new code" replaces the code; the page never scrolls sideways.
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startRelyingParty } from '../helpers/relying-party-server.ts';
import { authorizationRequest, redeemCode, decodeJwtPayload } from '../helpers/authorization.ts';
import { startGatehouse, type TestServer } from '../helpers/gatehouse-server.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { codeIn, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { CHALLENGE_HEADING, MfaPage } from './pages/mfa-page.ts';
import { readWidth, scrollsSideways } from './pages/page-width.ts';

describeBrowser('e2e: email one-time code', () => {
  let sink: SmtpSink;
  let server: TestServer;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let browser: Browser;
  let client: Awaited<ReturnType<TestServer['createClient']>>;

  before(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    server = await startGatehouse(undefined, { SMTP_URL: sink.url });
    rp = await startRelyingParty();
    client = await server.createClient({ redirect_uris: [rp.redirectUri], first_party: true });
  });
  after(async () => {
    await browser?.close();
    await rp?.close();
    await server?.close();
    await sink?.close();
  });

  it('signs in with the emailed code, and a new code replaces the old one', async () => {
    const user = await server.createUser();
    const method = await server.gatehouse.mfa.addMethod(user.id, 'email_otp', 'Email code', { email: `${user.username}@example.com` });
    // Added later than the app, so the app stays the default method (the same millisecond would leave it to the ids).
    await server.gatehouse.db.knex('credentials').where({ id: method.id }).update({ created_at: new Date(Date.now() + 60_000) });
    const codes = () => sink.to(`${user.username}@example.com`).filter((m) => /sign-in code/.test(m.subject ?? ''));
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const signIn = new SignInPage(await context.newPage());
      const request = authorizationRequest(server.url, client, { scope: 'openid' });
      await signIn.open(request.url);
      await signIn.signIn(user.username, user.password);
      const mfa = new MfaPage(signIn.page);
      await mfa.waitForHeading(CHALLENGE_HEADING);
      await mfa.switchTo('Email code');
      await mfa.emailSentTo.waitFor({ state: 'visible' });
      assert.match((await mfa.emailSentTo.textContent()) ?? '', /We sent a 6-digit code to .•••@example\.com/);
      assert.equal(scrollsSideways(await readWidth(signIn.page)), false, 'fits a 390 px phone');
      await sink.waitFor(() => codes().length === 1);
      const first = codeIn(codes()[0]);

      await mfa.sendNewCode.click();
      await mfa.message('mfa.email_otp_sent').waitFor({ state: 'visible' });
      await sink.waitFor(() => codes().length === 2);
      await mfa.emailCode.fill(first);
      await mfa.verify.click();
      await mfa.message('code.invalid').waitFor({ state: 'visible' });

      await mfa.emailCode.fill(codeIn(codes()[1]));
      await mfa.verify.click();
      await signIn.page.waitForURL((url) => url.href.startsWith(`${rp.redirectUri}?`));
      const claims = decodeJwtPayload((await redeemCode(server.url, client, signIn.page.url(), request.verifier)).body.id_token);
      assert.deepEqual(claims.amr, ['pwd', 'mfa', 'otp']);
      assert.equal(codes().length, 2, 'no code sent by a page view');
    } finally {
      await context.close();
    }
  });
});
