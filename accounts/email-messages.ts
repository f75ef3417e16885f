// The emails self-service features send, as a contract: views/email.ts renders each one (text and
// HTML, user data escaped) so the domain never builds markup. Links are absolute, built from ISSUER.
import type { Message } from './messages/language.ts';

export type ComposedEmail = { subject: string; text: string; html: string };

/**
 * The language the email is written in: the one remembered on the recipient's account (an email may
 * be caused by someone else: an administrator, a stranger's guesses). Absent, null or unknown → the
 * language of the request that sends it, then English.
 */
export type Recipient = { language?: string | null };

export type EmailMessages = {
  verifyEmail(m: Recipient & { username: string; code: string; minutes: number }): ComposedEmail;
  confirmNewEmail(m: Recipient & { username: string; code: string; minutes: number }): ComposedEmail;
  emailChanged(m: Recipient & { username: string; newEmail: string; accountUrl: string }): ComposedEmail;
  passwordResetLink(m: Recipient & { username: string; link: string; minutes: number; byAdministrator: boolean }): ComposedEmail;
  usernameList(m: Recipient & { usernames: string[]; forgotUrl: string; signInUrl: string }): ComposedEmail;
  passwordChanged(m: Recipient & { username: string; forgotUrl: string; reset: boolean }): ComposedEmail;
  /** `change` is a catalog message (code and variables), written in the email's language. */
  mfaChanged(m: Recipient & { username: string; change: Message; accountUrl: string }): ComposedEmail;
  accountLocked(m: Recipient & { username: string; minutes: number; failures: number; forgotUrl: string }): ComposedEmail;
  /** Sessions were signed out from another device (the person's own, or an administrator); each device a message (device-description.ts). */
  sessionsEnded(m: Recipient & { username: string; devices: Message[]; byAdministrator: boolean; sessionsUrl: string }): ComposedEmail;
  /** A sign-in from a device (browser + system) never seen for the account. */
  newSignIn(m: Recipient & { username: string; device: Message; ip: string | null; place: Message | null; when: Date; how: Message; sessionsUrl: string }): ComposedEmail;
  /** An invitation to an organization (or one of its business groups); `language` is the inviter's. */
  invitation(m: Recipient & { organization: string | null; group: string | null; role: 'member' | 'admin'; link: string; until: Date; email: string }): ComposedEmail;
  /** A sign-in code of the email-code MFA method (`setup`: the code that sets the method up). */
  emailOtpCode(m: Recipient & { username: string; code: string; minutes: number; setup: boolean }): ComposedEmail;
};
