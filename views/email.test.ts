import assert from 'node:assert/strict';
import { emailMessages } from './email.ts';
// The server hands the catalog to the views at start; so does this test.
import '../server/language.ts';
import { inLanguage } from './language.ts';

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
});
