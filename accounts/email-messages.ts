// The emails self-service features send, as a contract: views/email.ts renders each one (text and
// HTML, user data escaped) so the domain never builds markup. Links are absolute, built from ISSUER.
import type { Message } from './messages/language.ts';

export type ComposedEmail = { subject: string; text: string; html: string };

export type EmailMessages = {
  verifyEmail(m: { username: string; code: string; minutes: number }): ComposedEmail;
  confirmNewEmail(m: { username: string; code: string; minutes: number }): ComposedEmail;
  emailChanged(m: { username: string; newEmail: string; accountUrl: string }): ComposedEmail;
  passwordResetLink(m: { username: string; link: string; minutes: number; byAdministrator: boolean }): ComposedEmail;
  usernameList(m: { usernames: string[]; forgotUrl: string; signInUrl: string }): ComposedEmail;
  passwordChanged(m: { username: string; forgotUrl: string; reset: boolean }): ComposedEmail;
  /** `change` is a catalog message (code and variables), written in the email's language. */
  mfaChanged(m: { username: string; change: Message; accountUrl: string }): ComposedEmail;
  accountLocked(m: { username: string; minutes: number; failures: number; forgotUrl: string }): ComposedEmail;
  /** Sessions were signed out from another device (the person's own, or an administrator). */
  sessionsEnded(m: { username: string; devices: string[]; byAdministrator: boolean; sessionsUrl: string }): ComposedEmail;
  /** A sign-in from a device (browser + system) never seen for the account. */
  newSignIn(m: { username: string; device: string; ip: string | null; place: string | null; when: string; how: string; sessionsUrl: string }): ComposedEmail;
};
