// Back-channel logout (OIDC Back-Channel Logout 1.0 §2.5) to the apps of a session Gatehouse ended
// itself (the sessions pages and API): a logout token from oidc-provider's own client method, for
// every app of the session that registered a backchannel_logout_uri. Each app is told in parallel;
// an app that fails is logged, the others are still told.
import type Provider from 'oidc-provider';
import type { LogoutNotifier } from '../accounts/account-sessions.ts';
import type { Logger } from './logger.ts';

export function createLogoutNotifier(provider: Provider, logger: Logger): LogoutNotifier {
  return async (accountId, apps) => {
    await Promise.all(apps.map(async ({ clientId, sid }) => {
      const client = await provider.Client.find(clientId).catch(() => undefined);
      if (!client?.backchannelLogoutUri) return;
      try {
        // Typed loosely by @types/oidc-provider; it is the method the provider's end_session uses.
        await (client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(accountId, sid ?? '');
      } catch (err) {
        logger.warn({ err: (err as Error).message, clientId }, 'back-channel logout failed');
      }
    }));
  };
}
