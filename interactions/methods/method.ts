// Strategy contracts for sign-in methods. First factors (password now, upstream IdP later)
// implement SignInMethod; second factors implement MfaStrategy. Both live in one ordered registry.
import type { AccountWithOrganization } from '../../accounts/account.ts';
import type { MfaKind, MfaMethod } from '../../accounts/mfa.ts';
import type { Flow, FlowMessage, FlowStep } from '../login/flow.ts';

export type RequestInfo = { ip?: string; userAgent?: string };

export type MethodOutcome =
  | { kind: 'not-mine' }
  /** The factor was verified: the flow gains `amr` and, for a first factor, its account. */
  | { kind: 'verified'; accountId: string; amr: string[] }
  /**
   * The factor failed: re-render the same step with this message. `guess`: a secret was checked and
   * was wrong (the throttle counts it); `accountId`: whose it was, when known (audited in its organization).
   */
  | { kind: 'failed'; message: FlowMessage; guess?: boolean; accountId?: string };
/** Or, for a first factor that happens elsewhere (an upstream IdP): send the browser there; the flow is saved first. */
export type FirstFactorOutcome = MethodOutcome | { kind: 'redirect'; url: string };

export type SignInMethod = {
  id: string;
  /** The flow step whose form this method serves. */
  step: FlowStep;
  /** The identifier whose guesses the throttle counts before submit runs (password: the username); none → not throttled. */
  throttleSubject?(input: Record<string, string>): string | undefined;
  submit(flow: Flow, input: Record<string, string>, request: RequestInfo): Promise<FirstFactorOutcome>;
};

export type MfaContext = {
  flow: Flow;
  account: AccountWithOrganization;
  /** The account's registered methods, oldest (default) first. */
  methods: MfaMethod[];
  request: RequestInfo;
  /** The application the person is signing in to (shown by push approval on the device). */
  clientName?: string;
};

export type MfaOutcome =
  | { kind: 'verified'; amr: string[] }
  | { kind: 'failed'; message: FlowMessage }
  /** Not decided yet (a push waiting for the device): re-render the waiting page, no failure counted. */
  | { kind: 'pending'; message?: FlowMessage };

export type EnrolmentOutcome = { kind: 'enrolled'; method: MfaMethod } | { kind: 'failed'; message: FlowMessage };

export type MfaStrategy = {
  kind: MfaKind | 'recovery_code';
  /** Shown in "Try another method" and the enrolment chooser. */
  label: string;
  /** RFC 8176 amr values a verified challenge or enrolment adds beside `mfa`. */
  amr: readonly string[];
  /** Whether this account can be challenged with this method now. */
  available(ctx: MfaContext): Promise<boolean>;
  /** The view model for views/templates/mfa/<kind>-challenge.njk; may store a challenge in flow.private. */
  prepareChallenge(ctx: MfaContext): Promise<Record<string, unknown>>;
  verify(ctx: MfaContext, input: Record<string, string>): Promise<MfaOutcome>;
  /** Registration, for kinds a person can add (not recovery codes). */
  enrolment?: {
    /** The view model for views/templates/mfa/<kind>-enrol.njk. */
    prepare(ctx: MfaContext): Promise<Record<string, unknown>>;
    complete(ctx: MfaContext, input: Record<string, string>): Promise<EnrolmentOutcome>;
  };
};
