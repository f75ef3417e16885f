// Renders the self-service emails (accounts/email-messages.ts): each has a text and an HTML
// template under templates/email/. HTML is auto-escaped; the text part is plain text, so it is not
// HTML-escaped (escaping would show "&amp;" to the reader) — header safety is the mailer's job.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { translatorFor } from './language.ts';
import type { ComposedEmail, EmailMessages } from '../accounts/email-messages.ts';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates', 'email');
const loader = () => new nunjucks.FileSystemLoader(dir, { noCache: false });
const htmlEnv = new nunjucks.Environment(loader(), { autoescape: true, throwOnUndefined: false });
const textEnv = new nunjucks.Environment(loader(), { autoescape: false, throwOnUndefined: false });

/** Renders templates/email/<name>.{txt,html}.njk: also for features with their own emails (an MFA method's code). */
export function composeEmail(name: string, subject: string, model: Record<string, unknown>): ComposedEmail {
  const full = { ...translatorFor(), ...model, subject };
  return { subject, text: textEnv.render(`${name}.txt.njk`, full), html: htmlEnv.render(`${name}.html.njk`, full) };
}

/** A subject in the language of the request that sends the email. */
const subject = (key: string, vars?: Record<string, unknown>) => translatorFor().t(key, vars);

export const emailMessages: EmailMessages = {
  verifyEmail: (m) => composeEmail('verify-email', subject('email.verify.subject', { code: m.code }), m),
  confirmNewEmail: (m) => composeEmail('confirm-new-email', subject('email.confirm_new.subject', { code: m.code }), m),
  emailChanged: (m) => composeEmail('email-changed', subject('email.changed.subject'), m),
  passwordResetLink: (m) => composeEmail('password-reset-link', subject('email.reset.subject'), m),
  usernameList: (m) => composeEmail('username-list', subject('email.usernames.subject'), m),
  passwordChanged: (m) => composeEmail('password-changed', subject('email.password_changed.subject'), m),
  mfaChanged: (m) => composeEmail('mfa-changed', subject('email.mfa_changed.subject'), m),
  accountLocked: (m) => composeEmail('account-locked', 'Your Gatehouse account was locked after failed sign-ins', m),
  sessionsEnded: (m) => composeEmail('sessions-ended', m.devices.length === 1 ? 'A Gatehouse session was signed out' : 'Gatehouse sessions were signed out', m),
  newSignIn: (m) => composeEmail('new-sign-in', 'New sign-in to your account', m),
};
