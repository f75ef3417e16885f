// What a language file provides. English (en.ts) is the source of every code; every other language
// file is typed against it, so a missing, extra or misspelt key is a type error, not a blank page.
import type { en } from './en.ts';

/** A text, or its plural forms (chosen with Intl.PluralRules from the `count` variable). */
export type Text = string | { readonly one: string; readonly other: string; readonly zero?: string; readonly two?: string; readonly few?: string; readonly many?: string };

/** Every code of the catalog: user-facing messages, page texts, email texts and audit actions. */
export type MessageCode = keyof typeof en;

export type Texts = { readonly [C in MessageCode]: Text };

export type Language = {
  /** BCP 47 tag used in `ui_locales`, `<html lang>`, cookies and the discovery document. */
  readonly tag: string;
  /** The language's own name for itself, as shown in the language control. */
  readonly name: string;
  /** The Intl locale for dates and numbers (e.g. nb-NO). */
  readonly intl: string;
  readonly texts: Texts;
};

/** Names between {{ and }} in a text (a formatted one like {{at, datetime}} yields "at"). */
type Placeholders<S> = S extends `${string}{{${infer V}}}${infer Rest}`
  ? (V extends `${infer N},${string}` ? N : V) | Placeholders<Rest>
  : never;
type PlaceholdersOf<T> = T extends { readonly other: infer O } ? Placeholders<O> | 'count' : Placeholders<T>;

/** A variable: text, a number, a date (formatted for the reader), or another catalog message (translated too). */
export type MessageValue = string | number | Date | { readonly code: MessageCode; readonly vars?: Record<string, string | number | Date> };
/** The variables a code's English text needs, exactly. */
export type MessageVars<C extends MessageCode> = { [K in PlaceholdersOf<(typeof en)[C]>]: MessageValue };

/** Codes whose text needs no variables. */
export type PlainCode = { [C in MessageCode]: [PlaceholdersOf<(typeof en)[C]>] extends [never] ? C : never }[MessageCode];

/** `vars` is required exactly when the text has placeholders. */
export type VarsArgument<C extends MessageCode> = [PlaceholdersOf<(typeof en)[C]>] extends [never] ? { vars?: undefined } : { vars: MessageVars<C> };

/** A message as carried to a page or stored in a flow: the code and its variables, never the text. */
export type Message = { code: MessageCode; vars?: Record<string, MessageValue>; level?: 'error' | 'info'; field?: string };

/** Audit actions are catalog entries under `audit.`: the action is the part after it. */
export type AuditAction = MessageCode extends infer K ? (K extends `audit.${infer A}` ? A : never) : never;
