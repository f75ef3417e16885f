// Language choice, in the order issue 12 sets: ui_locales, then the person's pick (cookie, then the
// account), then Accept-Language, then English.
import assert from 'node:assert/strict';
import { chooseLanguage, fromAcceptLanguage, fromUiLocales, supportedTag } from './negotiate.ts';

describe('language negotiation', () => {
  const cases: [string, Parameters<typeof chooseLanguage>[0], string][] = [
    ['nothing known → English', {}, 'en'],
    ['Accept-Language alone', { acceptLanguage: 'nb-NO,nb;q=0.9,en;q=0.5' }, 'nb'],
    ['a pick beats Accept-Language', { picked: 'en', acceptLanguage: 'nb' }, 'en'],
    ['the account’s language beats Accept-Language', { account: 'nb', acceptLanguage: 'en' }, 'nb'],
    ['the cookie beats the account', { picked: 'en', account: 'nb' }, 'en'],
    ['ui_locales beats an earlier pick and Accept-Language', { uiLocales: 'nb', picked: 'en', pickedOn: 'another-sign-in', interaction: 'this-sign-in', acceptLanguage: 'en' }, 'nb'],
    ['a pick made during this sign-in beats ui_locales', { uiLocales: 'nb', picked: 'en', pickedOn: 'this-sign-in', interaction: 'this-sign-in' }, 'en'],
    ['unsupported ui_locales fall through to the pick', { uiLocales: 'de fr', picked: 'nb' }, 'nb'],
    ['ui_locales take the first supported tag', { uiLocales: 'de nb-NO en' }, 'nb'],
    ['an unsupported pick falls through', { picked: 'xx', acceptLanguage: 'nb' }, 'nb'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(chooseLanguage(input), expected));
  }

  it('matches tags case-insensitively and by primary subtag; "no" means Bokmål', () => {
    assert.equal(supportedTag('NB'), 'nb');
    assert.equal(supportedTag('nb-NO'), 'nb');
    assert.equal(supportedTag('no'), 'nb');
    assert.equal(supportedTag('en-US'), 'en');
    assert.equal(supportedTag('de'), undefined);
    assert.equal(supportedTag('*'), undefined);
  });

  it('orders Accept-Language by q, keeps header order on ties, skips q=0', () => {
    assert.equal(fromAcceptLanguage('en;q=0.4, nb;q=0.8'), 'nb');
    assert.equal(fromAcceptLanguage('de, nb, en'), 'nb');
    assert.equal(fromAcceptLanguage('nb;q=0, en;q=0.1'), 'en');
    assert.equal(fromAcceptLanguage('da, sv'), undefined);
    assert.equal(fromAcceptLanguage(undefined), undefined);
  });

  it('reads ui_locales as a space-separated preference list', () => {
    assert.equal(fromUiLocales('  fr-CA   nb '), 'nb');
    assert.equal(fromUiLocales(''), undefined);
  });
});
