// Fixtures for the federation suites: a Gatehouse that accepts http issuers (the test IdPs are plain
// HTTP on loopback), an organization with its owner, IdPs registered through the real service, and the
// browserless journey from an authorization request to the IdP and back.
import { userPrincipal } from '../../../accounts/access.ts';
import type { IdentityProviderInput } from '../../../federation/identity-provider.ts';
import { authorizationRequest, type RpClient } from '../../helpers/authorization.ts';
import { CookieJar, follow, postForm, type Step } from '../../helpers/browserless-user.ts';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import type { StoreKind } from '../../helpers/stores.ts';
import { startUpstreamIdp, upstreamSignIn, type UpstreamIdp } from '../../helpers/upstream-idp.ts';

export const FEDERATION_ENV = { FEDERATION_ALLOW_HTTP_ISSUERS: 'true' };

export async function startFederatedGatehouse(store?: StoreKind, options: Parameters<typeof startGatehouse>[2] = {}) {
  return startGatehouse(store, FEDERATION_ENV, options);
}

export async function principalOf(server: TestServer, user: TestUser) {
  const p = await userPrincipal(server.gatehouse.organizations.orgs, user.id);
  if (!p) throw new Error('no principal');
  return p;
}

/** Registers `idp` for the organization of `owner` (an administrator) and returns its Gatehouse id. */
export async function registerIdp(server: TestServer, owner: TestUser, idp: UpstreamIdp, input: Partial<IdentityProviderInput> = {}) {
  const created = await server.gatehouse.federation.idps.create(await principalOf(server, owner), {
    name: input.name ?? 'Alpha IdP',
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    showButton: true,
    provisionUsers: true,
    ...input,
  });
  return created.id;
}

export async function setSignInSettings(server: TestServer, owner: TestUser, changes: { domains?: string[]; ssoRequired?: boolean; allowProfileLinking?: boolean }) {
  return server.gatehouse.federation.settings.update(await principalOf(server, owner), changes);
}

export async function startIdp(server: TestServer, name: string, options: { claimsInIdToken?: boolean; host?: string } = {}) {
  return startUpstreamIdp({ redirectUri: `${server.url}/federation/callback`, name, ...options });
}

/** Opens the sign-in page of a new authorization request. */
export async function openSignIn(server: TestServer, client: RpClient, extra: Record<string, string> = {}, jar = new CookieJar()) {
  const request = authorizationRequest(server.url, client, { scope: 'openid email profile', ...extra });
  const page = await follow(jar, request.url, server.url);
  return { jar, page, verifier: request.verifier };
}

/** The form that posts `idp` (a "Sign in with" button) on a page. */
export function idpButtonAction(html: string, base: string) {
  const match = /<form method="post" action="([^"]+)"><input type="hidden" name="idp" value="([^"]+)">/.exec(html);
  if (!match) throw new Error('no "Sign in with" button on the page');
  return { action: new URL(match[1], base).href, idp: match[2] };
}

/** Sign-in page → "Use custom domain" → domain → "Continue": the step after Continue (a redirect to the IdP). */
export async function continueWithDomain(server: TestServer, jar: CookieJar, signInPage: Step, domain: string) {
  const uid = /\/interaction\/([^/]+)$/.exec(new URL(signInPage.url).pathname)![1];
  const page = await follow(jar, `${server.url}/interaction/${uid}/domain`, server.url);
  const step = await postForm(jar, `${server.url}/interaction/${uid}/domain`, server.url, { domain });
  return { uid, page, step };
}

/** From the sign-in page, through a "Sign in with" button, the IdP's login page, and back to Gatehouse. */
export async function signInThroughButton(server: TestServer, jar: CookieJar, signInPage: Step, idp: UpstreamIdp, user: { login: string; password: string } | 'cancel', idpId?: string) {
  const button = idpButtonAction(signInPage.body, signInPage.url);
  const toIdp = await postForm(jar, button.action, server.url, { idp: idpId ?? button.idp });
  if (!toIdp.location?.startsWith(idp.issuer)) return toIdp;
  return upstreamSignIn(jar, idp, toIdp.location, user, server.url);
}

export const testid = (html: string, id: string) => {
  const m = new RegExp(`data-testid="${id.replace(/[/.]/g, (c) => `\\${c}`)}"[^>]*>([^<]*)<`).exec(html);
  return m ? m[1].trim() : undefined;
};

/**
 * The whole journey of a relying party's user through an IdP: authorization request → sign-in page →
 * "Use custom domain" (or a "Sign in with" button) → the IdP's login page → back. Returns the last step
 * (a redirect to the client when signed in) and the PKCE verifier to redeem its code.
 */
export async function federatedSignIn(
  server: TestServer,
  client: RpClient,
  idp: UpstreamIdp,
  user: { login: string; password: string } | 'cancel',
  via: { domain: string } | { button: string } = { button: '' },
  options: { extra?: Record<string, string>; jar?: CookieJar } = {},
) {
  const { jar, page, verifier } = await openSignIn(server, client, options.extra, options.jar);
  let step: Step;
  if ('domain' in via) {
    const { step: toIdp } = await continueWithDomain(server, jar, page, via.domain);
    step = toIdp.location?.startsWith(idp.issuer) ? await upstreamSignIn(jar, idp, toIdp.location, user, server.url) : toIdp;
  } else {
    step = await signInThroughButton(server, jar, page, idp, user, via.button || undefined);
  }
  return { jar, step, verifier };
}
