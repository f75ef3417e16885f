// The login flow: one per interaction, stored in interaction.result.flow so it expires with it,
// and parsed again with zod on every load (stored JSON is never trusted as-is).
import { z } from 'zod';
import type { Message } from '../../accounts/messages/language.ts';

export const FLOW_STEPS = [
  'credentials', // first factor (password, or an upstream IdP: the upstream method)
  'mfa_challenge', // prove a registered method
  'mfa_enrol', // no method yet: register one before getting in
  'recovery_codes', // shown once after the first method is registered
  'verify_email', // post-login prompt for unverified local accounts
  'link_account', // federation: "Link your Account" (choose a profile with the same verified email)
  'link_password', // federation: prove the chosen local profile (password, then its MFA)
  'complete',
] as const;
export type FlowStep = (typeof FLOW_STEPS)[number];

// A message is its catalog code and variables; its text is looked up in the reader's language when the
// page is rendered, so a stored flow never holds text.
const plainValue = z.union([z.string(), z.number()]);
const messageSchema = z.object({
  code: z.string(),
  vars: z.record(z.string(), z.union([plainValue, z.object({ code: z.string(), vars: z.record(z.string(), plainValue).optional() })])).optional(),
  level: z.enum(['error', 'info']).optional(),
  field: z.string().optional(),
});

export const flowSchema = z.object({
  id: z.string(),
  step: z.enum(FLOW_STEPS),
  /** Set once the first factor identified the account. */
  accountId: z.string().optional(),
  /** Factors verified so far, as RFC 8176 amr values. */
  amr: z.array(z.string()),
  /** When the password and MFA were proven in this flow (epoch seconds), for re-authentication windows. */
  passwordAt: z.number().optional(),
  mfaAt: z.number().optional(),
  /** The upstream identity (federation) this login signed in with; remembered by the session ("Logged In Via"). */
  identityId: z.string().optional(),
  /** The person was already signed in and is proving themselves again (prompt=login). */
  reauth: z.boolean().default(false),
  /** The MFA method kind being challenged, or being enrolled. */
  mfaKind: z.string().optional(),
  enrolKind: z.string().optional(),
  /** The kind whose challenge was started (the engine runs a method's prepareChallenge once per challenge). */
  challenge: z.string().optional(),
  /** Failed submissions in this flow. */
  failures: z.number().int().nonnegative(),
  messages: z.array(messageSchema),
  /** Echo of non-secret input to keep in the form on re-render (never passwords or codes). */
  form: z.record(z.string(), z.string()),
  /** The engine's own marks: the post-login email prompt was considered; an RP's domain hint was followed. */
  emailPrompted: z.boolean().default(false),
  hintUsed: z.boolean().default(false),
  /** "Verify your email": a code was sent in this flow. */
  emailCodeSent: z.boolean().default(false),
  /** Recovery codes issued with the first method, until the page has shown them once. */
  recoveryCodes: z.array(z.string()).optional(),
  /** Per-method scratch space, keyed by method (challenges, pending secrets): each method parses its
   * own entry with its `privateSchema` and deletes it after use. */
  private: z.record(z.string(), z.unknown()),
});

/** Messages were typed (catalog codes) when they were made; the schema only checks their shape. */
export type Flow = Omit<z.infer<typeof flowSchema>, 'messages'> & { messages: Message[] };
export type FlowMessage = Message;

export function newFlow(id: string): Flow {
  return { id, step: 'credentials', amr: [], reauth: false, failures: 0, messages: [], form: {}, emailPrompted: false, hintUsed: false, emailCodeSent: false, private: {} };
}

/** Reads the flow of an interaction; a missing or corrupt one starts fresh rather than failing. */
export function loadFlow(uid: string, result: unknown): Flow {
  const parsed = flowSchema.safeParse((result as { flow?: unknown } | undefined)?.flow);
  return parsed.success && parsed.data.id === uid ? (parsed.data as Flow) : newFlow(uid);
}
