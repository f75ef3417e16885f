// Who is acting on the admin API and pages, in which organization, with which permissions.
// Every administrative service takes a Principal and checks it here; there is no principal that spans
// organizations (the CLI on the server is the only cross-organization power).
import { DomainError } from './errors.ts';
import type { MessageCode, PlainCode } from './messages/language.ts';
import { subtreeIds } from './membership-rules.ts';
import type { OrganizationStore } from './organization.ts';
import { APP_PERMISSIONS, GROUP_SCOPED_PERMISSIONS, isPermission, permissionsFor, type Permission } from './permissions.ts';

export type Principal = {
  kind: 'user' | 'app';
  /** Account id (user) or client id (connected app); recorded as the audit actor. */
  id: string;
  /** The root organization the principal acts in, and the only one. */
  organizationId: string;
  permissions: ReadonlySet<Permission>;
  /**
   * Where the group-scoped permissions apply: null for the whole organization (roles held at the root,
   * connected apps); otherwise the business groups the user administers and every group below them.
   */
  groupScope: ReadonlySet<string> | null;
  ip?: string;
  userAgent?: string;
};

/** Always `access.denied` (a stable API code); the reason says why, from the catalog. */
export class AccessDenied extends DomainError<'access.denied'> {
  constructor(reason: PlainCode | { code: MessageCode; vars: Record<string, string | number> } = 'access.reason.default') {
    super('access.denied', { status: 403, vars: { reason: typeof reason === 'string' ? { code: reason } : reason } });
  }
}

/** Anything of another organization (or that does not exist) looks the same: not found, never "forbidden". */
export type NotFoundThing = 'app_access' | 'application' | 'account' | 'business_group' | 'connected_app' | 'identity_provider' | 'invitation' | 'linked_profile' | 'organization' | 'user';
export const notFound = (what: NotFoundThing) => new DomainError(`${what}.not_found`, { status: 404 });

export function can(principal: Principal, permission: Permission): boolean {
  return principal.permissions.has(permission);
}

export function assertCan(principal: Principal, permission: Permission): void {
  if (!can(principal, permission)) throw new AccessDenied({ code: 'access.reason.needs_permission', vars: { permission } });
}

/** Whether the principal's group-scoped permissions reach a node of its organization. */
export function reaches(principal: Principal, nodeId: string): boolean {
  return principal.groupScope === null || principal.groupScope.has(nodeId);
}

/** The principal of a signed-in person: their roles where they hold them, or undefined when unattached. */
export async function userPrincipal(
  orgs: OrganizationStore,
  accountId: string,
  request: { ip?: string; userAgent?: string } = {},
): Promise<Principal | undefined> {
  const memberships = await orgs.membershipsOf(accountId);
  if (memberships.length === 0) return undefined;
  const rootId = memberships[0].rootId;
  const atRoot = memberships.filter((m) => m.organizationId === rootId).map((m) => m.role);
  const rootPermissions = permissionsFor(atRoot);
  const groupAdminOf = memberships.filter((m) => m.organizationId !== rootId && m.role === 'admin').map((m) => m.organizationId);
  const permissions = new Set<Permission>([...rootPermissions, 'organization:read']);
  let groupScope: Set<string> | null = null;
  if (!rootPermissions.includes('users:manage')) {
    groupScope = new Set();
    if (groupAdminOf.length > 0) {
      const tree = await orgs.listTree(rootId);
      for (const id of groupAdminOf) for (const below of subtreeIds(tree, id)) groupScope.add(below);
      for (const p of GROUP_SCOPED_PERMISSIONS) permissions.add(p);
    }
  }
  return { kind: 'user', id: accountId, organizationId: rootId, permissions, groupScope, ...request };
}

/**
 * The principal of a connected app: the permissions its token carries, limited to the scopes the
 * app is registered with (oidc-provider lets a client ask for scopes it does not know about).
 */
export function appPrincipal(input: {
  clientId: string;
  organizationId: string;
  registeredScopes: string[];
  tokenScopes: string[] | undefined;
  request?: { ip?: string; userAgent?: string };
}): Principal {
  const registered = new Set(input.registeredScopes);
  const asked = input.tokenScopes && input.tokenScopes.length > 0 ? input.tokenScopes : input.registeredScopes;
  const permissions = new Set(
    asked.filter((s): s is Permission => isPermission(s) && registered.has(s) && APP_PERMISSIONS.includes(s)),
  );
  return { kind: 'app', id: input.clientId, organizationId: input.organizationId, permissions, groupScope: null, ...input.request };
}
