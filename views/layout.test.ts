// The page heading and <title>: a catalog code in the reader's language, or a name (a user, an app,
// an identity provider) shown exactly as it was typed, never looked up or interpolated as a code.
import assert from 'node:assert/strict';
import '../server/language.ts';
import { render } from './render.ts';
import { inLanguage } from './language.ts';
import { message } from '../accounts/messages/catalog.ts';

describe('views: page heading', () => {
  const heading = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];

  it('translates a title code', () => {
    const html = inLanguage({ tag: 'nb' }, () => render('home', { title: 'page.title.gatehouse_sign_in_service', issuer: 'https://id.example' }));
    assert.equal(heading(html), message('page.title.gatehouse_sign_in_service', undefined, 'nb'));
  });

  it('shows a name literally, even one that looks like a code or a placeholder', () => {
    for (const name of ['page.title.sign_in', 'Payroll {{count}}', '<b>x</b>']) {
      const html = render('home', { titleText: name, issuer: 'https://id.example' });
      const escaped = name.replace(/</g, '&lt;').replace(/>/g, '&gt;');
      assert.ok(html.includes(`<h1>${escaped}</h1>`), `heading of ${name}`);
      assert.ok(html.includes(`<title>${escaped} ·`), `title of ${name}`);
    }
  });
});
