// The catalog's promises: every language has exactly English's codes, no empty text, the same
// {{placeholders}} and plural forms; every t('…') key a template uses exists; texts come out right.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LANGUAGES, LANGUAGE_TAGS, formatDate, message, translate } from './catalog.ts';
import { en } from './en.ts';
import type { Text } from './language.ts';

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)/g)].map((m) => m[1]).sort();
const forms = (text: Text) => (typeof text === 'string' ? [text] : Object.values(text));

describe('message catalog', () => {
  it('speaks English and Norwegian Bokmål, English first', () => {
    assert.deepEqual(LANGUAGE_TAGS.slice(0, 2), ['en', 'nb']);
  });

  for (const language of LANGUAGES) {
    describe(`${language.tag} (${language.name})`, () => {
      const texts = language.texts as Record<string, Text>;

      it('has exactly the codes of English', () => {
        assert.deepEqual(Object.keys(texts).sort(), Object.keys(en).sort());
      });

      it('has no empty text', () => {
        const empty = Object.entries(texts).filter(([, t]) => forms(t).some((f) => f.trim() === '')).map(([c]) => c);
        assert.deepEqual(empty, []);
      });

      it('uses the same placeholders as English in every text', () => {
        const differ = Object.entries(en as Record<string, Text>)
          .filter(([code, source]) => {
            const wanted = [...new Set(forms(source).flatMap(placeholders))].sort();
            return forms(texts[code]!).some((f) => placeholders(f).some((p) => !wanted.includes(p))) ||
              !wanted.every((p) => forms(texts[code]!).some((f) => placeholders(f).includes(p)));
          })
          .map(([code]) => code);
        assert.deepEqual(differ, []);
      });

      it('has plural forms exactly where English has them', () => {
        const differ = Object.keys(en).filter((code) => (typeof (en as Record<string, Text>)[code] === 'string') !== (typeof texts[code] === 'string'));
        assert.deepEqual(differ, []);
      });
    });
  }

  it('has a text for every t() key the templates use', () => {
    const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../views/templates');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.njk'));
    const missing: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(path.join(root, file), 'utf8').matchAll(/\bt\(\s*'([^']+)'/g)) {
        // t('mfa.kind.' + kind) names a family of codes: some code must start with the prefix.
        const key = m[1]!;
        const known = key.endsWith('.') ? Object.keys(en).some((c) => c.startsWith(key)) : Object.hasOwn(en, key);
        if (!known) missing.push(`${file}: ${key}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('fills in variables, plural forms and nested messages in the chosen language', () => {
    assert.equal(message('code.invalid', { count: 1 }), 'The code is incorrect. 1 try left.');
    assert.equal(message('code.invalid', { count: 3 }), 'The code is incorrect. 3 tries left.');
    assert.equal(message('group.not_empty', { count: 2 }, 'nb'), 'Forretningsgruppen har fortsatt 2 medlemmer; fjern eller flytt dem først.');
    assert.equal(message('access.denied', { reason: { code: 'access.reason.needs_permission', vars: { permission: 'audit:read' } } }, 'nb'), 'Dette krever tillatelsen audit:read.');
    assert.equal(message('mfa.change.added', { name: 'Phone', kind: { code: 'mfa.kind.totp' } }, 'nb'), 'En bekreftelsesmetode ble lagt til: Phone (Autentiseringsapp).');
  });

  it('does not escape variables (pages escape on output; plain-text emails must not show entities)', () => {
    assert.equal(message('email.code_sent', { email: '<a@b.c>&' }), 'We sent a 6-digit code to <a@b.c>&.');
  });

  it('falls back to English for an unknown language', () => {
    assert.equal(translate('xx', 'session.invalid_credentials'), message('session.invalid_credentials'));
  });

  it('formats dates in the language’s locale (nb-NO: day first, 24-hour clock)', () => {
    const at = new Date(Date.UTC(2026, 11, 1, 15, 4));
    const nb = formatDate(at, 'nb', 'date');
    assert.match(nb, /^1\. des\.? 2026$/);
    assert.notEqual(formatDate(at, 'en', 'date'), nb);
  });
});
