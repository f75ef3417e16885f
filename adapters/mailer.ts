// Outgoing mail through nodemailer: SMTP when SMTP_URL is set, otherwise an outbox of .eml files
// under DATA_DIR/outbox that `gatehouse mail list|show` prints (the embedded default).
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Mailer, MailMessage } from '../accounts/mailer.ts';

/** A header value never carries a line break, whatever a user typed into their name or subject. */
const headerSafe = (value: string) => value.replace(/[\r\n]+/g, ' ').trim();
/** One bare address per message: a display name, a list or a line break in `to` is refused, never parsed into more recipients. */
const SINGLE_ADDRESS = /^[^\s@,;:<>"()[\]\\]+@[^\s@,;:<>"()[\]\\]+$/;

export function createMailer(options: { smtpUrl?: string; from: string; outboxDir: string }): Mailer & { kind: 'smtp' | 'outbox' } {
  const transport = options.smtpUrl
    ? nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as never)
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  return {
    kind: options.smtpUrl ? 'smtp' : 'outbox',
    async check() {
      // SMTP: connect, greet and authenticate, then quit (nodemailer's verify); the outbox: writable.
      if (options.smtpUrl) await transport.verify();
      else await fs.mkdir(options.outboxDir, { recursive: true, mode: 0o700 });
    },
    async send(message: MailMessage) {
      if (!SINGLE_ADDRESS.test(message.to)) throw new Error('refusing to send: the recipient must be one plain email address');
      const info = await transport.sendMail({
        from: headerSafe(options.from),
        to: headerSafe(message.to),
        subject: headerSafe(message.subject),
        text: message.text,
        html: message.html,
      });
      if (!options.smtpUrl) {
        await fs.mkdir(options.outboxDir, { recursive: true, mode: 0o700 });
        const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}.eml`;
        await fs.writeFile(path.join(options.outboxDir, name), (info as unknown as { message: Buffer }).message, { mode: 0o600 });
      }
    },
  };
}

/** The outbox's messages, newest last, for `gatehouse mail list` and tests of the embedded default. */
export async function listOutbox(outboxDir: string): Promise<string[]> {
  try {
    return (await fs.readdir(outboxDir)).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
}
