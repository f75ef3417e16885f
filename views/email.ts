// Renders the self-service emails (accounts/email-messages.ts): each has a text and an HTML
// template under templates/email/. HTML is auto-escaped; the text part is plain text, so it is not
// HTML-escaped (escaping would show "&amp;" to the reader) — header safety is the mailer's job.
// Every text is a catalog code, written in the recipient's language (see Recipient).
import path from 'node:path';
import nunjucks from 'nunjucks';
import { availableLanguages, currentLanguage, translatorFor } from './language.ts';
import { sourceDir } from './source-dir.ts';
import type { ComposedEmail, EmailMessages, Recipient } from '../accounts/email-messages.ts';

const dir = path.join(sourceDir(import.meta.url), 'templates', 'email');
const loader = () => new nunjucks.FileSystemLoader(dir, { noCache: false });
const htmlEnv = new nunjucks.Environment(loader(), { autoescape: true, throwOnUndefined: false });
const textEnv = new nunjucks.Environment(loader(), { autoescape: false, throwOnUndefined: false });

/** An email's reader may be anywhere: its times are in UTC, and say so. */
const EMAIL_TIME_ZONE = 'UTC';

/** The recipient's remembered language when it is one we speak, else the request's (English outside one). */
export function emailLanguage(recipient: string | null | undefined): string {
  return recipient && availableLanguages().some((l) => l.tag === recipient) ? recipient : currentLanguage();
}

type Subject = { code: string; vars?: Record<string, unknown> };

/** Renders templates/email/<name>.{txt,html}.njk with its subject's catalog code, in the recipient's language. */
export function composeEmail(name: string, subjectOf: Subject, { language, ...model }: Recipient & Record<string, unknown>): ComposedEmail {
  const translator = translatorFor(emailLanguage(language));
  const formatDate = (value: Date | number | string, style?: 'date' | 'datetime') => translator.formatDate(value, style, EMAIL_TIME_ZONE);
  // A subject is one header line whatever a variable (an organization's name) holds.
  const subject = translator.t(subjectOf.code, subjectOf.vars).replace(/[\r\n]+/g, ' ');
  const full = { ...translator, formatDate, ...model, subject };
  return { subject, text: textEnv.render(`${name}.txt.njk`, full), html: htmlEnv.render(`${name}.html.njk`, full) };
}

export const emailMessages: EmailMessages = {
  verifyEmail: (m) => composeEmail('verify-email', { code: 'email.verify.subject', vars: { code: m.code } }, m),
  confirmNewEmail: (m) => composeEmail('confirm-new-email', { code: 'email.confirm_new.subject', vars: { code: m.code } }, m),
  emailChanged: (m) => composeEmail('email-changed', { code: 'email.changed.subject' }, m),
  passwordResetLink: (m) => composeEmail('password-reset-link', { code: 'email.reset.subject' }, m),
  usernameList: (m) => composeEmail('username-list', { code: 'email.usernames.subject' }, m),
  passwordChanged: (m) => composeEmail('password-changed', { code: 'email.password_changed.subject' }, m),
  mfaChanged: (m) => composeEmail('mfa-changed', { code: 'email.mfa_changed.subject' }, m),
  accountLocked: (m) => composeEmail('account-locked', { code: 'email.locked.subject' }, m),
  sessionsEnded: (m) => composeEmail('sessions-ended', { code: 'email.sessions_ended.subject', vars: { count: m.devices.length } }, m),
  newSignIn: (m) => composeEmail('new-sign-in', { code: 'email.new_sign_in.subject' }, m),
  emailOtpCode: (m) => composeEmail('email-otp-code', { code: 'email.otp.subject', vars: { code: m.code } }, m),
  invitation: (m) => {
    const t = translatorFor(emailLanguage(m.language)).t;
    const organization = m.organization ?? t('email.invitation.an_organization');
    const where = m.group ? t('email.invitation.in_group', { organization, group: m.group }) : organization;
    return composeEmail('invitation', { code: 'email.invitation.subject', vars: { organization } }, { ...m, where, footer: 'email.invitation.footer' });
  },
};
