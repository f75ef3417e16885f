// A real SMTP server for tests (smtp-server), parsing what it receives with mailparser. It can
// refuse messages (a failing mail server) or be stopped (an unreachable one).
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type SmtpSink = {
  url: string;
  messages: ParsedMail[];
  /** Refuse every message with a 451 (temporary failure) while true. */
  failing: boolean;
  /** The first message (already received or arriving within `timeoutMs`) that matches. */
  waitFor(match: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** Messages whose To header or SMTP envelope (RCPT TO) names the address. */
  to(address: string): ParsedMail[];
  clear(): void;
  /**
   * Holds every incoming message (the SMTP transaction stays open) until the returned release is
   * called: a test can then prove an answer was sent while the mailer was still at work.
   */
  hold(): () => void;
  /** Resolves when a message has reached the sink (held or not) since the last hold(). */
  arrived(): Promise<void>;
  close(): Promise<void>;
};

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const waiters = new Set<() => void>();
  const sink = { failing: false } as SmtpSink;
  let gate: Promise<void> | undefined;
  let arrival = Promise.withResolvers<void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const envelope = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
      if (sink.failing) {
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('mailbox temporarily unavailable'), { responseCode: 451 })));
        return;
      }
      arrival.resolve();
      simpleParser(stream).then(
        async (mail) => {
          await gate;
          messages.push(Object.assign(mail, { envelopeTo: envelope }));
          for (const wake of waiters) wake();
          callback();
        },
        (err) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return Object.assign(sink, {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async waitFor(match: (mail: ParsedMail) => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching email within ${timeoutMs} ms (received ${messages.length})`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
    to: (address: string) =>
      messages.filter((m) => addressesOf(m).includes(address.toLowerCase()) || envelopeOf(m).includes(address.toLowerCase())),
    clear: () => void messages.splice(0),
    hold() {
      const { promise, resolve } = Promise.withResolvers<void>();
      gate = promise;
      arrival = Promise.withResolvers<void>();
      return () => {
        gate = undefined;
        resolve();
      };
    },
    arrived: () => arrival.promise,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

export function addressesOf(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((t) => t.value.map((v) => (v.address ?? '').toLowerCase()));
}

/** The RCPT TO addresses the message was delivered to. */
export function envelopeOf(mail: ParsedMail): string[] {
  return (mail as ParsedMail & { envelopeTo?: string[] }).envelopeTo ?? [];
}

/** The 6-digit code in a verification email. */
export function codeIn(mail: ParsedMail): string {
  const match = (mail.text ?? '').match(/\b(\d{6})\b/);
  if (!match) throw new Error(`no code in "${mail.subject}"`);
  return match[1];
}

/** The reset link in a password reset email. */
export function resetLinkIn(mail: ParsedMail): string {
  const match = (mail.text ?? '').match(/https?:\/\/\S+\/reset\/[A-Za-z0-9_-]+/);
  if (!match) throw new Error(`no reset link in "${mail.subject}"`);
  return match[0];
}
