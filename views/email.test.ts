import assert from 'node:assert/strict';
import { emailMessages } from './email.ts';
// The server hands the catalog to the views at start; so does this test.
import '../server/language.ts';
import { inLanguage } from './language.ts';
import { formatDate, message } from '../accounts/messages/catalog.ts';
import { deviceMessage, placeMessage } from '../accounts/device-description.ts';
import { signInMethodMessage } from '../accounts/account-sessions.ts';

describe('self-service emails', () => {
  const hostile = '<img src=x onerror=alert(1)>&"';

  it('escapes user data in the HTML part and keeps the text part plain', () => {
    const mail = emailMessages.emailChanged({ username: hostile, newEmail: 'new@example.com', accountUrl: 'http://localhost:3000/account' });
    assert.ok(!mail.html.includes('<img src=x'), 'no markup from user data');
    assert.ok(mail.html.includes('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;'));
    assert.ok(mail.text.includes(hostile), 'text is not HTML-escaped');
  });

  it('writes in the language of the request that sends it (Norwegian Bokmål here)', () => {
    const mail = inLanguage({ tag: 'nb' }, () => emailMessages.verifyEmail({ username: 'ann', code: '042917', minutes: 15 }));
    assert.equal(mail.subject, 'Bekreftelseskoden din for Gatehouse: 042917');
    assert.match(mail.text, /^Hei ann,/);
    assert.match(mail.text, /utløper om 15 minutter/);
    assert.match(mail.html, /<html lang="nb">/);
    const english = emailMessages.verifyEmail({ username: 'ann', code: '042917', minutes: 15 });
    assert.equal(english.subject, 'Your Gatehouse verification code: 042917');
  });

  it('puts the code and the link in both parts', () => {
    const code = emailMessages.verifyEmail({ username: 'ann', code: '042917', minutes: 15 });
    assert.match(code.subject, /042917/);
    assert.match(code.text, /042917/);
    assert.match(code.html, /042917/);
    const reset = emailMessages.passwordResetLink({ username: 'ann', link: 'https://id.example.com/reset/abc_DEF-1', minutes: 60, byAdministrator: true });
    assert.match(reset.text, /https:\/\/id\.example\.com\/reset\/abc_DEF-1/);
    assert.match(reset.html, /href="https:\/\/id\.example\.com\/reset\/abc_DEF-1"/);
    assert.match(reset.text, /administrator/);
  });

  it('lists every username', () => {
    const list = emailMessages.usernameList({ usernames: ['ann', 'ann_work'], forgotUrl: 'https://id.example.com/forgot', signInUrl: 'https://id.example.com/account' });
    assert.match(list.text, /- ann\n.*- ann_work/s);
    assert.equal((list.html.match(/data-testid="username"/g) ?? []).length, 2);
  });

  it('has no line breaks in any subject', () => {
    for (const mail of [
      emailMessages.verifyEmail({ username: 'a\r\nBcc: x@y.z', code: '123456', minutes: 15 }),
      emailMessages.passwordChanged({ username: 'a\nb', forgotUrl: 'x', reset: true }),
    ]) assert.ok(!/[\r\n]/.test(mail.subject));
  });

  describe('in the recipient’s language', () => {
    const lockout = { username: 'ann', minutes: 15, failures: 20, forgotUrl: 'https://id.example.com/forgot' };
    const when = new Date(Date.UTC(2026, 11, 1, 16, 47));

    it('uses the language remembered on the account over the request’s, and the request’s when there is none or an unknown one', () => {
      assert.equal(emailMessages.accountLocked({ ...lockout, language: 'nb' }).subject, message('email.locked.subject', undefined, 'nb'));
      assert.equal(inLanguage({ tag: 'nb' }, () => emailMessages.accountLocked({ ...lockout, language: null })).subject, message('email.locked.subject', undefined, 'nb'));
      assert.equal(inLanguage({ tag: 'nb' }, () => emailMessages.accountLocked({ ...lockout, language: 'en' })).subject, message('email.locked.subject'));
      for (const language of ['xx', '<nb>', '']) {
        const mail = emailMessages.accountLocked({ ...lockout, language });
        assert.equal(mail.subject, message('email.locked.subject'));
        assert.match(mail.html, /<html lang="en">/);
      }
    });

    it('account locked: subject and body in Norwegian Bokmål', () => {
      const mail = emailMessages.accountLocked({ ...lockout, language: 'nb' });
      assert.equal(mail.subject, 'Gatehouse-kontoen din ble låst etter mislykkede innlogginger');
      const body = message('email.locked.body', { username: 'ann', failures: '20', wait: message('time.minutes', { count: 15 }, 'nb') }, 'nb');
      assert.ok(body.includes('låst i 15 minutter'), body);
      for (const part of [mail.text, mail.html]) {
        assert.ok(part.includes(message('email.greeting', { username: 'ann' }, 'nb')));
        assert.ok(part.includes(body));
        assert.ok(part.includes(message('email.locked.if_you', undefined, 'nb')));
        assert.ok(part.includes(message('email.locked.not_you', undefined, 'nb')));
        assert.ok(part.includes('https://id.example.com/forgot'));
      }
      assert.match(mail.html, /<html lang="nb">/);
    });

    it('email code: subject and body in Norwegian Bokmål, for signing in and for setting up', () => {
      const signIn = emailMessages.emailOtpCode({ username: 'ann', code: '042917', minutes: 10, setup: false, language: 'nb' });
      assert.equal(signIn.subject, message('email.otp.subject', { code: '042917' }, 'nb'));
      assert.equal(signIn.subject, 'Innloggingskoden din for Gatehouse: 042917');
      const setup = emailMessages.emailOtpCode({ username: 'ann', code: '042917', minutes: 10, setup: true, language: 'nb' });
      for (const [mail, intro] of [[signIn, 'email.otp.intro'], [setup, 'email.otp.intro_setup']] as const) {
        for (const part of [mail.text, mail.html]) {
          assert.ok(part.includes(message(intro, undefined, 'nb')));
          assert.ok(part.includes('042917'));
          assert.ok(part.includes(message('email.otp.how', { minutes: 10 }, 'nb')));
          assert.ok(part.includes(message('email.otp.not_you', undefined, 'nb')));
        }
      }
      assert.equal(emailMessages.emailOtpCode({ username: 'ann', code: '042917', minutes: 10, setup: false }).subject, 'Your Gatehouse sign-in code: 042917');
    });

    it('sessions ended: one or several, by the person or an administrator, in Norwegian Bokmål', () => {
      const base = { username: 'ann', sessionsUrl: 'https://id.example.com/account/sessions', language: 'nb' };
      const firefox = deviceMessage({ browser: 'Firefox 121', system: 'Windows 10' });
      const one = emailMessages.sessionsEnded({ ...base, devices: [firefox], byAdministrator: true });
      assert.equal(one.subject, message('email.sessions_ended.subject', { count: 1 }, 'nb'));
      assert.equal(one.subject, 'En Gatehouse-økt ble logget ut');
      assert.ok(one.text.includes(message('email.sessions_ended.by_admin', { count: 1 }, 'nb')));
      assert.equal(message('device.browser_on_system', { browser: 'Firefox 121', system: 'Windows 10' }, 'nb'), 'Firefox 121 på Windows 10');
      assert.ok(one.text.includes('- Firefox 121 på Windows 10'));
      assert.ok(one.html.includes('<li>Firefox 121 på Windows 10</li>'));
      const two = emailMessages.sessionsEnded({ ...base, devices: [firefox, deviceMessage({ browser: null, system: null })], byAdministrator: false });
      assert.equal(two.subject, message('email.sessions_ended.subject', { count: 2 }, 'nb'));
      for (const part of [two.text, two.html]) {
        assert.ok(part.includes(message('email.sessions_ended.by_you', { count: 2 }, 'nb')));
        assert.ok(part.includes('Du logget ut 2 økter'));
        assert.ok(part.includes(message('device.unknown_browser', undefined, 'nb')));
        assert.ok(part.includes(message('email.sessions_ended.review', undefined, 'nb')));
        assert.ok(part.includes(message('email.not_you_admin', undefined, 'nb')));
      }
      assert.match(two.html, /href="https:\/\/id\.example\.com\/account\/sessions"/);
    });

    it('new sign-in: the time in the reader’s language, in UTC, saying so', () => {
      const how = signInMethodMessage(['pwd', 'otp', 'mfa'], 'totp', null, { describe: (kind) => kind });
      const mail = emailMessages.newSignIn({ username: 'ann', device: deviceMessage({ browser: 'Chrome 120', system: 'macOS' }), ip: '203.0.113.9', place: placeMessage('203.0.113.9'), when, how, sessionsUrl: 'https://id.example.com/account/sessions', language: 'nb' });
      assert.equal(mail.subject, message('email.new_sign_in.subject', undefined, 'nb'));
      const at = formatDate(when, 'nb', 'datetime', 'UTC');
      assert.match(at, /UTC/);
      for (const part of [mail.text, mail.html]) {
        assert.ok(part.includes(message('email.new_sign_in.intro', undefined, 'nb')));
        assert.ok(part.includes(message('email.new_sign_in.device', { device: message('device.browser_on_system', { browser: 'Chrome 120', system: 'macOS' }, 'nb') }, 'nb')));
        assert.ok(part.includes(message('email.new_sign_in.how', { how: 'Passord og autentiseringsapp' }, 'nb')), part);
        assert.ok(part.includes(message('email.new_sign_in.when', { when: at }, 'nb')), part);
        assert.ok(part.includes(message('email.new_sign_in.ip', { ip: '203.0.113.9' }, 'nb')));
        assert.ok(part.includes(message('email.new_sign_in.not_you', undefined, 'nb')));
      }
      const unknown = emailMessages.newSignIn({ username: 'ann', device: deviceMessage({ browser: null, system: 'Linux' }), ip: null, place: placeMessage('192.168.1.4'), when, how: signInMethodMessage(['fed'], null, 'Entra ID'), sessionsUrl: 'z', language: 'nb' });
      assert.ok(unknown.text.includes(message('email.new_sign_in.ip', { ip: `${message('email.new_sign_in.ip_unknown', undefined, 'nb')} (${message('place.private', undefined, 'nb')})` }, 'nb')), unknown.text);
      assert.ok(unknown.text.includes(message('device.unknown_browser_on', { system: 'Linux' }, 'nb')));
      assert.ok(unknown.text.includes(message('sign_in_method.sso_through', { idp: 'Entra ID' }, 'nb')));
    });

    it('invitation: the organization or its business group, the role and the expiry, in Norwegian Bokmål', () => {
      const until = new Date(Date.UTC(2026, 11, 8, 16, 47));
      const base = { link: 'https://id.example.com/invitations/tok_EN-1', until, email: 'bo@example.com', language: 'nb' };
      const member = emailMessages.invitation({ ...base, organization: 'Acme', group: null, role: 'member' });
      assert.equal(member.subject, message('email.invitation.subject', { organization: 'Acme' }, 'nb'));
      assert.equal(member.subject, 'Du er invitert til å bli med i Acme på Gatehouse');
      for (const part of [member.text, member.html]) {
        assert.ok(part.includes(message('email.invitation.as_member', { where: 'Acme' }, 'nb')));
        assert.ok(part.includes(message('email.invitation.until', { until: formatDate(until, 'nb', 'datetime', 'UTC'), email: 'bo@example.com' }, 'nb')));
        assert.ok(part.includes(message('email.invitation.ignore', undefined, 'nb')));
      }
      assert.match(member.text, /\/invitations\/tok_EN-1/);
      assert.match(member.html, /href="https:\/\/id\.example\.com\/invitations\/tok_EN-1"/);
      const admin = emailMessages.invitation({ ...base, organization: 'Acme', group: 'Sales', role: 'admin' });
      assert.ok(admin.text.includes(message('email.invitation.as_admin', { where: message('email.invitation.in_group', { organization: 'Acme', group: 'Sales' }, 'nb') }, 'nb')));
      const nameless = emailMessages.invitation({ ...base, organization: null, group: null, role: 'member', language: 'en' });
      assert.equal(nameless.subject, message('email.invitation.subject', { organization: message('email.invitation.an_organization') }));
    });

    it('every other email too: subject and body in Norwegian Bokmål, the username escaped in HTML', () => {
      const to = { username: hostile, language: 'nb' };
      const cases = [
        [emailMessages.verifyEmail({ ...to, code: '042917', minutes: 15 }), message('email.verify.subject', { code: '042917' }, 'nb'), message('email.verify.how', { minutes: 15 }, 'nb')],
        [emailMessages.confirmNewEmail({ ...to, code: '042917', minutes: 15 }), message('email.confirm_new.subject', { code: '042917' }, 'nb'), message('email.confirm_new.how', { minutes: 15 }, 'nb')],
        [emailMessages.emailChanged({ ...to, newEmail: 'ny@example.com', accountUrl: 'u' }), message('email.changed.subject', undefined, 'nb'), message('email.changed.not_you', undefined, 'nb')],
        [emailMessages.passwordResetLink({ ...to, link: 'l', minutes: 60, byAdministrator: true }), message('email.reset.subject', undefined, 'nb'), message('email.reset.expiry', { minutes: 60 }, 'nb')],
        [emailMessages.passwordChanged({ ...to, forgotUrl: 'f', reset: false }), message('email.password_changed.subject', undefined, 'nb'), message('email.password_changed.not_you', undefined, 'nb')],
        [emailMessages.mfaChanged({ ...to, change: { code: 'mfa.change.reset' }, accountUrl: 'u' }), message('email.mfa_changed.subject', undefined, 'nb'), message('mfa.change.reset', undefined, 'nb')],
      ] as const;
      for (const [mail, subject, text] of cases) {
        assert.equal(mail.subject, subject);
        assert.ok(mail.text.startsWith(message('email.greeting', { username: hostile }, 'nb')), mail.text);
        assert.ok(mail.text.includes(text) && mail.html.includes(text), subject);
        assert.match(mail.html, /<html lang="nb">/);
        assert.ok(!mail.html.includes('<img src=x'), subject);
      }
      const list = emailMessages.usernameList({ usernames: [hostile], forgotUrl: 'f', signInUrl: 's', language: 'nb' });
      assert.equal(list.subject, message('email.usernames.subject', undefined, 'nb'));
      assert.ok(list.text.includes(message('email.usernames.intro', undefined, 'nb')));
      assert.ok(list.html.includes('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;'));
    });

    it('escapes an organization’s name, a group’s and a username in every new email; no line break reaches a subject', () => {
      const until = new Date(Date.UTC(2026, 11, 8));
      const mails = [
        emailMessages.invitation({ organization: hostile, group: hostile, role: 'admin', link: 'https://x.example/invitations/t', until, email: 'bo@example.com', language: 'nb' }),
        emailMessages.accountLocked({ ...lockout, username: hostile, language: 'nb' }),
        emailMessages.sessionsEnded({ username: hostile, devices: [deviceMessage({ browser: hostile, system: hostile })], byAdministrator: true, sessionsUrl: 'x', language: 'nb' }),
        emailMessages.newSignIn({ username: hostile, device: deviceMessage({ browser: hostile, system: null }), ip: null, place: null, when, how: signInMethodMessage(['fed'], null, hostile), sessionsUrl: 'x', language: 'nb' }),
        emailMessages.emailOtpCode({ username: hostile, code: '123456', minutes: 10, setup: false, language: 'nb' }),
      ];
      for (const mail of mails) {
        assert.ok(!mail.html.includes('<img src=x'), mail.subject);
        assert.ok(mail.html.includes('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;'), mail.subject);
        assert.ok(mail.text.includes(hostile), 'text is not HTML-escaped');
      }
      const split = emailMessages.invitation({ organization: 'Acme\r\nBcc: x@y.z', group: null, role: 'member', link: 'l', until, email: 'e', language: 'nb' });
      assert.ok(!/[\r\n]/.test(split.subject));
    });
  });
});
