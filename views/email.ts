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

export const emailMessages: EmailMessages = {
  verifyEmail: (m) => composeEmail('verify-email', `Your Gatehouse verification code: ${m.code}`, m),
  confirmNewEmail: (m) => composeEmail('confirm-new-email', `Confirm your new Gatehouse email address: ${m.code}`, m),
  emailChanged: (m) => composeEmail('email-changed', 'Your Gatehouse email address was changed', m),
  passwordResetLink: (m) => composeEmail('password-reset-link', 'Reset your Gatehouse password', m),
  usernameList: (m) => composeEmail('username-list', 'Your Gatehouse usernames', m),
  passwordChanged: (m) => composeEmail('password-changed', 'Your Gatehouse password was changed', m),
  mfaChanged: (m) => composeEmail('mfa-changed', 'Your Gatehouse verification methods changed', m),
  accountLocked: (m) => composeEmail('account-locked', 'Your Gatehouse account was locked after failed sign-ins', m),
  sessionsEnded: (m) => composeEmail('sessions-ended', m.devices.length === 1 ? 'A Gatehouse session was signed out' : 'Gatehouse sessions were signed out', m),
  newSignIn: (m) => composeEmail('new-sign-in', 'New sign-in to your account', m),
};
