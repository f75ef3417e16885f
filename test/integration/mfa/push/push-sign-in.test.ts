// Push approval (Gatehouse Authenticator) as a person without JavaScript sees it, with the
// reference device module speaking the real protocol over real HTTP: enrolment, approval,
// denial, timeout (a moved clock, not a 2-minute sleep), number matching, and the refusals
// (forged or stale signatures, replayed nonces, another flow's or another account's approval).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { startGatehouse, type TestServer } from '../../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../../helpers/stores.ts';
import { createDevice, DeviceRequestError, enrolDevice, signRequest } from '../../../../server/authenticator-device.ts';
import { heading, pushHelpers, shownNumber, testids } from './push-helpers.ts';

async function refused(promise: Promise<unknown>, status: number, code: string) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DeviceRequestError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status);
    return true;
  });
}

for (const store of storeMatrix()) {
  describeFor(store, 'MFA: push approval (Gatehouse Authenticator)', () => {
    let server: TestServer;
    let client: Awaited<ReturnType<TestServer['createClient']>>;
    let offsetMs = 0;
    const clock = () => Date.now() + offsetMs;
    const h = pushHelpers(() => ({ server, client }));

    before(async () => {
      server = await startGatehouse(store, {}, { clock });
      client = await server.createClient();
    });
    after(() => server?.close());
    beforeEach(() => {
      offsetMs = 0;
    });

    it('enrols a device with a one-time code (Done waits for the device), issues recovery codes, and states swk+user', async () => {
      const user = await server.createUser({ mfa: false });
      const { jar, setup, code, verifier } = await h.openPushSetup(user);
      assert.match(setup.body, /<img src="data:image\/png;base64,/, 'QR code shown');
      assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

      const early = await h.submit(jar, setup, {});
      assert.deepEqual(testids(early.body), ['mfa.push_not_enrolled']);
      assert.equal(early.body.match(/data-testid="push\/code">([^<]+)</)?.[1], code, 'same code after the error');

      await refused(enrolDevice({ code: 'AAAA-BBBB-CCCC', server: server.url }), 400, 'invalid_code');
      const keys = await enrolDevice({ code: code.toLowerCase().replace(/-/g, ' '), server: server.url, name: 'My phone' });
      assert.match(keys.deviceId, /^[0-9a-f-]{36}$/);
      assert.equal(keys.server, server.url);
      await refused(enrolDevice({ code, server: server.url }), 400, 'invalid_code'); // once only

      const codesPage = await h.submit(jar, early, {});
      assert.equal(heading(codesPage.body), 'Save your recovery codes');
      const done = await h.submit(jar, codesPage, {});
      assert.ok(done.location?.startsWith(client.redirect_uris[0]), `landed on the RP, got ${done.location}`);
      const claims = await h.idTokenClaims(done, verifier);
      assert.deepEqual(claims.amr, ['pwd', 'mfa', 'swk', 'user']);
      assert.equal(claims.acr, 'urn:gatehouse:loa:2');

      const methods = await server.gatehouse.mfa.listMethods(user.id);
      assert.deepEqual(methods.map((m) => [m.kind, m.name]), [['push', 'My phone']]);
      assert.equal(methods[0].config.deviceId, keys.deviceId);
      assert.deepEqual(Object.keys(methods[0].config.publicKeyJwk as object).sort(), ['crv', 'kty', 'x', 'y'], 'the public key only');
      assert.equal(await server.gatehouse.mfa.countRecoveryCodes(user.id), 10);
    });

    it('refuses a private key, a non-P-256 key and a bad name at enrolment', async () => {
      const user = await server.createUser({ mfa: false });
      const { code } = await h.openPushSetup(user);
      const post = (body: unknown) =>
        fetch(`${server.url}/authenticator/v1/enrol`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      const withPrivate = await post({ code, name: 'x', publicKey: p256.privateKey.export({ format: 'jwk' }) });
      assert.equal(withPrivate.status, 400);
      assert.equal((await withPrivate.json()).error, 'invalid_key');
      assert.equal((await post({ code, name: 'x', publicKey: p384.publicKey.export({ format: 'jwk' }) })).status, 400);
      const offCurve = { kty: 'EC', crv: 'P-256', x: Buffer.alloc(32, 1).toString('base64url'), y: Buffer.alloc(32, 2).toString('base64url') };
      assert.equal((await post({ code, name: 'x', publicKey: offCurve })).status, 400);
      const badName = await post({ code, name: 'x'.repeat(61), publicKey: p256.publicKey.export({ format: 'jwk' }) });
      assert.equal(badName.status, 400);
      // None of those spent the code.
      const ok = await post({ code, name: 'Phone', publicKey: p256.publicKey.export({ format: 'jwk' }) });
      assert.equal(ok.status, 201);
    });

    it('waits for the device, then signs in when it approves with the right number', async () => {
      const { user, device } = await h.userWithDevice();
      const login = await h.loginToPush(user, device);
      assert.match(login.step.body, /<script src="\/static\/push-wait.js"/);
      // The poll is the method's own action, at the one method-action route; no push route of its own.
      assert.match(login.step.body, new RegExp(`data-status-url="/interaction/${login.uid}/mfa/push/status"`));
      const old = await fetch(`${server.url}/interaction/${login.uid}/push-status`, { headers: { cookie: login.jar.header(), accept: 'application/json' } });
      assert.equal(old.status, 404);
      // A read is a GET only; another method's action, or one this flow's method lacks, is not found.
      const posted = await fetch(`${server.url}/interaction/${login.uid}/mfa/push/status`, { method: 'POST', redirect: 'manual', headers: { cookie: login.jar.header() } });
      assert.equal(posted.status, 303, 'a POST to a read goes back to the step');
      for (const path of ['mfa/email_otp/resend', 'mfa/push/nothing', 'mfa/totp/status']) {
        const other = await fetch(`${server.url}/interaction/${login.uid}/${path}`, { headers: { cookie: login.jar.header(), accept: 'application/json' } });
        assert.equal(other.status, 404, path);
      }
      assert.equal(login.approval.clientName, client.client_id);
      assert.equal(login.approval.ip, '127.0.0.1');
      assert.equal(login.approval.choices.length, 3);
      assert.equal(await h.pushStatus(login.jar, login.uid), 'pending');

      // "I approved" too early: the same request keeps waiting, no failure counted.
      const waiting = await h.submit(login.jar, login.step, {});
      assert.deepEqual(testids(waiting.body), ['mfa.push_pending']);
      assert.equal(shownNumber(waiting.body), login.number, 'same request, same number');
      assert.equal((await device.listApprovals()).length, 1, 'still one request');

      assert.deepEqual(await device.decide(login.approval.id, 'approve', login.number), { status: 'approved' });
      assert.equal(await h.pushStatus(login.jar, login.uid), 'approved');
      await refused(device.decide(login.approval.id, 'approve', login.number), 409, 'already_decided');
      assert.deepEqual(await device.listApprovals(), [], 'answered requests are no longer listed');

      const done = await h.submit(login.jar, waiting, {});
      assert.ok(done.location?.startsWith(client.redirect_uris[0]), `landed on the RP, got ${done.location}`);
      const claims = await h.idTokenClaims(done, login.verifier);
      assert.deepEqual(claims.amr, ['pwd', 'mfa', 'swk', 'user']);
      assert.equal(claims.acr, 'urn:gatehouse:loa:2');
      const [method] = await server.gatehouse.mfa.listMethods(user.id);
      assert.ok(method.lastUsedAt, 'last used date recorded');
    });

    it('fails cleanly when the device denies, and sends a new request', async () => {
      const { user, device } = await h.userWithDevice();
      const login = await h.loginToPush(user, device);
      assert.deepEqual(await device.decide(login.approval.id, 'deny'), { status: 'denied' });
      assert.equal(await h.pushStatus(login.jar, login.uid), 'denied');
      const denied = await h.submit(login.jar, login.step, {});
      assert.deepEqual(testids(denied.body), ['mfa.push_denied']);
      assert.match(denied.body, /The sign-in was denied on your device\./);
      const [next] = await device.listApprovals();
      assert.ok(next && next.id !== login.approval.id, 'a new request for the next try');
      assert.ok(next.choices.includes(shownNumber(denied.body)));
    });

    it('treats a wrong number as a denial', async () => {
      const { user, device } = await h.userWithDevice();
      const login = await h.loginToPush(user, device);
      const decoy = login.approval.choices.find((n) => n !== login.number)!;
      assert.deepEqual(await device.decide(login.approval.id, 'approve', decoy), { status: 'denied', reason: 'wrong_number' });
      const denied = await h.submit(login.jar, login.step, {});
      assert.deepEqual(testids(denied.body), ['mfa.push_denied']);
    });

    it('expires after 2 minutes: the device is refused, the page says so and a new request is made', async () => {
      const { user, device } = await h.userWithDevice({ clock });
      const login = await h.loginToPush(user, device);
      offsetMs = 119_000;
      assert.equal(await h.pushStatus(login.jar, login.uid), 'pending');
      offsetMs = 121_000;
      assert.equal(await h.pushStatus(login.jar, login.uid), 'expired');
      assert.deepEqual(await device.listApprovals(), [], 'expired requests are not listed');
      await refused(device.decide(login.approval.id, 'approve', login.number), 410, 'expired');
      const expired = await h.submit(login.jar, login.step, {});
      assert.deepEqual(testids(expired.body), ['mfa.push_expired']);
      assert.match(expired.body, /The approval request expired\. Try again\./);
      const [next] = await device.listApprovals();
      assert.ok(next && next.id !== login.approval.id, 'a new request');
      assert.deepEqual(await device.decide(next.id, 'approve', shownNumber(expired.body)), { status: 'approved' });
      const done = await h.submit(login.jar, expired, {});
      assert.ok(done.location?.startsWith(client.redirect_uris[0]));
    });

    it('refuses a forged signature (another key), a tampered body, a stale or future timestamp and a replayed nonce', async () => {
      const { user, keys, device } = await h.userWithDevice();
      const login = await h.loginToPush(user, device);

      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const forger = createDevice({ ...keys, privateKeyJwk: other.privateKey.export({ format: 'jwk' }) });
      await refused(forger.listApprovals(), 401, 'invalid_signature');
      await refused(forger.decide(login.approval.id, 'approve', login.number), 401, 'invalid_signature');
      const audited = await server.gatehouse.db.knex('audit_events').where({ action: 'mfa.push_signature', target: user.id }).count({ n: '*' });
      assert.equal(Number(audited[0].n), 2, 'forgeries are audited');

      // A body other than the one signed.
      const path = `/authenticator/v1/approvals/${login.approval.id}`;
      const signedFor = JSON.stringify({ decision: 'deny' });
      const tampered = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signRequest(keys, { method: 'POST', pathAndQuery: path, body: signedFor }) },
        body: JSON.stringify({ decision: 'approve', number: login.number }),
      });
      assert.equal(tampered.status, 401);

      await refused(createDevice(keys, { clock: () => Date.now() - 61_000 }).listApprovals(), 401, 'stale_request');
      await refused(createDevice(keys, { clock: () => Date.now() + 61_000 }).listApprovals(), 401, 'stale_request');

      const nonce = 'same-nonce-twice-0123';
      await device.call('GET', '/approvals', undefined, { nonce });
      await refused(device.call('GET', '/approvals', undefined, { nonce }), 401, 'replayed_request');

      const unsigned = await fetch(`${server.url}/authenticator/v1/approvals`);
      assert.equal(unsigned.status, 401);
      assert.equal(unsigned.headers.get('www-authenticate'), 'Gatehouse-Device');

      assert.equal(await h.pushStatus(login.jar, login.uid), 'pending', 'none of that answered the request');
    });

    it("answers only the flow the approval belongs to, and refuses another account's device", async () => {
      const { user, device } = await h.userWithDevice();
      const a = await h.loginToPush(user, device);
      const b = await h.startLogin(user);
      const bNumber = shownNumber(b.step.body);
      const listed = await device.listApprovals();
      assert.equal(listed.length, 2, 'both sign-ins wait on the device');
      const bApproval = listed.find((x) => x.id !== a.approval.id)!;

      const stranger = await h.userWithDevice();
      assert.deepEqual(await stranger.device.listApprovals(), [], "another account's device sees nothing");
      await refused(stranger.device.decide(a.approval.id, 'approve', a.number), 404, 'not_found');

      assert.deepEqual(await device.decide(a.approval.id, 'approve', a.number), { status: 'approved' });
      assert.equal(await h.pushStatus(b.jar, b.uid), 'pending', "approving A does not answer B");
      const stillWaiting = await h.submit(b.jar, b.step, {});
      assert.deepEqual(testids(stillWaiting.body), ['mfa.push_pending']);
      assert.equal(shownNumber(stillWaiting.body), bNumber);
      // B's cookie can't ask about A's flow.
      assert.equal(await h.pushStatus(b.jar, a.uid), 'none');

      const doneA = await h.submit(a.jar, a.step, {});
      assert.ok(doneA.location?.startsWith(client.redirect_uris[0]));
      assert.deepEqual((await device.listApprovals()).map((x) => x.id), [bApproval.id]);
    });

    it('forgets a removed device: its signed requests are refused', async () => {
      const { user, keys, device } = await h.userWithDevice();
      const [method] = await server.gatehouse.mfa.listMethods(user.id);
      await server.gatehouse.mfa.removeAll(user.id);
      assert.ok(method);
      await refused(device.listApprovals(), 401, 'unknown_device');
      assert.equal(await server.gatehouse.pushStore.findDevice(keys.deviceId), undefined);
    });
  });
}
