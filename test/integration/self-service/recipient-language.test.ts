// Emails in the recipient's language (issue 12): the account remembers the language its person picks
// with the language control while signed in, the one of the sign-up page and the one each sign-in negotiates; an email someone
// else causes (an administrator ending sessions, a stranger's guesses locking the account, an
// invitation) is written in the recipient's language, not in that of the request that caused it.
import assert from 'node:assert/strict';
import type { ParsedMail } from 'mailparser';
import { userPrincipal } from '../../../accounts/access.ts';
import { message } from '../../../accounts/messages/catalog.ts';
import { createPasswordHasher } from '../../../accounts/password-hasher.ts';
import { SIGN_IN_LOCKOUT_FAILURES, SIGN_IN_LOCKOUT_SECONDS } from '../../../accounts/security-constants.ts';
import { CookieJar, postForm } from '../../helpers/browserless-user.ts';
import { solveCaptcha } from '../../helpers/captcha.ts';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { addMember, userAccessToken } from '../../helpers/organization-fixtures.ts';
import { createTestClock, openSignedIn } from '../../helpers/self-service.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { failPasswords } from '../throttle/throttle-helpers.ts';

const ENGLISH = { 'accept-language': 'en-GB,en;q=0.9' };
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

for (const store of storeMatrix()) {
  describeFor(store, 'emails in the recipient’s language', () => {
    const clock = createTestClock();
    let sink: SmtpSink;
    let server: TestServer;
    let owner: TestUser;
    let ownerToken: string;
    let client: Awaited<ReturnType<TestServer['createClient']>>;

    before(async () => {
      sink = await startSmtpSink();
      // Cheap argon2 parameters: the lockout takes 20 guesses; the hashing cost is not what this pins.
      const hasher = createPasswordHasher({ parameters: { memoryCost: 1024, timeCost: 1, parallelism: 1 } });
      server = await startGatehouse(store, { SMTP_URL: sink.url, TRUST_PROXY: 'true' }, { hasher, clock: clock.now });
      owner = await server.createUser({ company: 'Nordlys AS' });
      client = await server.createClient({ first_party: true });
      ownerToken = await userAccessToken(server, owner, client);
    });
    after(async () => {
      await server?.close();
      await sink?.close();
    });

    const languageOf = async (user: { id: string }) => (await server.gatehouse.db.knex('accounts').where({ id: user.id }).first('language')).language;
    const pick = (jar: CookieJar, lang: string) => postForm(jar, `${server.url}/language`, server.url, { lang, return_to: '/account' });
    const mailTo = (user: TestUser, subject: string) => sink.waitFor((m) => m.subject === subject && sink.to(`${user.username}@example.com`).includes(m));
    const htmlLang = (mail: ParsedMail) => (typeof mail.html === 'string' ? mail.html : '').match(/<html lang="([^"]+)">/)?.[1];

    it('remembers the language picked while signed in and the one a sign-in negotiates; never an unknown one', async () => {
      const user = await addMember(server, { organizationId: owner.organizationId });
      assert.equal(await languageOf(user), null, 'nothing until the person picks or signs in');
      const { jar } = await openSignedIn(server, user, { jar: new CookieJar(), clock });
      assert.equal(await languageOf(user), 'en', 'the sign-in negotiated English (no pick, no Norwegian in Accept-Language)');
      await pick(jar, 'nb');
      assert.equal(await languageOf(user), 'nb');
      await pick(jar, 'xx-YY');
      await server.gatehouse.accounts.setLanguage(user.id, "nb'); drop table accounts; --");
      assert.equal(await languageOf(user), 'nb', 'an unknown tag is not stored, from the control or from code');

      // Picked before signing in (the cookie only), then carried onto the account by the sign-in.
      const other = await addMember(server, { organizationId: owner.organizationId });
      const fresh = new CookieJar();
      await pick(fresh, 'nb');
      assert.equal(await languageOf(other), null, 'an anonymous pick touches no account');
      await openSignedIn(server, other, { jar: fresh, clock });
      assert.equal(await languageOf(other), 'nb');
    });

    it('a sign-up remembers the language of its page (here the browser’s Norsk bokmål)', async () => {
      const username = uniqueName('ny_');
      const res = await fetch(`${server.url}/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'nb-NO,nb;q=0.9,en;q=0.5' },
        body: new URLSearchParams({ email: `${username}@example.com`, username, phoneNumber: '+47 22 12 34 56', password: 'Lantern-Quiet-42', company: 'Fjord AS', terms: 'accepted', altcha: await solveCaptcha(server.url) }).toString(),
      });
      assert.equal(res.status, 201, await res.text());
      const row = await server.gatehouse.db.knex('accounts').whereRaw('lower(username) = ?', [username.toLowerCase()]).first('language');
      assert.equal(row.language, 'nb');
    });

    it('an administrator in English ends the sessions of a person who chose Norsk bokmål: the email is in Norwegian', async () => {
      const chose = await addMember(server, { organizationId: owner.organizationId });
      const { jar } = await openSignedIn(server, chose, { jar: new CookieJar(FIREFOX_WINDOWS), clock });
      await pick(jar, 'nb');
      const never = await addMember(server, { organizationId: owner.organizationId });
      await openSignedIn(server, never, { jar: new CookieJar(), clock });
      for (const user of [chose, never]) {
        const res = await fetch(`${server.url}/api/v1/users/${user.id}/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${ownerToken}`, ...ENGLISH } });
        assert.equal(res.status, 200, await res.text());
      }

      const norwegian = await mailTo(chose, message('email.sessions_ended.subject', { count: 1 }, 'nb'));
      assert.ok(norwegian.text?.includes(message('email.greeting', { username: chose.username }, 'nb')), norwegian.text);
      assert.ok(norwegian.text?.includes(message('email.sessions_ended.by_admin', { count: 1 }, 'nb')), norwegian.text);
      assert.ok(norwegian.text?.includes(`- ${message('device.browser_on_system', { browser: 'Firefox 121', system: 'Windows 10' }, 'nb')}`), norwegian.text);
      assert.equal(htmlLang(norwegian), 'nb');
      // The person who never chose gets the language their own sign-in negotiated (English), as before.
      const english = await mailTo(never, message('email.sessions_ended.subject', { count: 1 }, 'en'));
      assert.ok(english.text?.includes(message('email.sessions_ended.by_admin', { count: 1 }, 'en')));
      assert.equal(htmlLang(english), 'en');
    });

    it('a stranger’s wrong passwords in English lock the account of a person who chose Norsk bokmål: the lockout email is in Norwegian', async () => {
      const user = await addMember(server, { organizationId: owner.organizationId });
      await server.gatehouse.accounts.setLanguage(user.id, 'nb');
      await failPasswords(server, client, user.username, SIGN_IN_LOCKOUT_FAILURES);
      await server.gatehouse.throttleJobs.settled();
      const mail = await mailTo(user, message('email.locked.subject', undefined, 'nb'));
      const body = message('email.locked.body', { username: user.username, failures: String(SIGN_IN_LOCKOUT_FAILURES), wait: message('time.minutes', { count: SIGN_IN_LOCKOUT_SECONDS / 60 }, 'nb') }, 'nb');
      assert.ok(mail.text?.includes(body), mail.text);
      assert.equal(htmlLang(mail), 'nb');
    });

    it('an invitation is written in the inviter’s language; a new account made with it keeps the invitee’s', async () => {
      await server.gatehouse.accounts.setLanguage(owner.id, 'nb');
      const email = `${uniqueName('invitee')}@example.com`;
      const principal = (await userPrincipal(server.gatehouse.organizations.orgs, owner.id))!;
      await server.gatehouse.organizations.services.invitations.invite(principal, { email });
      const mail = await sink.waitFor((m) => sink.to(email).includes(m));
      assert.equal(mail.subject, message('email.invitation.subject', { organization: 'Nordlys AS' }, 'nb'));
      assert.ok(mail.text?.includes(message('email.invitation.as_member', { where: 'Nordlys AS' }, 'nb')), mail.text);
      const token = mail.text?.match(/\/invitations\/([A-Za-z0-9_-]+)/)?.[1];
      assert.ok(token, 'the link is in the text part');
      const { account } = await server.gatehouse.organizations.services.invitations.acceptWithNewAccount(token, {
        email, username: uniqueName('invitee'), password: 'Fresh-Start-42', phoneNumber: '+1 415 555 0100', language: 'en',
      });
      assert.equal(await languageOf(account), 'en');
    });
  });
}
