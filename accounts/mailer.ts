// The mail contract features use; adapters/mailer.ts implements it (SMTP, or an .eml outbox).
export type MailMessage = {
  to: string;
  subject: string;
  text: string;
  html: string;
};

export type Mailer = {
  /** Rejects when the message could not be handed to the mail server (callers must not half-finish). */
  send(message: MailMessage): Promise<void>;
  /** Rejects when mail can't be sent now (SMTP unreachable): lets a page say so without sending. */
  check?(): Promise<void>;
};
