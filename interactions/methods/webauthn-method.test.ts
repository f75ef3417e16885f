// The WebAuthn strategy on its own (no HTTP): what goes into the options, where the challenge is
// kept, that it is used once and prepared once per set-up. The ceremonies through the real pages are
// in test/integration/mfa/webauthn/, the browser journeys in test/e2e/webauthn.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { AuditEvent } from '../../accounts/audit.ts';
import type { MfaMethod, MfaStore } from '../../accounts/mfa.ts';
import { newFlow } from '../login/flow.ts';
import type { MfaContext } from './method.ts';
import { enrolmentOnce } from './prepared.ts';
import { createWebAuthnMethod, isWebAuthnRpId, WEBAUTHN_CHALLENGE_TTL_MS } from './webauthn-method.ts';

describe('WebAuthn method (built-in authenticator, security key)', () => {
  const audited: AuditEvent[] = [];
  const store = {} as MfaStore;
  const strategy = (kind: 'platform' | 'security_key', rpId = 'id.example.com') =>
    createWebAuthnMethod({ kind, mfa: store, audit: { record: async (e) => void audited.push(e) }, rpId, origin: `https://${rpId}`, rpName: rpId });
  const method = (kind: MfaMethod['kind'], credentialId: string): MfaMethod => ({
    id: randomBytes(8).toString('hex'),
    accountId: 'a1',
    kind,
    name: kind,
    createdAt: new Date(),
    lastUsedAt: null,
    config: { credentialId, publicKey: 'AA', counter: 0, transports: ['usb'], attachment: 'cross-platform' },
  });
  const context = (methods: MfaMethod[]): MfaContext => ({
    flow: newFlow('uid1'),
    account: { id: 'a1', username: 'ada', organization: null } as never,
    methods,
    request: {},
  });

  it('excludes every registered WebAuthn credential (both kinds) when adding one', async () => {
    const ctx = context([method('totp', 'not-webauthn'), method('platform', 'cHJlZg'), method('security_key', 'a2V5')]);
    await strategy('security_key').enrolment!.prepare(ctx);
    const view = (await strategy('security_key').enrolment!.view(ctx))!;
    const options = JSON.parse((view.webauthn as { options: string }).options) as PublicKeyCredentialCreationOptionsJSON;
    assert.deepEqual(options.excludeCredentials?.map((c) => c.id).sort(), ['a2V5', 'cHJlZg']);
    assert.equal(options.rp.id, 'id.example.com');
    assert.equal(options.authenticatorSelection?.authenticatorAttachment, 'cross-platform');
    await strategy('platform').enrolment!.prepare(ctx);
    const platformView = (await strategy('platform').enrolment!.view(ctx))!;
    const platformOptions = JSON.parse((platformView.webauthn as { options: string }).options) as PublicKeyCredentialCreationOptionsJSON;
    assert.equal(platformOptions.authenticatorSelection?.authenticatorAttachment, 'platform');
    assert.equal((ctx.flow.private.platform as { purpose: string }).purpose, 'register');
  });

  it('keeps the challenge in the flow and deletes it on the first answer, whatever the answer', async () => {
    const ctx = context([method('security_key', 'a2V5')]);
    const s = strategy('security_key');
    await s.prepareChallenge!(ctx);
    const view = (await s.challengeView(ctx))!;
    const options = JSON.parse((view.webauthn as { options: string }).options) as PublicKeyCredentialRequestOptionsJSON;
    assert.equal((ctx.flow.private.security_key as { challenge: string }).challenge, options.challenge);
    const first = await s.verify(ctx, { webauthn_response: 'not json' });
    assert.equal(first.kind === 'failed' && first.message.code, 'mfa.webauthn_failed');
    assert.equal(ctx.flow.private.security_key, undefined, 'deleted');
    assert.equal(await s.challengeView(ctx), undefined, 'no live challenge: the engine starts a new one');
    const second = await s.verify(ctx, { webauthn_response: 'not json' });
    assert.equal(second.kind === 'failed' && second.message.code, 'mfa.webauthn_challenge_expired');
  });

  it('prepares registration options once per set-up: renders show the same options until they are used or expire', async () => {
    let clock = 1_000_000;
    const key = createWebAuthnMethod({ kind: 'security_key', mfa: store, audit: { record: async () => {} }, rpId: 'id.example.com', origin: 'https://id.example.com', rpName: 'x', clock: () => clock });
    const ctx = context([]);
    const first = await enrolmentOnce(key.enrolment!, ctx);
    const reload = await enrolmentOnce(key.enrolment!, ctx);
    assert.equal(first.prepared, true);
    assert.equal(reload.prepared, false, 'a reload prepares nothing');
    assert.deepEqual(reload.view, first.view, 'the same options');
    clock += WEBAUTHN_CHALLENGE_TTL_MS;
    const late = await enrolmentOnce(key.enrolment!, ctx);
    assert.equal(late.prepared, true, 'an expired challenge is replaced');
    assert.notDeepEqual(late.view, first.view);
  });

  it('never answers a sign-in challenge with a registration challenge', async () => {
    const ctx = context([method('security_key', 'a2V5')]);
    await strategy('security_key').enrolment!.prepare(ctx);
    const outcome = await strategy('security_key').verify(ctx, { webauthn_response: '{}' });
    assert.equal(outcome.kind === 'failed' && outcome.message.code, 'mfa.webauthn_challenge_expired');
  });

  it('offers no WebAuthn enrolment when ISSUER is an IP address (browsers refuse IP RP IDs)', () => {
    assert.equal(strategy('platform', '127.0.0.1').enrolment, undefined);
    assert.ok(strategy('platform', 'localhost').enrolment);
    assert.equal(isWebAuthnRpId('127.0.0.1'), false);
    assert.equal(isWebAuthnRpId('[::1]'), false);
    assert.equal(isWebAuthnRpId('id.example.com'), true);
    assert.equal(isWebAuthnRpId('gatehouse'), true);
  });
});
