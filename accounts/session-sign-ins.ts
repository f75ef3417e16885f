// What happens to a session when someone signs in with it (called once per completed login):
// remember how and from where (shown on the sessions pages), and the device (browser family +
// system family) for the account; a device never seen before for an account that has signed in
// elsewhere is emailed ("New sign-in to your account") with a link to the sessions page.
import type { AccountStore } from './account.ts';
import type { MethodNames } from './mfa.ts';
import { signInMethodMessage, type SessionDetails } from './account-sessions.ts';
import { describeUserAgent, deviceMessage, normalizeIp, placeMessage } from './device-description.ts';
import type { EmailMessages } from './email-messages.ts';
import type { Mailer } from './mailer.ts';

export type DeviceStore = {
  /** Records the device for the account; `known` false when it was never seen, `others` how many other devices are known. */
  remember(accountId: string, fingerprint: string): Promise<{ known: boolean; others: number }>;
};

export type SessionDetailsStore = {
  saveDetails(uid: string, details: SessionDetails): Promise<void>;
  findDetails(uid: string, accountId: string): Promise<SessionDetails | null>;
};

export type SignIn = {
  sessionUid: string;
  accountId: string;
  amr: string[];
  mfaMethod: string | null;
  identityId: string | null;
  ip?: string;
  userAgent?: string;
  /** The provider made the session in this request: its uid is new, so nothing is stored under it yet. */
  newSession?: boolean;
};

export function createSessionSignIns(deps: {
  details: SessionDetailsStore;
  devices: DeviceStore;
  accounts: Pick<AccountStore, 'findById'>;
  mailer: Mailer;
  messages: Pick<EmailMessages, 'newSignIn'>;
  identityProviderName(identityId: string): Promise<string | null>;
  sessionsUrl: string;
  /** How each MFA kind is described (the method registry). */
  names?: Pick<MethodNames, 'describe'>;
  /** Runs the email after the response (it must not slow the sign-in down). */
  later(name: string, job: () => Promise<unknown>): void;
  clock?: () => number;
}) {
  const now = () => (deps.clock ?? Date.now)();
  return {
    async signedIn(s: SignIn) {
      // A re-authentication in the same session keeps when and how it first signed in.
      const existing = s.newSession ? null : await deps.details.findDetails(s.sessionUid, s.accountId);
      if (!existing) {
        await deps.details.saveDetails(s.sessionUid, {
          accountId: s.accountId,
          ip: normalizeIp(s.ip),
          userAgent: s.userAgent?.slice(0, 512) ?? null,
          mfaMethod: s.mfaMethod,
          identityId: s.identityId,
          signedInAt: Math.floor(now() / 1000),
        });
      }
      const device = describeUserAgent(s.userAgent);
      const { known, others } = await deps.devices.remember(s.accountId, device.fingerprint);
      // The first device of an account is where it was created: nothing to warn about.
      if (known || others === 0) return;
      deps.later('new sign-in notice', async () => {
        const account = await deps.accounts.findById(s.accountId);
        if (!account) return;
        const ip = normalizeIp(s.ip);
        const idp = s.identityId ? await deps.identityProviderName(s.identityId) : null;
        await deps.mailer.send({
          to: account.email,
          ...deps.messages.newSignIn({
            language: account.language,
            username: account.username,
            device: deviceMessage(device),
            ip,
            place: placeMessage(ip),
            when: new Date(now()),
            how: signInMethodMessage(s.amr, s.mfaMethod, idp, deps.names),
            sessionsUrl: deps.sessionsUrl,
          }),
        });
      });
    },
  };
}

export type SessionSignIns = ReturnType<typeof createSessionSignIns>;
