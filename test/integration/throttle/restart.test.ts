// On the embedded default the throttle's counts live in the PGlite data directory: a lockout made
// before a restart still refuses the right password after it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../server/config.ts';
import { createGatehouse } from '../../../server/app.ts';
import { createLogger } from '../../../server/logger.ts';
import { createSignUp } from '../../../accounts/sign-up.ts';
import { createPasswordHasher } from '../../../accounts/password-hasher.ts';
import { SIGN_IN_LOCKOUT_FAILURES } from '../../../accounts/security-constants.ts';
import { uniqueName } from '../../helpers/gatehouse-server.ts';
import { passwordAttempt, messageCode } from './throttle-helpers.ts';

describe('sign-in throttle on the embedded store across a restart', () => {
  it('keeps a lockout: after the restart the right password is still refused', async function () {
    this.timeout(120_000);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-throttle-'));
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = loadConfig({ ISSUER: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const options = { logger: createLogger('silent'), hasher: createPasswordHasher({ parameters: { memoryCost: 1024, timeCost: 1, parallelism: 1 } }) };
    try {
      const first = await createGatehouse(config, options); // a fresh data directory: the slow part (initialise + migrate)
      const username = uniqueName('restart');
      const password = 'Correct-Horse-9';
      await createSignUp({ accounts: first.accounts, hasher: first.hasher, audit: first.audit })({ username, email: `${username}@example.com`, password, company: 'Restart Inc' });
      // The same calls the sign-in engine makes for each wrong password.
      for (let i = 0; i < SIGN_IN_LOCKOUT_FAILURES; i++) await first.throttle.signIn.failed({ username, ip: '10.50.0.1' });
      await first.close();

      const second = await createGatehouse(config, options);
      server.on('request', second.listener);
      const client = { client_id: uniqueName('client'), client_secret: 'x'.repeat(43), redirect_uris: ['http://127.0.0.1:9/callback'] };
      await second.clients.create({ ...client, grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid', first_party: true });
      const fake = { url, gatehouse: second } as unknown as Parameters<typeof passwordAttempt>[0];
      const { answer } = await passwordAttempt(fake, client, username, password);
      assert.equal(answer.status, 429);
      assert.equal(messageCode(answer.body), 'throttle.wait');
      assert.equal((await second.throttle.signIn.lockout(username)).locked, true);
      server.closeAllConnections();
      await second.close();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
