// Reads the embedded default's outbox (DATA_DIR/outbox/*.eml, written by adapters/mailer.ts) for
// `gatehouse mail list` and `gatehouse mail show ID`, so a person trying Gatehouse locally can
// follow the links and codes it sends. Ids are the file names without ".eml".
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { listOutbox } from './mailer.ts';

export type OutboxEntry = { id: string; date: string | null; to: string; subject: string };

const ID = /^[A-Za-z0-9._-]{1,200}$/;

const addresses = (to: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(to) ? to : to ? [to] : []).map((a) => a.text).join(', ');

async function parse(outboxDir: string, id: string) {
  return simpleParser(await fs.readFile(path.join(outboxDir, `${id}.eml`)));
}

export async function listOutboxMessages(outboxDir: string): Promise<OutboxEntry[]> {
  const files = await listOutbox(outboxDir);
  return Promise.all(
    files.map(async (file) => {
      const id = file.slice(0, -'.eml'.length);
      const mail = await parse(outboxDir, id);
      return { id, date: mail.date?.toISOString() ?? null, to: addresses(mail.to), subject: mail.subject ?? '' };
    }),
  );
}

/** The message as a person reads it: headers, then the text body. Undefined when there is no such id. */
export async function showOutboxMessage(outboxDir: string, id: string): Promise<string | undefined> {
  if (!ID.test(id) || id.includes('..')) return undefined;
  let mail;
  try {
    mail = await parse(outboxDir, id);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return [
    `From: ${addresses(mail.from)}`,
    `To: ${addresses(mail.to)}`,
    `Date: ${mail.date?.toISOString() ?? ''}`,
    `Subject: ${mail.subject ?? ''}`,
    '',
    (mail.text ?? '').trimEnd(),
  ].join('\n');
}
