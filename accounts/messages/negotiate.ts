// Which language a page or email is in. The order (issue 12): the application's `ui_locales`
// (OIDC Core §3.1.2.1, kept in the interaction), then the language the person picked (cookie, or
// the one remembered on their account), then the browser's Accept-Language (RFC 9110 §12.5.4),
// then English.
import { DEFAULT_LANGUAGE, LANGUAGE_TAGS } from './catalog.ts';

/** Tags that name a language we speak under another tag ("no" is Norwegian, written as Bokmål). */
const ALIASES: Record<string, string> = { no: 'nb' };

/** The supported tag for one requested tag: exact, then its primary subtag ("nb-NO" → "nb"). */
export function supportedTag(requested: string, supported: readonly string[] = LANGUAGE_TAGS): string | undefined {
  const tag = requested.trim();
  if (!tag || tag === '*') return undefined;
  const exact = supported.find((s) => s.toLowerCase() === tag.toLowerCase());
  if (exact) return exact;
  const primary = tag.split('-')[0]!.toLowerCase();
  const candidate = ALIASES[primary] ?? primary;
  return supported.find((s) => s.toLowerCase() === candidate);
}

/** `ui_locales` is a space-separated list in order of preference. */
export function fromUiLocales(uiLocales: string | undefined, supported?: readonly string[]): string | undefined {
  for (const tag of (uiLocales ?? '').split(/\s+/)) {
    const found = supportedTag(tag, supported);
    if (found) return found;
  }
  return undefined;
}

/** Accept-Language: the supported language with the highest q (ties keep the header's order). */
export function fromAcceptLanguage(header: string | undefined, supported?: readonly string[]): string | undefined {
  const ranges = (header ?? '')
    .split(',')
    .slice(0, 30)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag, q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.tag && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranges) {
    const found = supportedTag(r.tag, supported);
    if (found) return found;
  }
  return undefined;
}

export type LanguageInputs = {
  uiLocales?: string;
  /** The sign-in (interaction) that carries ui_locales. */
  interaction?: string;
  /** The language control's cookie, and the sign-in it was picked on, if any. */
  picked?: string;
  pickedOn?: string;
  /** The language remembered on the signed-in account. */
  account?: string | null;
  acceptLanguage?: string;
};

export function chooseLanguage(input: LanguageInputs, supported?: readonly string[]): string {
  // A pick made on a page of this very sign-in is the person answering the app's guess: it wins.
  const pickedDuringSignIn = input.picked && input.pickedOn !== undefined && input.pickedOn === input.interaction;
  return (
    (pickedDuringSignIn ? supportedTag(input.picked!, supported) : undefined) ??
    fromUiLocales(input.uiLocales, supported) ??
    (input.picked ? supportedTag(input.picked, supported) : undefined) ??
    (input.account ? supportedTag(input.account, supported) : undefined) ??
    fromAcceptLanguage(input.acceptLanguage, supported) ??
    DEFAULT_LANGUAGE
  );
}
