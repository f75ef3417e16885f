// The storage contract of the federation module (adapters/federation-store.ts implements it with knex):
// registered IdPs, organization sign-in settings and domains, upstream identities linked to accounts,
// and the few account reads and writes sign-in and linking need.
import type { StoredIdentityProvider, ClaimMapping, TokenEndpointAuthMethod } from './identity-provider.ts';

export type SignInSettings = {
  organizationId: string;
  domains: string[];
  ssoRequired: boolean;
  allowProfileLinking: boolean;
};

/** An upstream identity (issuer, sub) and the account it signs in to. */
export type FederatedIdentity = {
  id: string;
  idpId: string;
  issuer: string;
  subject: string;
  accountId: string;
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
};

/** What linking and sign-in need to know about an account. */
export type AccountFacts = {
  id: string;
  username: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  /** Has a Gatehouse password: the local Gatehouse IdP is one of its profiles. */
  hasPassword: boolean;
  serviceAccount: boolean;
  /** The root organization it belongs to, or null when unattached. */
  organizationId: string | null;
};

export type NewIdentityProviderRow = {
  organizationId: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecretSealed: string | null;
  scopes: string[];
  claimMapping: ClaimMapping;
  /** Absent → client_secret_basic (the column's default). */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  showButton: boolean;
  provisionUsers: boolean;
  enabled: boolean;
};

export type FederationStore = {
  /** Runs `work` in one transaction; the store it receives reads and writes inside it. */
  transaction<T>(work: (tx: FederationStore) => Promise<T>): Promise<T>;
  /** Row lock on the account (SELECT … FOR UPDATE): serializes changes to one link set. */
  lockAccount(accountId: string): Promise<void>;

  listIdentityProviders(organizationId: string): Promise<StoredIdentityProvider[]>;
  findIdentityProvider(id: string): Promise<StoredIdentityProvider | undefined>;
  /** Enabled IdPs of every organization that asked for a "Sign in with" button. */
  listButtonIdentityProviders(): Promise<StoredIdentityProvider[]>;
  createIdentityProvider(row: NewIdentityProviderRow): Promise<StoredIdentityProvider>;
  updateIdentityProvider(id: string, changes: Partial<NewIdentityProviderRow>): Promise<void>;
  deleteIdentityProvider(id: string): Promise<void>;

  settings(organizationId: string): Promise<SignInSettings>;
  saveSettings(organizationId: string, changes: { ssoRequired?: boolean; allowProfileLinking?: boolean }): Promise<void>;
  /** Replaces the organization's domains; throws DomainError domain.taken when another organization has one. */
  replaceDomains(organizationId: string, domains: string[]): Promise<void>;
  organizationOfDomain(domain: string): Promise<string | undefined>;
  /** Which of these domains are registered, and by whom. */
  domainOwners(domains: string[]): Promise<{ domain: string; organizationId: string }[]>;

  findIdentity(idpId: string, issuer: string, subject: string): Promise<FederatedIdentity | undefined>;
  findIdentityById(id: string): Promise<FederatedIdentity | undefined>;
  identitiesOf(accountId: string): Promise<FederatedIdentity[]>;
  /** Throws DomainError link.same_idp when the account already has an identity of that IdP. */
  attachIdentity(input: { idpId: string; issuer: string; subject: string; accountId: string; email: string | null }): Promise<FederatedIdentity>;
  moveIdentity(identityId: string, accountId: string): Promise<void>;
  touchIdentity(identityId: string, email: string | null): Promise<void>;
  deleteIdentity(identityId: string): Promise<void>;

  accountFacts(accountId: string): Promise<AccountFacts | undefined>;
  /** What the "SSO required" rule reads at a local sign-in (one statement: it runs on every password sign-in). */
  localSignInFacts(accountId: string): Promise<{ serviceAccount: boolean; organizationId: string | null; ssoRequired: boolean } | undefined>;
  /** Accounts of a root organization (or its business groups) using this address. */
  accountsInOrganizationByEmail(organizationId: string, email: string): Promise<AccountFacts[]>;
  usernameExists(username: string): Promise<boolean>;
  /** An account with no password, a member of the organization (just-in-time provisioning). */
  createSsoAccount(input: { username: string; email: string; emailVerified: boolean; name: string | null; organizationId: string }): Promise<AccountFacts>;
  /** The IdP is the source of an SSO account's email and name. */
  updateSsoProfile(accountId: string, profile: { email?: string; emailVerified: boolean; name?: string | null }): Promise<void>;
};
