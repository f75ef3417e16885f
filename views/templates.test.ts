// Every word a template shows comes from the catalog (t('code')), so a page is never half English in
// another language. This reads each template's text nodes and its human-facing attributes (aria-label,
// placeholder, title, alt, data-label) with the nunjucks tags, comments, scripts and markup taken
// out: what remains must hold no words. The product's own name is the one word allowed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TEMPLATES_DIR } from './render.ts';

const ALLOWED_WORDS = /\bGatehouse\b/g;

function templates(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? templates(path.join(dir, e.name)) : e.name.endsWith('.njk') ? [path.join(dir, e.name)] : []));
}

const withoutTemplating = (s: string) => s.replace(/\{\{[\s\S]*?\}\}/g, ' ').replace(/\{%[\s\S]*?%\}/g, ' ');
const hasWords = (s: string) => /[A-Za-z]{2,}/.test(s.replace(ALLOWED_WORDS, ''));

/** The untranslated texts of a template: words outside nunjucks tags, in text or in attributes people read. */
export function untranslatedTexts(source: string): string[] {
  const s = source.replace(/\{#[\s\S]*?#\}/g, '').replace(/<script[\s\S]*?<\/script>/g, '').replace(/<style[\s\S]*?<\/style>/g, '');
  const found: string[] = [];
  for (const m of s.matchAll(/\b(?:aria-label|placeholder|title|alt|data-label)="([^"]*)"/g)) if (hasWords(withoutTemplating(m[1]))) found.push(m[0]);
  const text = withoutTemplating(s).replace(/<[^>]*>/g, ' ').replace(/&[a-z]+;/g, ' ');
  for (const line of text.split('\n')) if (hasWords(line)) found.push(line.trim());
  return found;
}

describe('templates: every text comes from the catalog', () => {
  it('finds a bare word and an English aria-label, and accepts t() and markup', () => {
    assert.deepEqual(untranslatedTexts('<p>{{ t("page.x") }}</p><a href="/x" class="link">{{ t("a") }}</a>'), []);
    assert.equal(untranslatedTexts('<p>Hello {{ name }}</p>').length, 1);
    assert.equal(untranslatedTexts('<button aria-label="Remove {{ m.name }}">x</button>').length, 1);
    assert.deepEqual(untranslatedTexts('<title>{{ title }} · Gatehouse</title>'), []);
  });

  for (const file of templates(TEMPLATES_DIR)) {
    const name = path.relative(TEMPLATES_DIR, file);
    it(name, () => assert.deepEqual(untranslatedTexts(fs.readFileSync(file, 'utf8')), [], `${name} shows text that is not from the catalog`));
  }
});
