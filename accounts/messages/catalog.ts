// The message catalog at run time: every language file in this folder, and the one way to turn a code
// into text. Texts go through i18next (interpolation, plural forms, fallback to English); dates and
// numbers in variables are formatted with Intl in the language's locale.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next from 'i18next';
import { language as english } from './en.ts';
import type { Language, MessageCode, MessageValue, MessageVars, PlainCode, Text, Texts } from './language.ts';

export const DEFAULT_LANGUAGE = 'en';

// Auto-discovery: a language is one file named after its tag (nb.ts, de.ts, pt-BR.ts) exporting
// `language`. Its type (`satisfies Language`) makes tsc demand exactly English's codes. Compiled
// (build/accounts/messages/), the files are nb.js etc.
const here = path.dirname(fileURLToPath(import.meta.url));
const LANGUAGE_FILE = /^([a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-[A-Z]{2})?)\.[jt]s$/;
const discovered: Language[] = [english];
for (const file of readdirSync(here).sort()) {
  const tag = LANGUAGE_FILE.exec(file)?.[1];
  if (!tag || tag === DEFAULT_LANGUAGE) continue;
  const loaded = ((await import(`./${file}`)) as { language?: Language }).language;
  if (loaded?.tag !== tag) throw new Error(`accounts/messages/${file} must export \`language\` with tag "${tag}"`);
  discovered.push(loaded);
}

/** Every language Gatehouse speaks, English first. */
export const LANGUAGES: readonly Language[] = discovered;
export const LANGUAGE_TAGS: readonly string[] = LANGUAGES.map((l) => l.tag);
const byTag = new Map(LANGUAGES.map((l) => [l.tag, l]));

export function languageOf(tag: string): Language {
  return byTag.get(tag) ?? english;
}

function flatten(texts: Texts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [code, text] of Object.entries(texts) as [string, Text][]) {
    if (typeof text === 'string') out[code] = text;
    else for (const [form, value] of Object.entries(text)) out[`${code}_${form}`] = value as string;
  }
  return out;
}

const i18n = i18next.createInstance();
void i18n.init({
  resources: Object.fromEntries(LANGUAGES.map((l) => [l.tag, { translation: flatten(l.texts) }])),
  lng: DEFAULT_LANGUAGE,
  fallbackLng: DEFAULT_LANGUAGE,
  supportedLngs: [...LANGUAGE_TAGS],
  initAsync: false,
  keySeparator: false,
  nsSeparator: false,
  // Pages escape on output (nunjucks autoescape); plain-text emails must not show "&amp;".
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
} as Parameters<typeof i18n.init>[0]);

/** `timeZone` (e.g. 'UTC' in emails, whose reader's zone is unknown) is then named in the text. */
export function formatDate(value: Date | number | string, tag: string, style: 'date' | 'datetime' = 'datetime', timeZone?: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  // Intl refuses timeZoneName beside dateStyle/timeStyle: the same medium date and short time, spelt out.
  const zoned: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', ...(style === 'datetime' ? { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } : {}), timeZone };
  const options: Intl.DateTimeFormatOptions = timeZone ? zoned : style === 'date' ? { dateStyle: 'medium' } : { dateStyle: 'medium', timeStyle: 'short' };
  return new Intl.DateTimeFormat(languageOf(tag).intl, options).format(date);
}

export function formatNumber(value: number, tag: string): string {
  return new Intl.NumberFormat(languageOf(tag).intl).format(value);
}

function prepared(vars: Record<string, MessageValue> | undefined, tag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars ?? {})) {
    out[k] = v instanceof Date ? formatDate(v, tag) : typeof v === 'object' && v !== null ? translate(tag, v.code, v.vars) : v;
  }
  return out;
}

/** Any key, untyped: for templates and stored messages (whose codes were typed when they were made). */
export function translate(tag: string, code: string, vars?: Record<string, MessageValue>): string {
  return i18n.t(code, { ...prepared(vars, tag), lng: languageOf(tag).tag }) as string;
}

/** The text of a code in a language (English when the language is unknown). */
export function message<C extends PlainCode>(code: C, vars?: undefined, tag?: string): string;
export function message<C extends MessageCode>(code: C, vars: MessageVars<C>, tag?: string): string;
export function message(code: MessageCode, vars?: Record<string, MessageValue>, tag: string = DEFAULT_LANGUAGE): string {
  return translate(tag, code, vars);
}

/** Whether a string is a code of the catalog (for codes that arrive as data, e.g. `?notice=`). */
export function isMessageCode(code: string): code is MessageCode {
  return Object.hasOwn(english.texts, code);
}
