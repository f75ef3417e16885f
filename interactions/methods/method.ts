// The strategy contract every sign-in method implements (password now; MFA, upstream IdP,
// recovery codes later). A method that does not own a submission returns 'not-mine'.
import type { Flow, FlowMessage, FlowStep } from '../flow.ts';

export type RequestInfo = { ip?: string; userAgent?: string };

export type MethodOutcome =
  | { kind: 'not-mine' }
  /** The factor was verified: the flow gains `amr` and, for a first factor, its account. */
  | { kind: 'verified'; accountId: string; amr: string[] }
  /** The factor failed: re-render the same step with this message. */
  | { kind: 'failed'; message: FlowMessage };

export type SignInMethod = {
  id: string;
  /** The flow step whose form this method serves. */
  step: FlowStep;
  submit(flow: Flow, input: Record<string, string>, request: RequestInfo): Promise<MethodOutcome>;
};
