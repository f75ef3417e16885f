// The language a page or email is rendered in. The server decides it per request (server/language.ts)
// and runs the request inside it; render() and the emails read it from here. Views import nothing:
// the translations themselves are handed in once at start (useTranslations), from accounts/messages.
import { AsyncLocalStorage } from 'node:async_hooks';
import nunjucks from 'nunjucks';

export type Translations = {
  /** Tags and own names of every language, for the language control. */
  languages: readonly { tag: string; name: string }[];
  translate(tag: string, key: string, vars?: Record<string, unknown>): string;
  formatDate(value: Date | number | string, tag: string, style?: 'date' | 'datetime', timeZone?: string): string;
  formatNumber(value: number, tag: string): string;
};

/** What a request knows about its reader's language; `refine` lets an interaction's ui_locales take over. */
export type RequestLanguage = {
  tag: string;
  refine?: (uiLocales: string | undefined, interaction?: string) => string;
  /** Where the language control returns to (a same-site path). */
  returnTo?: string;
};

let translations: Translations = {
  languages: [{ tag: 'en', name: 'English' }],
  translate: (_tag, key) => key,
  formatDate: (value) => new Date(value).toISOString(),
  formatNumber: (value) => String(value),
};
const storage = new AsyncLocalStorage<RequestLanguage>();

export function useTranslations(t: Translations): void {
  translations = t;
}

export function availableLanguages(): readonly { tag: string; name: string }[] {
  return translations.languages;
}

/** Runs `fn` (a request, a background job) in a language. */
export function inLanguage<T>(language: RequestLanguage, fn: () => T): T {
  return storage.run(language, fn);
}

/** The current request's language tag ('en' outside any request). */
export function currentLanguage(): string {
  return storage.getStore()?.tag ?? 'en';
}

/** An interaction's `ui_locales` (OIDC Core §3.1.2.1) outranks the person's pick and the browser. */
export function applyUiLocales(uiLocales: unknown, interaction?: string): void {
  const store = storage.getStore();
  if (store?.refine && typeof uiLocales === 'string' && uiLocales.trim()) store.tag = store.refine(uiLocales, interaction);
}

const MARK = '\u0000';
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A text with markup inside (a name in <strong>, a link in the middle of a sentence): a variable that
 * is already markup (a macro's output, partials/markup.njk) goes in as it is, while the text and every
 * other variable are escaped, so a translation can move the markup but never inject any.
 */
function withMarkup(translate: (key: string, vars?: Record<string, unknown>) => string) {
  return (key: string, vars?: Record<string, unknown>): string => {
    const markup: string[] = [];
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(vars ?? {})) {
      if (v instanceof nunjucks.runtime.SafeString) {
        plain[k] = `${MARK}${markup.length}${MARK}`;
        markup.push(String(v));
      } else plain[k] = v;
    }
    if (markup.length === 0) return translate(key, vars);
    const html = escapeHtml(translate(key, plain)).replace(/\u0000(\d+)\u0000/g, (_, i: string) => markup[Number(i)]!);
    return new nunjucks.runtime.SafeString(html) as unknown as string; // safe: nunjucks outputs it unescaped
  };
}

/** t(), formatDate() and formatNumber() as globals, so macros in imported files (which get no context) have them too. */
export function addLanguageGlobals(env: { addGlobal(name: string, value: unknown): unknown }): void {
  env.addGlobal('t', withMarkup((key, vars) => translations.translate(currentLanguage(), key, vars)));
  env.addGlobal('formatDate', (value: Date | number | string, style?: 'date' | 'datetime') => translations.formatDate(value, currentLanguage(), style));
  env.addGlobal('formatNumber', (value: number) => translations.formatNumber(value, currentLanguage()));
}

/** The helpers templates get: t(), the language tag and Intl formatting in that language. */
export function translatorFor(tag: string = currentLanguage()) {
  return {
    lang: tag,
    t: withMarkup((key, vars) => translations.translate(tag, key, vars)),
    formatDate: (value: Date | number | string, style?: 'date' | 'datetime', timeZone?: string) => translations.formatDate(value, tag, style, timeZone),
    formatNumber: (value: number) => translations.formatNumber(value, tag),
    languages: translations.languages,
    languageReturnTo: storage.getStore()?.returnTo ?? '/',
  };
}
