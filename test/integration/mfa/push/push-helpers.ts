// Shared by the push suites: a browserless person who signs in and enrols a Gatehouse
// Authenticator device through the real pages, with the reference device module (real protocol, real HTTP).
import assert from 'node:assert/strict';
import type { TestServer } from '../../../helpers/gatehouse-server.ts';
import { idTokenClaims as claimsOf, startPasswordLogin } from '../../../helpers/authorization.ts';
import { CookieJar, formAction, postForm, type Step } from '../../../helpers/browserless-user.ts';
import { createDevice, enrolDevice, type AuthenticatorDevice, type DeviceKeys } from '../../../../server/authenticator-device.ts';

export const testids = (html: string) => [...html.matchAll(/data-testid="message\/([^"]+)"/g)].map((m) => m[1]);
export const heading = (html: string) => html.match(/<h1>([^<]+)<\/h1>/)?.[1];
export const shownNumber = (html: string) => Number(html.match(/data-testid="push\/number"[^>]*>(\d+)</)?.[1]);

export function pushHelpers(get: () => { server: TestServer; client: { client_id: string; client_secret?: string; redirect_uris: string[] } }) {
  /** Opens an authorization request and submits the password; returns the page MFA leads to. */
  /** Opens an authorization request and submits the password; returns the page MFA leads to. */
  async function startLogin(user: { username: string; password: string }) {
    const { server, client } = get();
    const login = await startPasswordLogin(server.url, client, user);
    return { ...login, uid: new URL(login.step.url).pathname.split('/')[2] };
  }

  /** Submits the page's first form (or the form whose action matches). */
  const submit = (jar: CookieJar, page: Step, fields: Record<string, string>, actionPattern?: RegExp) => {
    const { server } = get();
    const action = actionPattern ? new URL(page.body.match(actionPattern)![1], server.url).href : formAction(page.body, page.url);
    return postForm(jar, action, server.url, fields);
  };

  function idTokenClaims(step: Step, verifier: string) {
    const { server, client } = get();
    return claimsOf(server.url, client, step.location!, verifier);
  }


  /** From the enrolment chooser to the push setup page; returns it and its one-time code. */
  async function openPushSetup(user: { username: string; password: string }) {
    const login = await startLogin(user);
    assert.equal(heading(login.step.body), 'Set up multi-factor authentication');
    const setup = await submit(login.jar, login.step, { kind: 'push' }, /action="(\/interaction\/[^"]+\/enrol\/choose)"/);
    const code = setup.body.match(/data-testid="push\/code">([^<]+)</)?.[1];
    assert.ok(code, 'an enrolment code on the setup page');
    return { ...login, setup, code };
  }

  /** A new user whose only method is a device enrolled through the pages; returns the device. */
  async function userWithDevice(options: { clock?: () => number } = {}) {
    const { server, client } = get();
    const user = await server.createUser({ mfa: false });
    const { jar, setup, code } = await openPushSetup(user);
    const keys = await enrolDevice({ code, server: server.url, name: 'Test phone' }, options);
    const codes = await submit(jar, setup, {});
    assert.equal(heading(codes.body), 'Save your recovery codes');
    const done = await submit(jar, codes, {});
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), `enrolment lands on the RP, got ${done.location}`);
    return { user, keys, device: createDevice(keys, options) };
  }

  /** Password, then the push page; returns the page with its number and this flow's approval as the device sees it. */
  async function loginToPush(user: { username: string; password: string }, device: AuthenticatorDevice) {
    const login = await startLogin(user);
    assert.equal(heading(login.step.body), 'Verify it’s you');
    const number = shownNumber(login.step.body);
    assert.ok(number >= 10 && number <= 99, `a two-digit number on the page, got ${number}`);
    const approvals = await device.listApprovals();
    const approval = approvals.find((a) => a.choices.includes(number));
    assert.ok(approval, 'the device sees the request');
    return { ...login, number, approval };
  }

  async function pushStatus(jar: CookieJar, uid: string) {
    const { server } = get();
    // The push method's own action, at the one method-action route.
    const response = await fetch(`${server.url}/interaction/${uid}/mfa/push/status`, { headers: { cookie: jar.header(), accept: 'application/json' } });
    assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/json');
    // A 4xx is what the page's script reads as "not this flow's any more" and stops polling on.
    if (response.status >= 400 && response.status < 500) return 'none';
    assert.equal(response.status, 200);
    return ((await response.json()) as { status: string }).status;
  }

  return { startLogin, submit, idTokenClaims, openPushSetup, userWithDevice, loginToPush, pushStatus };
}

export type { DeviceKeys };
