// The login flow: one per interaction, stored in interaction.result.flow so it expires with it,
// and parsed again with zod on every load (stored JSON is never trusted as-is).
import { z } from 'zod';

export const FLOW_STEPS = ['credentials', 'complete'] as const;
export type FlowStep = (typeof FLOW_STEPS)[number];

const messageSchema = z.object({
  code: z.string(),
  text: z.string(),
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
  /** Failed submissions in this flow. */
  failures: z.number().int().nonnegative(),
  messages: z.array(messageSchema),
  /** Echo of non-secret input to keep in the form on re-render (never passwords). */
  form: z.record(z.string(), z.string()),
  /** Per-method scratch space (challenges, upstream state); a method deletes its entry after use. */
  private: z.record(z.string(), z.unknown()),
});

export type Flow = z.infer<typeof flowSchema>;
export type FlowMessage = z.infer<typeof messageSchema>;

export function newFlow(id: string): Flow {
  return { id, step: 'credentials', amr: [], failures: 0, messages: [], form: {}, private: {} };
}

/** Reads the flow of an interaction; a missing or corrupt one starts fresh rather than failing. */
export function loadFlow(uid: string, result: unknown): Flow {
  const parsed = flowSchema.safeParse((result as { flow?: unknown } | undefined)?.flow);
  return parsed.success && parsed.data.id === uid ? parsed.data : newFlow(uid);
}
