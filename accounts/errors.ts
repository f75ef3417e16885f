// Domain errors carry a catalog code (shown as data-testid="message/<code>"), the variables of its
// text, an HTTP status, and optionally the form field they belong to. The text is never written at
// the throw site: it comes from accounts/messages in the reader's language (English in `message`,
// for logs and the JSON API).
import { message as textOf } from './messages/catalog.ts';
import type { Message, MessageCode, MessageValue, MessageVars, PlainCode } from './messages/language.ts';

export type DomainErrorOptions = { status?: number; field?: string };

/** The options argument: optional for codes without placeholders, and then `vars` is required. */
export type DomainErrorArgs<C extends MessageCode> = C extends PlainCode
  ? [options?: DomainErrorOptions]
  : [options: DomainErrorOptions & { vars: MessageVars<C> }];

export class DomainError<C extends MessageCode = MessageCode> extends Error {
  readonly code: C;
  readonly vars?: Record<string, MessageValue>;
  readonly status: number;
  readonly field?: string;
  constructor(code: C, ...[options]: DomainErrorArgs<C>) {
    const o = (options ?? {}) as DomainErrorOptions & { vars?: Record<string, MessageValue> };
    super(textOf(code as MessageCode, o.vars as never));
    this.code = code;
    this.vars = o.vars;
    this.status = o.status ?? 400;
    this.field = o.field;
  }

  /** The error as a page message (its text is looked up in the page's language when rendered). */
  toMessage(level: 'error' | 'info' = 'error'): Message {
    return { code: this.code, ...(this.vars ? { vars: this.vars } : {}), level, ...(this.field ? { field: this.field } : {}) };
  }
}

export function assertThat(condition: unknown, error: DomainError | (() => DomainError)): asserts condition {
  if (!condition) throw typeof error === 'function' ? error() : error;
}

/** One broken rule of a rule set, tied to a form field; `message` is the English text. */
export type RuleViolation = { field: string; code: MessageCode; vars?: Record<string, MessageValue>; message: string };

/** Builds a violation; its text comes from the catalog. */
export function violation<C extends MessageCode>(field: string, code: C, ...[vars]: C extends PlainCode ? [vars?: undefined] : [vars: MessageVars<C>]): RuleViolation {
  return { field, code, ...(vars ? { vars: vars as Record<string, MessageValue> } : {}), message: textOf(code as MessageCode, vars as never) };
}

export class ValidationError extends DomainError {
  readonly violations: RuleViolation[];
  constructor(violations: RuleViolation[]) {
    super('validation.failed');
    // The API's `message` lists every broken rule, as before.
    this.message = violations.map((v) => v.message).join(' ') || this.message;
    (this as { code: MessageCode }).code = violations[0]?.code ?? 'validation.failed';
    this.violations = violations;
  }
}

/** A violation as a page message tied to its field. */
export function violationMessage(v: RuleViolation): Message {
  return { code: v.code, ...(v.vars ? { vars: v.vars } : {}), level: 'error', field: v.field };
}

/** What `attempt` gives back: the action's value, or the coded error it was refused with. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; error: DomainError };

/**
 * Runs an action whose coded refusals the caller shows on its own page (a form's message, an
 * explanation page): the one place outside the login flow (interactions/login/flow-error.ts) that
 * tells a DomainError from a bug. Anything that is not a DomainError is thrown on.
 */
export async function attempt<T>(action: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await action() };
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, error: err };
    throw err;
  }
}
