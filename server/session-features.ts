// Composition of the sessions feature (issue 13): the person's sessions (profile → Sessions, the
// Sign out control), what a sign-in records about its session and device (and the "New sign-in"
// email), and the services administrators' pages and API use. app.ts builds this once.
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { AccountStore } from '../accounts/account.ts';
import { createAccountSessions, type LogoutNotifier } from '../accounts/account-sessions.ts';
import { deliverBackchannelLogout } from './backchannel-logout.ts';
import type { AuditLog } from '../accounts/audit.ts';
import type { EmailMessages } from '../accounts/email-messages.ts';
import type { Mailer } from '../accounts/mailer.ts';
import { SESSION_ABSOLUTE_TTL } from '../accounts/security-constants.ts';
import { createSessionSignIns } from '../accounts/session-sign-ins.ts';
import type { SessionRevoker } from '../accounts/session-revocation.ts';
import type { AccountStateIndex } from '../adapters/account-state-index.ts';
import { createKnexDeviceStore } from '../adapters/device-store.ts';
import { createSessionDirectory } from '../adapters/provider-sessions.ts';
import type { StateAdapterFactory } from '../adapters/state-adapter.ts';
import type { FederationStore } from '../federation/federation-store.ts';
import type { AccountSession } from '../interactions/account-session.ts';
import { createAccountSessionsRoutes } from '../interactions/account-sessions-routes.ts';
import type { Csrf } from '../interactions/csrf.ts';
import type { Logger } from './logger.ts';
import type { MethodNames } from '../accounts/mfa.ts';

export function createSessionFeatures(deps: {
  knex: Knex;
  provider: Provider;
  index: AccountStateIndex;
  stateAdapter: StateAdapterFactory;
  accounts: AccountStore;
  audit: AuditLog;
  mailer: Mailer;
  messages: EmailMessages;
  federation: Pick<FederationStore, 'findIdentityById' | 'findIdentityProvider'>;
  issuer: string;
  later(name: string, job: () => Promise<unknown>): void;
  logger: Logger;
  /** How each MFA kind is described (the method registry). */
  names?: Pick<MethodNames, 'describe'>;
  clock?: () => number;
}) {
  const sessionsUrl = `${deps.issuer}/account/sessions`;
  const directory = createSessionDirectory({ index: deps.index, stateAdapter: deps.stateAdapter, ttlSeconds: SESSION_ABSOLUTE_TTL });
  async function identityProviderName(identityId: string) {
    const identity = await deps.federation.findIdentityById(identityId);
    const idp = identity ? await deps.federation.findIdentityProvider(identity.idpId) : undefined;
    return idp?.name ?? null;
  }
  async function appName(clientId: string) {
    const client = await deps.provider.Client.find(clientId).catch(() => undefined);
    return (client?.clientName as string | undefined) ?? clientId;
  }
  // Back-channel logout to an ended session's apps: in the background, retried (server/backchannel-logout.ts).
  const notifyLogout: LogoutNotifier = async (accountId, apps) => {
    const sids = new Map(apps.map((a) => [a.clientId, a.sid ?? undefined]));
    deps.later('back-channel logout', () => deliverBackchannelLogout({ provider: deps.provider, accountId, clientIds: [...sids.keys()], sid: (clientId) => sids.get(clientId) }));
  };
  const sessions = createAccountSessions({
    directory,
    notifyLogout,
    accounts: deps.accounts,
    audit: deps.audit,
    mailer: deps.mailer,
    messages: deps.messages,
    appName,
    identityProviderName,
    sessionsUrl,
    logger: deps.logger,
    names: deps.names,
  });
  const signIns = createSessionSignIns({
    details: directory,
    devices: createKnexDeviceStore(deps.knex),
    accounts: deps.accounts,
    mailer: deps.mailer,
    messages: deps.messages,
    identityProviderName,
    sessionsUrl,
    later: deps.later,
    names: deps.names,
    clock: deps.clock,
  });
  /**
   * A revoker (password reset and change, MFA reset) that ends the account's live sessions the way the
   * sessions page does — in every process at once, with back-channel logout to their apps — and then lets
   * `base` revoke the grants left (refresh tokens of sessions that already ended).
   */
  function revoker(base: SessionRevoker): SessionRevoker {
    return {
      async revokeAccount(accountId, options = {}) {
        let sessions = 0;
        let grants = 0;
        for (const record of await directory.listLive(accountId)) {
          if (record.uid === options.keepSessionUid) continue;
          const ended = await directory.end(accountId, record.uid);
          if (!ended) continue;
          sessions += 1;
          grants += ended.grantsRevoked;
          await notifyLogout(accountId, ended.apps);
        }
        const rest = await base.revokeAccount(accountId, options);
        return { sessions: sessions + rest.sessions, grants: grants + rest.grants };
      },
    };
  }
  return {
    sessions,
    signIns,
    revoker,
    routes: (input: { session: AccountSession; csrf: Csrf }) => createAccountSessionsRoutes({ ...input, sessions }),
  };
}

export type SessionFeatures = ReturnType<typeof createSessionFeatures>;
