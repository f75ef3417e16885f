// Once per challenge: a method's preparation (send a code, create a push request, WebAuthn options,
// a TOTP seed) runs only when nothing it prepared is live in its scratch state; every other render
// (a wrong code, a language switch, a reload) shows the stored one. Used by the sign-in steps and the
// profile's "Add a method", so no caller (and no method) has to guard against repeats itself.
import type { MfaContext, MfaStrategy } from './method.ts';

export type Prepared = { view: Record<string, unknown>; /** A new challenge was started: the flow changed, save it. */ prepared: boolean };

/** The stored view if one is live; otherwise prepare once and read the view back. */
export async function preparedView(live: () => Promise<Record<string, unknown> | undefined>, prepare: () => Promise<void>): Promise<Prepared> {
  const existing = await live();
  if (existing) return { view: existing, prepared: false };
  await prepare();
  return { view: (await live()) ?? {}, prepared: true };
}

/**
 * The challenge of `strategy` for this flow. `flow.challenge` names the kind whose challenge was
 * started ("Try another method" clears it); it is set before preparing, so a preparation that fails
 * with a coded error after storing its state (mail down) re-renders with the message, not a second try.
 */
export async function challengeOnce(strategy: MfaStrategy, c: MfaContext): Promise<Prepared> {
  // Nothing to prepare (an app code): no challenge to start or remember, so nothing for the caller to save.
  if (!strategy.prepareChallenge) return { view: (await strategy.challengeView(c)) ?? {}, prepared: false };
  return preparedView(
    async () => (c.flow.challenge === strategy.kind ? strategy.challengeView(c) : undefined),
    async () => {
      c.flow.challenge = strategy.kind;
      await strategy.prepareChallenge?.(c);
    },
  );
}

/** A registration of `strategy`: its seed, code or options are prepared once per set-up. */
export function enrolmentOnce(enrolment: NonNullable<MfaStrategy['enrolment']>, c: MfaContext): Promise<Prepared> {
  return preparedView(() => enrolment.view(c), () => enrolment.prepare(c));
}
