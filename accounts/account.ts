// The account domain types and the store contract adapters implement.
export type Role = 'owner' | 'admin' | 'member';

export type Account = {
  id: string;
  username: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  phoneNumber: string | null;
  serviceAccount: boolean;
  /** Set by an administrator, only ever on service accounts: signs in with password alone. */
  mfaExempt: boolean;
  /** The language the person last picked or signed in with (a catalog tag), null if never: emails to them use it. */
  language: string | null;
  createdAt: Date;
};

export type Organization = { id: string; name: string; parentId: string | null };

/** What the provider needs to build claims: the account and its root organization. */
export type AccountWithOrganization = Account & { organization: Organization | null; roles: Role[] };

export type PasswordCredential = {
  credentialId: string;
  accountId: string;
  hash: string;
};

export type NewAccount = {
  username: string;
  email: string;
  name?: string | null;
  phoneNumber?: string | null;
  serviceAccount?: boolean;
  /** The language of the sign-up (a catalog tag; anything else is not stored). */
  language?: string | null;
};

export type AccountStore = {
  findById(id: string): Promise<AccountWithOrganization | undefined>;
  /** Looks a password credential up by username (case-insensitive). */
  findPasswordCredential(username: string): Promise<PasswordCredential | undefined>;
  /** Replaces the stored hash of the same password (parameter upgrade on login). */
  rehashPassword(credentialId: string, hash: string): Promise<void>;
  /** Creates a root organization and its owner (owner + admin roles) in one transaction. */
  createAccountWithOrganization(input: {
    account: NewAccount;
    passwordHash: string;
    organizationName: string;
  }): Promise<{ account: Account; organization: Organization }>;
  usernameExists(username: string): Promise<boolean>;
  /** Remembers the person's language; a tag the catalog does not know is ignored. */
  setLanguage(accountId: string, tag: string): Promise<void>;
};
