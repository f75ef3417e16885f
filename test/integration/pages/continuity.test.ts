// Continuity: sign-up, a password reset and an invitation started from an app's sign-in page end in
// that app's pending authorization (after MFA set-up), and the app receives a code. Forged, foreign or
// expired return tickets and an expired sign-in fall back gracefully.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startGatehouse, uniqueName, type TestServer } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, formAction, postForm, request, type Step } from '../../helpers/browserless-user.ts';
import { authorizationRequest, idTokenClaims } from '../../helpers/authorization.ts';
import { solveCaptcha } from '../../helpers/captcha.ts';
import { createTestClock, formActionMatching } from '../../helpers/self-service.ts';
import { totpCode } from '../../../accounts/totp.ts';
import { userPrincipal } from '../../../accounts/access.ts';

const heading = (html: string) => /<h1>([^<]+)<\/h1>/.exec(html)?.[1];
const linkHref = (html: string, id: string) => /<a href="([^"]+)" data-testid="link\/[^"]*"/.exec(html.slice(html.indexOf(`data-testid="link/${id}"`) - 200))?.[1]?.replace(/&amp;/g, '&');

describe('pages: continuity back to the app', () => {
  const clock = createTestClock();
  let server: TestServer;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  before(async () => {
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    client = await server.createClient({ client_name: 'Recipe Box' });
  });
  after(() => server?.close());

  /** Opens the app's authorization request: the sign-in page and its interaction uid. */
  async function startAtApp(jar: CookieJar) {
    const { url, verifier } = authorizationRequest(server.url, client, { scope: 'openid profile' });
    const page = await follow(jar, url, server.url);
    assert.equal(heading(page.body), 'Sign in');
    return { page, verifier, uid: /\/interaction\/([\w-]+)/.exec(page.url)![1] };
  }

  /** MFA set-up as a new account does it: authenticator app, recovery codes, then "Continue for now" on the email prompt. */
  async function setUpMfaAndFinish(jar: CookieJar, chooser: Step): Promise<Step> {
    assert.equal(heading(chooser.body), 'Set up multi-factor authentication', chooser.body.slice(0, 500));
    const setup = await postForm(jar, formActionMatching(chooser.body, chooser.url, /\/enrol\/choose$/), server.url, { kind: 'totp' });
    const secret = /data-testid="totp\/secret">([^<]+)</.exec(setup.body)![1].replace(/\s/g, '');
    const codes = await postForm(jar, formAction(setup.body, setup.url), server.url, { name: 'Phone', code: await totpCode(secret, clock.now()) });
    assert.equal(heading(codes.body), 'Save your recovery codes');
    let step = await postForm(jar, formAction(codes.body, codes.url), server.url, {});
    if (step.body.includes('/continue"')) step = await postForm(jar, formActionMatching(step.body, step.url, /\/continue$/), server.url, {});
    return step;
  }

  it('sign-up from the sign-in page: back to the app’s authorization, MFA set up there, and the app gets a code for the new account', async () => {
    const jar = new CookieJar();
    const { page, verifier, uid } = await startAtApp(jar);
    const signUpHref = linkHref(page.body, 'sign-up')!;
    assert.equal(signUpHref, `/signup?interaction=${uid}`);
    const form = await request(jar, `${server.url}${signUpHref}`);
    assert.equal(form.status, 200);

    const username = uniqueName('cont_');
    const created = await request(jar, `${server.url}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ email: `${username}@example.com`, username, phoneNumber: '+1 650 253 0000', password: 'Lantern-Quiet-42', company: 'Continuity Co', terms: 'accepted', altcha: await solveCaptcha(server.url) }).toString(),
    });
    assert.equal(created.status, 303, created.body.slice(0, 400));
    assert.match(created.location ?? '', new RegExp(`^${server.url}/interaction/${uid}/resume\\?ticket=`));

    // The ticket is for this sign-in only: another pending sign-in (another browser) just shows its sign-in page.
    const ticket = new URL(created.location!).searchParams.get('ticket')!;
    const other = new CookieJar();
    const { uid: otherUid } = await startAtApp(other);
    const misused = await follow(other, `${server.url}/interaction/${otherUid}/resume?ticket=${encodeURIComponent(ticket)}`, server.url);
    assert.equal(heading(misused.body), 'Sign in');

    const chooser = await follow(jar, created.location!, server.url);
    const done = await setUpMfaAndFinish(jar, chooser);
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), `the app receives the answer, got ${done.status} ${done.location}`);
    assert.ok(new URL(done.location!).searchParams.get('code'), 'with a code');
    const claims = await idTokenClaims(server.url, client, done.location!, verifier);
    const account = await server.gatehouse.organizations.orgs.findAccountByUsername(username);
    assert.equal(claims.sub, account!.id, 'signed in as the account just created');
    assert.deepEqual(claims.amr, ['pwd', 'mfa', 'otp']);
  });

  it('a password reset from the sign-in page: back to the app’s sign-in with the username filled in, then the app gets a code', async () => {
    const user = await server.createUser();
    const jar = new CookieJar();
    const { page, verifier, uid } = await startAtApp(jar);
    await request(jar, `${server.url}${linkHref(page.body, 'forgot')}`);
    const forgot = await request(jar, `${server.url}/forgot`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url }, body: new URLSearchParams({ identifier: user.username }).toString() });
    assert.equal(forgot.status, 200);
    await server.gatehouse.selfService.jobs.settled();
    const link = await resetLinkFor(server, `${user.username}@example.com`);
    const reset = await request(jar, link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ password: 'Brand-New-Pass-77' }).toString() });
    assert.equal(reset.status, 303, reset.body.slice(0, 400));
    const signIn = await follow(jar, reset.location!, server.url);
    assert.equal(new URL(signIn.url).pathname, `/interaction/${uid}`);
    assert.match(signIn.body, /data-testid="message\/password.reset_continue"/);
    assert.match(signIn.body, new RegExp(`name="username"[^>]*value="${user.username}"`));
    const mfa = await postForm(jar, formAction(signIn.body, signIn.url), server.url, { username: user.username, password: 'Brand-New-Pass-77' });
    clock.advance(30_000);
    const done = await postForm(jar, formAction(mfa.body, mfa.url), server.url, { code: await totpCode(user.totpSecret!, clock.now()) });
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), `got ${done.status} ${done.location}`);
    assert.equal((await idTokenClaims(server.url, client, done.location!, verifier)).sub, user.id);
  });

  it('an invitation accepted with a new account in the browser of a pending sign-in: back to the app', async () => {
    const owner = await server.createUser({ company: 'Inviting Inc' });
    const email = `${uniqueName('inv')}@example.com`;
    const { services, orgs } = server.gatehouse.organizations;
    await services.invitations.invite((await userPrincipal(orgs, owner.id))!, { email });
    const link = await invitationLinkFor(server, email);
    const jar = new CookieJar();
    const { verifier, uid } = await startAtApp(jar);
    const invitation = await request(jar, `${link}?interaction=${uid}`);
    assert.equal(invitation.status, 200);
    const signUpForm = await follow(jar, `${link}?interaction=${uid}`, server.url);
    const action = /<form method="post" action="([^"]+)"[^>]*>[\s\S]*?name="username"/.exec(signUpForm.body)?.[1] ?? new URL(link).pathname;
    const csrf = /name="_?csrf" value="([^"]+)"/.exec(signUpForm.body)?.[1];
    const username = uniqueName('joiner_');
    const joined = await request(jar, new URL(action.replace(/&amp;/g, '&'), server.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ ...(csrf ? { _csrf: csrf } : {}), email, username, password: 'Joined-Today-55', phoneNumber: '+1 650 253 0000', terms: 'accepted' }).toString(),
    });
    assert.equal(joined.status, 303, joined.body.slice(0, 600));
    const chooser = await follow(jar, joined.location!, server.url);
    const done = await setUpMfaAndFinish(jar, chooser);
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), `got ${done.status} ${done.location}`);
    const account = await orgs.findAccountByUsername(username);
    assert.equal((await idTokenClaims(server.url, client, done.location!, verifier)).sub, account!.id);
  });

  it('refuses a forged ticket and a resume in a browser without the sign-in', async () => {
    const jar = new CookieJar();
    const { uid } = await startAtApp(jar);
    const forged = await follow(jar, `${server.url}/interaction/${uid}/resume?ticket=eyJ1aWQiOiJ4In0.AAAA`, server.url);
    assert.equal(heading(forged.body), 'Sign in', 'a forged ticket just shows the sign-in page');
    const elsewhere = await request(new CookieJar(), `${server.url}/interaction/${uid}/resume?ticket=x`);
    assert.equal(elsewhere.status, 303);
    assert.equal(elsewhere.location, `${server.url}/account`, 'without the sign-in’s cookie: the profile');
  });

  it('a sign-in that expired during sign-up: the account is created and the page says so, with the way to the profile', async () => {
    const jar = new CookieJar();
    const { uid } = await startAtApp(jar);
    await request(jar, `${server.url}/signup?interaction=${uid}`);
    await server.gatehouse.provider.Interaction.adapter.destroy(uid);
    const username = uniqueName('late_');
    const created = await request(jar, `${server.url}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ email: `${username}@example.com`, username, phoneNumber: '+1 650 253 0000', password: 'Lantern-Quiet-42', company: 'Late Co', terms: 'accepted', altcha: await solveCaptcha(server.url) }).toString(),
    });
    assert.equal(created.status, 201);
    assert.match(created.body, /data-testid="message\/account.created"/);
    assert.match(created.body, /data-testid="message\/session.return_expired"/);
    assert.match(created.body, /<a href="\/account" data-testid="link\/sign-in">/);
  });
});

async function mailBodies(server: TestServer): Promise<string[]> {
  const dir = path.join(server.dataDir, 'outbox');
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.eml')).sort().reverse();
  return Promise.all(files.map(async (f) => (await fs.readFile(path.join(dir, f), 'utf8')).replace(/=\r?\n/g, '').replace(/=3D/g, '=')));
}

async function resetLinkFor(server: TestServer, email: string) {
  for (const body of await mailBodies(server)) {
    if (!body.includes(email)) continue;
    const link = /https?:\/\/\S+\/reset\/[A-Za-z0-9_-]+/.exec(body)?.[0];
    if (link) return link;
  }
  throw new Error(`no reset link mailed to ${email}`);
}

async function invitationLinkFor(server: TestServer, email: string) {
  for (const body of await mailBodies(server)) {
    if (!body.includes(email)) continue;
    const link = /https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]+/.exec(body)?.[0];
    if (link) return link;
  }
  throw new Error(`no invitation mailed to ${email}`);
}
