// Markup inside a translated sentence (partials/markup.njk, views/language.ts): the macro's markup goes
// in where the language's text puts it; the text and every plain variable stay escaped.
import assert from 'node:assert/strict';
import '../server/language.ts';
import { createViews } from './render.ts';
import { inLanguage } from './language.ts';
import { message } from '../accounts/messages/catalog.ts';

describe('views: markup inside a translated sentence', () => {
  const { env } = createViews();
  const render = (source: string, model: Record<string, unknown>, tag = 'en') =>
    inLanguage({ tag }, () => env.renderString(`{% from "partials/markup.njk" import strong, linkTo %}${source}`, model));

  it('puts a macro’s markup where the text says, in each language', () => {
    const html = render(`{{ t('page.reset.choose_for', { username: strong(name) }) }}`, { name: 'ada' }, 'nb');
    assert.equal(html, message('page.reset.choose_for', { username: '<strong>ada</strong>' }, 'nb'));
  });

  it('escapes what a person typed, inside the macro and as a plain variable', () => {
    const html = render(`{{ t('page.invitation.join.belongs_to', { username: strong(u), leaving: strong(o), organization: o, leavingName: o }) }}`, { u: '<b>x</b>', o: 'A&B "co"' });
    assert.ok(!html.includes('<b>'), html);
    assert.ok(html.includes('<strong>&lt;b&gt;x&lt;/b&gt;</strong>'), html);
    assert.ok(html.includes('A&amp;B &quot;co&quot;') || html.includes('A&#38;B &#34;co&#34;'), html);
  });

  it('leaves a text without markup variables as the plain, auto-escaped text', () => {
    assert.equal(render(`{{ t('page.invitation.other_account.continue_as', { username: u }) }}`, { u: '<i>' }), 'Continue as &lt;i&gt;');
    const link = render(`{{ t('page.invitation.other_account.how', { wanted: strong('b'), signOut: linkTo('/session/end', t('page.invitation.other_account.sign_out'), 'link/sign-out') }) }}`, {});
    assert.equal(link, 'To join with <strong>b</strong>, <a href="/session/end" data-testid="link/sign-out">sign out</a> and open the invitation link again.');
  });
});
