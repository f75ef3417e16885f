// Strategy contracts for sign-in methods. First factors (password now, upstream IdP later)
// implement SignInMethod; second factors implement MfaStrategy. Both live in one ordered registry.
import type { AccountWithOrganization } from '../../accounts/account.ts';
import type { z } from 'zod';
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
  /** How many recovery codes are left, when read with the methods (else the recovery method counts them). */
  recoveryCodes?: number;
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

/** What a method's own action answers: JSON for a script (a poll), or a message on the step's page. */
export type ActionResult = { kind: 'json'; body: unknown } | { kind: 'message'; message: FlowMessage };

/**
 * A method's own action (resend a code, poll a push approval), mounted at the one route pattern
 * METHOD_ACTION_ROUTE (interactions/login/steps/method-actions.ts); no method has routes elsewhere.
 */
export type MethodAction = {
  /** The steps whose page offers it. */
  steps: ('mfa_challenge' | 'mfa_enrol')[];
  /** A read (GET, answered as JSON to a page's script): it may not change the flow, which is not saved. Default: a POST. */
  read?: boolean;
  run(ctx: MfaContext, input: Record<string, string>): Promise<ActionResult>;
};

/** The one route pattern of every method's actions, under /interaction. */
export const METHOD_ACTION_ROUTE = '/:uid/mfa/:kind/:action';
/** Where a page (or its script) sends a method's action. */
export const methodActionPath = (uid: string, kind: string, action: string) => `/interaction/${uid}/mfa/${kind}/${action}`;

export type MfaStrategy = {
  /** Its kind: the credential type it stores (a kind the registry knows, accounts/mfa.ts). */
  kind: MfaKind;
  /** Shown in "Try another method", the enrolment chooser and the profile's method list. */
  label: string;
  /** RFC 8176 amr values a verified challenge or enrolment adds beside `mfa`. */
  amr: readonly string[];
  /** How "Logged In Via" and Sessions say it: "authenticator app", "email code". */
  describe(): string;
  /** Delivers its secret to the account's email address, the inbox a password reset goes to (accounts/mfa-policy.ts). */
  inbox?: boolean;
  /** The zod schema of its scratch space in flow.private (read back through methods/scratch.ts, never cast). */
  privateSchema?: z.ZodType;
  /** Whether this account can be challenged with this method now. */
  available(ctx: MfaContext): Promise<boolean>;
  /**
   * Starts a challenge (sends a code, creates a push approval, a WebAuthn challenge) and keeps it in
   * flow.private. Run once per challenge (methods/prepared.ts): when the method is first shown, after
   * "Try another method", and when its view says no challenge is live any more; never per render.
   */
  prepareChallenge?(ctx: MfaContext): Promise<void>;
  /** The view model for views/templates/mfa/<kind>-challenge.njk, from the stored challenge; undefined → none is live. */
  challengeView(ctx: MfaContext): Promise<Record<string, unknown> | undefined>;
  verify(ctx: MfaContext, input: Record<string, string>): Promise<MfaOutcome>;
  /** Registration, for kinds a person can add (not recovery codes). */
  enrolment?: {
    /** Starts a registration (a seed, an emailed code, WebAuthn options) in flow.private: once per set-up (methods/prepared.ts). */
    prepare(ctx: MfaContext): Promise<void>;
    /** The view model for views/templates/mfa/<kind>-enrol.njk, from what prepare stored; undefined → nothing live (prepare again). */
    view(ctx: MfaContext): Promise<Record<string, unknown> | undefined>;
    complete(ctx: MfaContext, input: Record<string, string>): Promise<EnrolmentOutcome>;
  };
  /** Its own actions by name (the engine mounts them at one route pattern). */
  actions?: Record<string, MethodAction>;
};
