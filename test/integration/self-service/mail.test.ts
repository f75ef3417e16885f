// Outgoing mail: real SMTP (smtp-server + mailparser) with text and HTML parts and no header
// injection; the embedded default's .eml outbox, and `gatehouse mail list` / `gatehouse mail show`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMailer } from '../../../adapters/mailer.ts';
import { CONFIG_VARIABLES } from '../../../server/config.ts';
import { startGatehouse } from '../../helpers/gatehouse-server.ts';
import { CookieJar, request } from '../../helpers/browserless-user.ts';
import { addressesOf, startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function cli(dataDir: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete env[name];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['server/cli.ts', ...args], { cwd: ROOT, env: { ...env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, timeout: 30_000 }, (_e, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('self-service: mail', () => {
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
  });
  after(() => sink?.close());

  it('refuses a recipient that is not one plain address (no smuggled recipients)', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'no-reply@id.example.com', outboxDir: '/nonexistent' });
    for (const to of ['ann@example.com\r\nBcc: thief@evil.example', 'ann@example.com, thief@evil.example', 'Ann <thief@evil.example>', 'ann@example.com thief@evil.example']) {
      await assert.rejects(mailer.send({ to, subject: 's', text: 't', html: '<p>t</p>' }), /one plain email address/, to);
    }
    assert.equal(sink.to('thief@evil.example').length, 0);
  });

  it('sends text and HTML over SMTP; a line break in any field never reaches a header', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'no-reply@id.example.com\r\nBcc: thief@evil.example', outboxDir: '/nonexistent' });
    await mailer.send({
      to: 'ann@example.com',
      subject: 'Hello\r\nBcc: thief@evil.example\r\nX-Injected: yes',
      text: 'plain body',
      html: '<p>html body</p>',
    });
    const mail = await sink.waitFor((m) => (m.text ?? '').includes('plain body'));
    assert.equal(mail.html && mail.html.includes('<p>html body</p>'), true);
    assert.equal(mail.headers.get('x-injected'), undefined);
    assert.equal(mail.bcc, undefined);
    assert.ok(!/[\r\n]/.test(mail.subject ?? ''));
    assert.ok(!addressesOf(mail).includes('thief@evil.example'));
    assert.equal(sink.to('thief@evil.example').length, 0);
  });

  it('rejects when the SMTP server refuses, so callers can undo (see the feature tests)', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'no-reply@id.example.com', outboxDir: '/nonexistent' });
    sink.failing = true;
    try {
      await assert.rejects(mailer.send({ to: 'ann@example.com', subject: 's', text: 't', html: '<p>t</p>' }));
    } finally {
      sink.failing = false;
    }
    const down = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'no-reply@id.example.com', outboxDir: '/nonexistent' });
    await assert.rejects(down.check!());
    await mailer.check!();
  });

  it('without SMTP_URL writes an outbox that `gatehouse mail list` and `gatehouse mail show ID` print', async function () {
    this.timeout(60_000);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-outbox-'));
    const server = await startGatehouse(undefined, { DATA_DIR: dataDir });
    try {
      assert.equal(server.gatehouse.mailer.kind, 'outbox');
      const user = await server.createUser();
      await request(new CookieJar(), `${server.url}/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ identifier: user.username }).toString(),
      });
      await server.gatehouse.selfService.jobs.settled();
      const list = await cli(dataDir, 'mail', 'list');
      assert.equal(list.code, 0, list.stderr);
      const entries = JSON.parse(list.stdout) as { id: string; to: string; subject: string }[];
      assert.equal(entries.length, 1);
      assert.equal(entries[0].to, `${user.username}@example.com`);
      assert.equal(entries[0].subject, 'Reset your Gatehouse password');
      const show = await cli(dataDir, 'mail', 'show', entries[0].id);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /^Subject: Reset your Gatehouse password$/m);
      assert.match(show.stdout, new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/reset/[A-Za-z0-9_-]{43}$`, 'm'), 'a link to follow');
      const missing = await cli(dataDir, 'mail', 'show', '../../etc/passwd');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no message/);
    } finally {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

