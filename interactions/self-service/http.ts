// Small helpers the self-service routes share: form input, request info, rendering a page with
// field messages, and the same-origin check for forms that have no session to bind a token to.
import type { Context } from 'koa';
import { attempt, DomainError, ValidationError, type RuleViolation, violationMessage } from '../../accounts/errors.ts';
import { ThrottledError } from '../../accounts/throttle.ts';
import { render } from '../../views/render.ts';
import type { Message } from '../../accounts/messages/language.ts';

export type RequestInfo = { ip?: string; userAgent?: string };

export const requestInfo = (ctx: Context): RequestInfo => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });

/** Only string fields of a parsed form, each capped (nothing here needs more than a few hundred characters). */
export function formInput(body: unknown, maxLength = 4096): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v.slice(0, maxLength);
  }
  return out;
}

/** Messages per form field (shown next to the field) from broken rules. */
export function fieldMessages(violations: RuleViolation[]): Record<string, Message[]> {
  const out: Record<string, Message[]> = {};
  for (const v of violations) (out[v.field] ??= []).push(violationMessage(v));
  return out;
}

/** Splits a domain error into field messages and page messages. */
export function errorMessages(err: DomainError): { errors: Record<string, Message[]>; messages: Message[] } {
  if (err instanceof ValidationError) return { errors: fieldMessages(err.violations), messages: [] };
  if (err.field) return { errors: { [err.field]: [err.toMessage()] }, messages: [] };
  return { errors: {}, messages: [err.toMessage()] };
}

export function page(ctx: Context, template: string, model: Record<string, unknown>, status = 200) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = render(template, { errors: {}, messages: [], form: {}, ...model });
}

/**
 * Forms without a session (sign-up, forgot, reset) refuse cross-site posts: browsers send Origin on
 * every POST (Fetch standard); a foreign or opaque one is refused. Session forms also carry a CSRF token.
 */
export function sameOrigin(ctx: Context, issuer: string): boolean {
  const origin = ctx.get('origin');
  if (origin === '') return true; // non-browser clients; nothing ambient to abuse
  return origin === new URL(issuer).origin;
}

export function assertSameOrigin(ctx: Context, issuer: string) {
  if (!sameOrigin(ctx, issuer)) {
    throw new DomainError('request.cross_site', { status: 403 });
  }
}

/**
 * Runs a throttle's count; a refusal sets Retry-After and comes back as the page's message (the form
 * stays, with the wait), anything else is thrown.
 */
export async function throttleRefusal(ctx: Context, take: () => Promise<void>): Promise<Message[] | undefined> {
  const taken = await attempt(take);
  if (taken.ok) return undefined;
  if (!(taken.error instanceof ThrottledError)) throw taken.error;
  ctx.set('Retry-After', String(taken.error.retryAfterSeconds));
  return [taken.error.toMessage()];
}

/** Every message of a domain error as page messages (for pages that have no field to put it next to). */
export function pageMessages(err: DomainError): Message[] {
  const { errors, messages } = errorMessages(err);
  return [...messages, ...Object.values(errors).flat()];
}
