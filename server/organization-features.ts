// Composition of the organizations feature (issue 3): the stores, the domain services, and the
// routers that expose them — the admin API (/api/v1), the admin pages (/admin) and the invitation
// pages (/invitations). app.ts builds this once and mounts `routers`.
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { AccountSessions } from '../accounts/account-sessions.ts';
import type { AuditLog, AuditReader } from '../accounts/audit.ts';
import type { Applications } from '../accounts/applications.ts';
import { userSessionRoutes } from './admin-api/session-routes.ts';
import { createAuditNames } from '../adapters/audit-names.ts';
import { createInvitationService } from '../accounts/invitations.ts';
import type { Mailer } from '../accounts/mailer.ts';
import { createOrganizationService } from '../accounts/organizations.ts';
import type { PasswordHasher } from '../accounts/password-hasher.ts';
import { createUserAdmin, type Lockouts, type MfaResetter, type PasswordResetSender } from '../accounts/user-admin.ts';
import { createKnexInvitationStore } from '../adapters/invitation-store.ts';
import { createKnexOrganizationStore } from '../adapters/organization-store.ts';
import { createMfaExemptions } from '../accounts/mfa-exemptions.ts';
import { createMfaExemptionStore } from '../adapters/mfa-exemption-store.ts';
import type { AccountSession } from '../interactions/account-session.ts';
import type { Csrf } from '../interactions/csrf.ts';
import { createAdminApi } from './admin-api/admin-api.ts';
import type { Route } from './admin-api/route.ts';
import { createAdminPages, type AdminPageKit } from './admin-pages/admin-pages.ts';
import { applicationPages } from './admin-pages/application-pages.ts';
import { createInvitationRoutes } from '../interactions/invitation-routes.ts';
import type { ThrottlePolicy } from '../accounts/throttle.ts';
import { createAccountActivityRoutes } from '../interactions/account-activity-routes.ts';
import type { Logger } from './logger.ts';
import type { BrandingService } from '../accounts/branding.ts';
import { emailMessages } from '../views/email.ts';
import type { JourneyReturn } from '../interactions/journey-return.ts';

export function createOrganizationFeatures(deps: {
  knex: Knex;
  provider: Provider;
  issuer: string;
  audit: AuditLog;
  auditReader: AuditReader;
  mailer: Mailer;
  hasher: PasswordHasher;
  session: AccountSession;
  csrf: Csrf;
  logger: Logger;
  /** Supplied by the password-reset feature when it exists (accounts/password-reset.ts). */
  sendPasswordReset?: PasswordResetSender;
  /** Supplied by the MFA feature. */
  resetMfa?: MfaResetter;
  /** Supplied by the throttle policy: sign-in lockouts administrators see and lift. */
  lockouts?: Lockouts;
  /** Supplied by the sessions feature: a user's sessions on Access Management → Users and the API. */
  sessions?: Pick<AccountSessions, 'list' | 'end' | 'endAll'>;
  /** Unusable invitation links per IP. */
  invitationThrottle?: ThrottlePolicy['invitation'];
  /** Evicts a changed client from every process's client cache. */
  onClientChanged?: (clientId: string) => void;
  /** Supplied by the federation feature: its admin API routes and its Identity Providers pages. */
  federation?: { apiRoutes: Route[]; pages: (kit: AdminPageKit) => void };
  /** The applications service (server/application-features.ts): API routes and the Applications pages. */
  applications: Applications;
  /** Supplied by the branding feature: its admin API routes and the service the Organization page uses. */
  branding?: { apiRoutes: Route[]; service: BrandingService };
  /** Invitations accepted with a new account return to the app's sign-in they started from. */
  journeys?: JourneyReturn;
  clock?: () => number;
}) {
  const orgs = createKnexOrganizationStore(deps.knex);
  const invitationStore = createKnexInvitationStore(deps.knex);
  const organizations = createOrganizationService({ orgs, audit: deps.audit });
  const users = createUserAdmin({ orgs, audit: deps.audit, sendPasswordReset: deps.sendPasswordReset, resetMfa: deps.resetMfa, lockouts: deps.lockouts, sessions: deps.sessions });
  const invitations = createInvitationService({
    orgs,
    invitations: invitationStore,
    mailer: deps.mailer,
    messages: emailMessages,
    hasher: deps.hasher,
    audit: deps.audit,
    issuer: deps.issuer,
    clock: deps.clock ? () => new Date(deps.clock!()) : undefined,
  });
  const apps = deps.applications;
  const exemptions = createMfaExemptions({ orgs, store: createMfaExemptionStore(deps.knex), audit: deps.audit });
  const services = { organizations, users, invitations, apps, exemptions, auditReader: deps.auditReader, auditNames: createAuditNames(deps.knex) };

  const api = createAdminApi({ ...services, provider: deps.provider, orgs, audit: deps.audit, logger: deps.logger, issuer: deps.issuer, extraRoutes: [...userSessionRoutes(users), ...(deps.federation?.apiRoutes ?? []), ...(deps.branding?.apiRoutes ?? [])] });
  const pages = createAdminPages({ ...services, orgs, session: deps.session, csrf: deps.csrf, identityProviderPages: deps.federation?.pages, applicationPages: applicationPages({ applications: apps }), branding: deps.branding?.service });
  const invitationPages = createInvitationRoutes({ invitations, session: deps.session, csrf: deps.csrf, throttle: deps.invitationThrottle, journeys: deps.journeys });
  const activity = createAccountActivityRoutes({ session: deps.session, csrf: deps.csrf, auditReader: deps.auditReader });
  return { orgs, services, routers: [api, pages, invitationPages, activity] };
}
