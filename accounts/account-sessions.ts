// A person's active sessions, as they and their administrators see and end them (issue 13).
// Ending a session is final everywhere at once: the shared store forgets it and no process may
// save it again (adapters/provider-sessions.ts), the grants of the apps used in it are revoked
// (their refresh and access tokens stop working), and those apps get back-channel logout.
// Every end is audited; the person is emailed when it was not done from the session itself.
import type { AccountStore } from './account.ts';
import type { AuditLog } from './audit.ts';
import { describePlace, describeUserAgent, deviceMessage, normalizeIp, placeMessage } from './device-description.ts';
import type { EmailMessages } from './email-messages.ts';
import { DomainError } from './errors.ts';
import type { Mailer } from './mailer.ts';
import type { MethodNames } from './mfa.ts';
import { isMessageCode } from './messages/catalog.ts';
import type { Message } from './messages/language.ts';

/** What Gatehouse remembers about a session beside the provider's own state (written at sign-in). */
export type SessionDetails = {
  accountId: string;
  ip: string | null;
  userAgent: string | null;
  /** The second factor used at sign-in (an MFA kind or 'recovery_code'), null without one. */
  mfaMethod: string | null;
  /** The upstream identity (federation) the session signed in with. */
  identityId: string | null;
  /** Epoch seconds. */
  signedInAt: number;
};

/** An active session as the store knows it: the provider's session plus our details. */
export type SessionRecord = {
  uid: string;
  accountId: string;
  /** The provider's login time (epoch seconds): the last time the person proved themselves in it. */
  loginTs: number | null;
  amr: string[];
  /** Apps that signed in through this session, with the `sid` each was given (back-channel logout). */
  apps: { clientId: string; sid: string | null }[];
  details: SessionDetails | null;
  /** Epoch seconds of the last request that used the session, when known. */
  lastActiveAt: number | null;
};

export type SessionDirectory = {
  /** The account's sessions that are alive now. */
  listLive(accountId: string): Promise<SessionRecord[]>;
  /** Ends one session of the account (see the file comment); undefined when it is not alive or not the account's. */
  end(accountId: string, uid: string): Promise<(SessionRecord & { grantsRevoked: number }) | undefined>;
};

/** Back-channel logout (OIDC Back-Channel Logout 1.0) to the apps of an ended session. */
export type LogoutNotifier = (accountId: string, apps: SessionRecord['apps']) => Promise<void>;

export type SessionView = {
  uid: string;
  device: string;
  browser: string | null;
  system: string | null;
  ip: string | null;
  place: string | null;
  signedInAt: Date | null;
  lastActiveAt: Date | null;
  how: string;
  apps: string[];
  current: boolean;
  /** Device, place and how as catalog messages, for pages in the reader's language (the strings above are the admin API's English). */
  words: { device: Message; place: Message | null; how: Message };
};

export type EndContext = {
  /** Who ends it: the account itself, an administrator's account id, or a connected app's client id. */
  actor: string;
  by: 'self' | 'administrator';
  /** The session the request came from, when the person ends their own sessions (never emailed about). */
  currentUid?: string;
  organizationId?: string;
  ip?: string;
  userAgent?: string;
};

/** "How": password + which second factor (in the method's own words, from the registry), or which identity provider. */
export function describeSignInMethod(amr: string[], mfaMethod: string | null, identityProvider: string | null, names?: Pick<MethodNames, 'describe'>): string {
  if (identityProvider || amr.includes('fed')) return `Single sign-on through ${identityProvider ?? 'an identity provider'}`;
  if (!amr.includes('pwd')) return 'Unknown';
  if (mfaMethod && names) return `Password and ${names.describe(mfaMethod)}`;
  if (amr.includes('mfa')) return 'Password and a second factor';
  return 'Password only';
}

/** describeSignInMethod as a catalog message, for a reader in any language (emails). */
export function signInMethodMessage(amr: string[], mfaMethod: string | null, identityProvider: string | null, names?: Pick<MethodNames, 'describe'>): Message {
  if (identityProvider) return { code: 'sign_in_method.sso_through', vars: { idp: identityProvider } };
  if (amr.includes('fed')) return { code: 'sign_in_method.sso' };
  if (!amr.includes('pwd')) return { code: 'sign_in_method.unknown' };
  if (mfaMethod && names) {
    const code = `page.account_permissions.method.${mfaMethod}`;
    return { code: 'sign_in_method.password_and', vars: { method: isMessageCode(code) ? { code } : names.describe(mfaMethod) } };
  }
  if (amr.includes('mfa')) return { code: 'sign_in_method.password_and_second_factor' };
  return { code: 'sign_in_method.password_only' };
}

export function createAccountSessions(deps: {
  directory: SessionDirectory;
  notifyLogout: LogoutNotifier;
  accounts: Pick<AccountStore, 'findById'>;
  audit: AuditLog;
  mailer: Mailer;
  messages: Pick<EmailMessages, 'sessionsEnded'>;
  /** Display names: an app's name, an identity provider's (from the upstream identity) name. */
  appName(clientId: string): Promise<string>;
  identityProviderName(identityId: string): Promise<string | null>;
  sessionsUrl: string;
  /** How each MFA kind is described (the method registry). */
  names?: Pick<MethodNames, 'describe'>;
  logger?: { warn(details: object, message: string): void };
}) {
  const { directory, audit } = deps;

  async function view(record: SessionRecord, currentUid: string | undefined): Promise<SessionView> {
    const d = record.details;
    const device = describeUserAgent(d?.userAgent);
    const idp = d?.identityId ? await deps.identityProviderName(d.identityId) : null;
    const ip = normalizeIp(d?.ip);
    const signedIn = d?.signedInAt ?? record.loginTs;
    const lastActive = Math.max(record.lastActiveAt ?? 0, signedIn ?? 0) || null;
    return {
      uid: record.uid,
      device: d ? device.label : 'Unknown device (signed in before sessions were recorded)',
      browser: device.browser,
      system: device.system,
      ip,
      place: describePlace(ip),
      signedInAt: signedIn ? new Date(signedIn * 1000) : null,
      lastActiveAt: lastActive ? new Date(lastActive * 1000) : null,
      how: describeSignInMethod(record.amr, d?.mfaMethod ?? null, idp, deps.names),
      apps: await Promise.all(record.apps.map((a) => deps.appName(a.clientId))),
      current: record.uid === currentUid,
      words: {
        device: d ? deviceMessage(device) : { code: 'page.sessions.device_not_recorded' },
        place: placeMessage(ip),
        how: signInMethodMessage(record.amr, d?.mfaMethod ?? null, idp, deps.names),
      },
    };
  }

  /** Ends sessions already chosen; audits each; back-channel logout; one email for all of them. */
  async function endRecords(accountId: string, uids: string[], context: EndContext): Promise<number> {
    const ended: SessionRecord[] = [];
    for (const uid of uids) {
      const record = await directory.end(accountId, uid);
      if (!record) continue;
      ended.push(record);
      await audit.record({
        actor: context.actor,
        action: 'session.end',
        outcome: 'success',
        target: accountId,
        organizationId: context.organizationId,
        ip: context.ip,
        userAgent: context.userAgent,
        details: { session: uid, by: context.by, apps: record.apps.map((a) => a.clientId), device: describeUserAgent(record.details?.userAgent).label },
      });
      // The session is gone whatever an app answers; a failed delivery is the app's to recover from.
      await deps.notifyLogout(accountId, record.apps).catch((err) => deps.logger?.warn({ err }, 'back-channel logout failed'));
    }
    const elsewhere = ended.filter((r) => r.uid !== context.currentUid);
    if (elsewhere.length > 0) await notify(accountId, elsewhere, context);
    return ended.length;
  }

  async function notify(accountId: string, ended: SessionRecord[], context: EndContext) {
    const account = await deps.accounts.findById(accountId);
    if (!account) return;
    try {
      await deps.mailer.send({
        to: account.email,
        ...deps.messages.sessionsEnded({
          language: account.language,
          username: account.username,
          devices: ended.map((r) => deviceMessage(describeUserAgent(r.details?.userAgent))),
          byAdministrator: context.by === 'administrator',
          sessionsUrl: deps.sessionsUrl,
        }),
      });
    } catch (err) {
      // The sessions are ended; a failed notice must not undo that, so it is logged, not thrown.
      deps.logger?.warn({ err }, 'session end notice could not be emailed');
    }
  }

  return {
    /** Active sessions, the current one first, then the most recently active. */
    async list(accountId: string, options: { currentUid?: string } = {}): Promise<SessionView[]> {
      const records = await directory.listLive(accountId);
      const views = await Promise.all(records.map((r) => view(r, options.currentUid)));
      return views.sort((a, b) => Number(b.current) - Number(a.current) || (b.lastActiveAt?.getTime() ?? 0) - (a.lastActiveAt?.getTime() ?? 0));
    },

    async end(accountId: string, uid: string, context: EndContext) {
      const count = await endRecords(accountId, [uid], context);
      if (count === 0) throw new DomainError('session.not_found', { status: 404 });
    },

    /** "Sign out of all other sessions": every session but `keepUid`. */
    async endOthers(accountId: string, keepUid: string, context: EndContext): Promise<number> {
      const records = await directory.listLive(accountId);
      return endRecords(accountId, records.map((r) => r.uid).filter((uid) => uid !== keepUid), context);
    },

    /** "Sign out everywhere" (administrators). */
    async endAll(accountId: string, context: EndContext): Promise<number> {
      const records = await directory.listLive(accountId);
      return endRecords(accountId, records.map((r) => r.uid), context);
    },
  };
}

export type AccountSessions = ReturnType<typeof createAccountSessions>;
