// OpenID Connect Back-Channel Logout 1.0: when a session ends, every app of it that registered a
// `backchannel_logout_uri` gets a signed logout token (with `sid` when it asked for it). Delivery runs
// in the background — a slow or broken app never holds up the person's logout — and is retried a few
// times, each attempt logged. oidc-provider's own end_session awaits the delivery, so its
// Client#backchannelLogout is replaced by a queueing version (installBackchannelLogout); other code
// that ends sessions (password reset, "sign out everywhere", admin actions) calls
// deliverBackchannelLogout with the ended session's apps.
import type Provider from 'oidc-provider';
import type { Logger } from './logger.ts';

/** Waits before the 2nd, 3rd, … attempt; three attempts in all by default. */
export const BACKCHANNEL_RETRY_DELAYS_MS = [1_000, 5_000];

type SendingClient = { clientId: string; backchannelLogoutUri?: string; backchannelLogout(sub: string, sid?: string): Promise<void> };
type Send = (client: SendingClient, accountId: string, sid: string | undefined) => Promise<void>;

export type BackchannelDelivery = { clientId: string; delivered: boolean; attempts: number; error?: string };

export type BackchannelLogoutRequest = {
  provider: Provider;
  accountId: string;
  /** The apps of the ended session (oidc-provider session `authorizations` keys). */
  clientIds: string[];
  /** The session id each app knows the session by: one value for all, or per app (Session#sidFor). */
  sid?: string | ((clientId: string) => string | undefined);
};

type Deliverer = {
  enqueue(client: SendingClient, accountId: string, sid: string | undefined): Promise<BackchannelDelivery>;
  settled(): Promise<void>;
};

const deliverers = new WeakMap<Provider, Deliverer>();

/**
 * Makes the provider deliver logout tokens in the background with retries. Call once per provider,
 * before it serves requests. `delays` lets tests retry without waiting.
 */
export function installBackchannelLogout(provider: Provider, options: { logger: Logger; delays?: number[] }) {
  const proto = provider.Client.prototype as unknown as SendingClient;
  const original = proto.backchannelLogout;
  const send: Send = (client, accountId, sid) => original.call(client, accountId, sid);
  const deliverer = createDeliverer(send, options.logger, options.delays ?? BACKCHANNEL_RETRY_DELAYS_MS);
  deliverers.set(provider, deliverer);
  // end_session awaits this: hand back at once, the delivery goes on in the background.
  proto.backchannelLogout = function queued(this: SendingClient, sub: string, sid?: string) {
    void deliverer.enqueue(this, sub, sid);
    return Promise.resolve();
  };
  return deliverer;
}

/**
 * Sends logout tokens to the ended session's apps that registered a back-channel logout URI. Never
 * throws and never needs awaiting (the promise is there for tests and shutdown): the caller goes on
 * with the person's logout at once.
 */
export async function deliverBackchannelLogout(request: BackchannelLogoutRequest): Promise<BackchannelDelivery[]> {
  const deliverer = deliverers.get(request.provider);
  if (!deliverer) throw new Error('installBackchannelLogout was not called for this provider');
  const sidFor = typeof request.sid === 'function' ? request.sid : () => request.sid as string | undefined;
  const jobs = [...new Set(request.clientIds)].map(async (clientId) => {
    const client = (await request.provider.Client.find(clientId).catch(() => undefined)) as unknown as SendingClient | undefined;
    if (!client?.backchannelLogoutUri) return undefined;
    return deliverer.enqueue(client, request.accountId, sidFor(clientId));
  });
  return (await Promise.all(jobs)).filter((d): d is BackchannelDelivery => d !== undefined);
}

/** The apps and per-app sids of a stored oidc-provider Session payload (for code that ends sessions by id). */
export function backchannelTargetsOf(session: { accountId?: unknown; authorizations?: unknown }) {
  const authorizations = (session.authorizations ?? {}) as Record<string, { sid?: string } | undefined>;
  return {
    accountId: typeof session.accountId === 'string' ? session.accountId : undefined,
    clientIds: Object.keys(authorizations),
    sid: (clientId: string) => authorizations[clientId]?.sid,
  };
}

/** Waits for deliveries under way (graceful shutdown). */
export async function backchannelSettled(provider: Provider) {
  await deliverers.get(provider)?.settled();
}

function createDeliverer(send: Send, logger: Logger, delays: number[]): Deliverer {
  const inFlight = new Set<Promise<unknown>>();
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

  async function deliver(client: SendingClient, accountId: string, sid: string | undefined): Promise<BackchannelDelivery> {
    let lastError = '';
    for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
      try {
        await send(client, accountId, sid);
        logger.info({ clientId: client.clientId, attempt }, 'back-channel logout delivered');
        return { clientId: client.clientId, delivered: true, attempts: attempt };
      } catch (err) {
        lastError = (err as Error).message;
        const final = attempt > delays.length;
        logger[final ? 'error' : 'warn']({ clientId: client.clientId, attempt, err: lastError }, final ? 'back-channel logout failed, giving up' : 'back-channel logout failed, retrying');
        if (!final) await wait(delays[attempt - 1]);
      }
    }
    return { clientId: client.clientId, delivered: false, attempts: delays.length + 1, error: lastError };
  }

  return {
    enqueue(client, accountId, sid) {
      const job = deliver(client, accountId, sid);
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
      return job;
    },
    async settled() {
      await Promise.allSettled([...inFlight]);
    },
  };
}
