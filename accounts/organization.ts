// Organizations, business groups and memberships: the types and the store contract adapters implement.
// A root organization (parentId null) holds a tree of business groups; an account belongs to at most
// one root organization, through membership rows (role per organization or business group).
import type { Account, NewAccount, Role } from './account.ts';

/** A root organization or one of its business groups. */
export type OrgNode = {
  id: string;
  name: string;
  parentId: string | null;
  /** The root organization of the tree (its own id for a root). */
  rootId: string;
  createdAt: Date;
};

export type Membership = { accountId: string; organizationId: string; role: Role };

/** An account as administrators see it, with its memberships in their organization. */
export type Member = Account & { memberships: { organizationId: string; role: Role }[] };

export type MemberQuery = {
  /** Case-insensitive substring of username, email or name. */
  search?: string;
  /** Only accounts with a membership in one of these nodes (a business-group administrator's reach). */
  withinNodes?: string[];
  /** Keyset pagination: usernames sort after this one (lower-cased). */
  after?: string;
  limit: number;
};

export type AccountChanges = { email?: string; emailVerified?: boolean; name?: string | null; serviceAccount?: boolean };

export type OrganizationStore = {
  /** Runs `work` in one database transaction; the store it receives reads and writes inside it. */
  transaction<T>(work: (tx: OrganizationStore) => Promise<T>): Promise<T>;
  /** Row locks (SELECT … FOR UPDATE) that serialize membership changes of one account / one organization. */
  lockAccount(accountId: string): Promise<void>;
  lockOrganization(rootId: string): Promise<void>;

  findNode(id: string): Promise<OrgNode | undefined>;
  /** The root and all its business groups, parents before children. */
  listTree(rootId: string): Promise<OrgNode[]>;
  createRoot(name: string): Promise<OrgNode>;
  createGroup(input: { name: string; parentId: string; rootId: string }): Promise<OrgNode>;
  renameNode(id: string, name: string): Promise<void>;
  moveGroup(id: string, parentId: string): Promise<void>;
  /** Deletes a node and everything below it (memberships, invitations and sub-groups go with it). */
  deleteNode(id: string): Promise<void>;

  membershipsOf(accountId: string): Promise<(Membership & { rootId: string })[]>;
  membershipsIn(rootId: string): Promise<Membership[]>;
  addMembership(membership: Membership): Promise<void>;
  removeMembership(membership: Membership): Promise<void>;
  /** Removes every membership the account holds anywhere (it becomes unattached). */
  removeAllMemberships(accountId: string): Promise<void>;

  findAccount(accountId: string): Promise<Account | undefined>;
  findAccountByUsername(username: string): Promise<Account | undefined>;
  findAccountsByEmail(email: string): Promise<Account[]>;
  /** Creates an account with a password and no organization (memberships are added after). */
  createAccount(input: { account: NewAccount; passwordHash: string }): Promise<Account>;
  updateAccount(accountId: string, changes: AccountChanges): Promise<void>;
  listMembers(rootId: string, query: MemberQuery): Promise<Member[]>;
  findMember(rootId: string, accountId: string): Promise<Member | undefined>;

  /** Marks a pending invitation accepted by the account; false when it was already used or revoked. */
  claimInvitation(invitationId: string, accountId: string): Promise<boolean>;
};
