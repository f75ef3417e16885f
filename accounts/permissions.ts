// Named permissions and the one table that maps roles to them. The profile lists a person's
// permissions from here; the admin API and pages check them through `can`/`assertCan`.
import type { Role } from './account.ts';
import type { MessageCode } from './messages/language.ts';

export const PERMISSIONS = [
  'organization:read',
  'organization:manage',
  'organization:transfer',
  'groups:manage',
  'users:read',
  'users:manage',
  'invitations:manage',
  'apps:manage',
  'audit:read',
  'idps:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What each permission allows, as catalog codes (t(code) on a page, in the reader's language). */
export const PERMISSION_CODES: Record<Permission, MessageCode> = {
  'organization:read': 'permission.organization_read',
  'organization:manage': 'permission.organization_manage',
  'organization:transfer': 'permission.organization_transfer',
  'groups:manage': 'permission.groups_manage',
  'users:read': 'permission.users_read',
  'users:manage': 'permission.users_manage',
  'invitations:manage': 'permission.invitations_manage',
  'apps:manage': 'permission.apps_manage',
  'audit:read': 'permission.audit_read',
  'idps:manage': 'permission.idps_manage',
};

const ADMIN: Permission[] = [
  'organization:read',
  'organization:manage',
  'groups:manage',
  'users:read',
  'users:manage',
  'invitations:manage',
  'apps:manage',
  'audit:read',
  'idps:manage',
];

/** The table: what each role may do where it holds the role. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: [...ADMIN, 'organization:transfer'],
  admin: ADMIN,
  member: ['organization:read'],
};

/**
 * What an administrator of a business group (not the root) may do, within that group and the groups
 * below it. Organization-wide resources (connected apps, audit log, identity providers, the
 * organization itself) need the role at the root.
 */
export const GROUP_SCOPED_PERMISSIONS: readonly Permission[] = [
  'organization:read',
  'groups:manage',
  'users:read',
  'users:manage',
  'invitations:manage',
];

/** Permissions a connected app (client credentials) may be granted as scopes: never ownership. */
export const APP_PERMISSIONS: readonly Permission[] = ADMIN;

export function permissionsFor(roles: Iterable<Role>): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_PERMISSIONS[role] ?? []) granted.add(p);
  return PERMISSIONS.filter((p) => granted.has(p));
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** Roles at the root count everywhere; administering a business group adds the group-scoped permissions. */
export function effectivePermissions(rootId: string, memberships: { organizationId: string; role: Role }[]): Permission[] {
  const granted = new Set<Permission>(permissionsFor(memberships.filter((m) => m.organizationId === rootId).map((m) => m.role)));
  if (memberships.length > 0) granted.add('organization:read');
  if (memberships.some((m) => m.organizationId !== rootId && m.role === 'admin')) for (const p of GROUP_SCOPED_PERMISSIONS) granted.add(p);
  return PERMISSIONS.filter((p) => granted.has(p));
}
