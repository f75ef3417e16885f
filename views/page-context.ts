// What every page of one request shares without each route passing it along: the view environment
// (the operator's theme) and the brand (organization and app) learned while handling the request.
// Routes learn the organization at different depths (a client's organization_id, a domain, an
// invitation, the signed-in account), so they record it here and layout.njk reads it at render time.
import { AsyncLocalStorage } from 'node:async_hooks';

/** An organization's look on a page: its display name, logo and accent stylesheet (URLs under the issuer). */
export type PageBrand = {
  organizationId: string;
  name: string;
  logoUrl?: string;
  /** Stylesheet that sets the accent colour custom properties; absent → Gatehouse's colours. */
  accentCssUrl?: string;
};

/** The app (OIDC client) a page is about: shown on sign-in and consent. */
export type PageApp = { name: string; logoUrl?: string; homeUrl?: string };

export type PageContext = {
  brand?: PageBrand;
  app?: PageApp;
  requestId?: string;
  /** Set by views/render.ts: the themed template environment of this server. */
  views?: unknown;
};

const storage = new AsyncLocalStorage<PageContext>();

export function runWithPageContext<T>(context: PageContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(context, fn);
}

/** The current request's page context; an empty one outside a request (CLI, emails, unit tests). */
export function pageContext(): PageContext {
  return storage.getStore() ?? {};
}
