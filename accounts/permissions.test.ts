// The role → permission table and how principals get their permissions.
import assert from 'node:assert/strict';
import { appPrincipal } from './access.ts';
import { APP_PERMISSIONS, effectivePermissions, PERMISSION_CODES, PERMISSIONS, permissionsFor, ROLE_PERMISSIONS } from './permissions.ts';
import { isMessageCode } from './messages/catalog.ts';

describe('permissions', () => {
  it('every permission has a label in the catalog, and every role maps only to known permissions', () => {
    for (const p of PERMISSIONS) assert.ok(isMessageCode(PERMISSION_CODES[p]), `${p} has a text in the catalog`);
    for (const perms of Object.values(ROLE_PERMISSIONS)) for (const p of perms) assert.ok(PERMISSIONS.includes(p));
  });

  const table: [string, Parameters<typeof permissionsFor>[0], string[]][] = [
    ['member', ['member'], ['organization:read']],
    ['admin', ['admin'], ['organization:read', 'organization:manage', 'groups:manage', 'users:read', 'users:manage', 'invitations:manage', 'apps:manage', 'audit:read', 'idps:manage']],
    ['owner', ['owner'], [...PERMISSIONS]],
  ];
  for (const [name, roles, expected] of table) {
    it(`${name} → ${expected.length} permissions`, () => assert.deepEqual(permissionsFor(roles), expected));
  }

  it('only the owner can transfer ownership; connected apps never get it', () => {
    assert.ok(ROLE_PERMISSIONS.owner.includes('organization:transfer'));
    assert.ok(!ROLE_PERMISSIONS.admin.includes('organization:transfer'));
    assert.ok(!APP_PERMISSIONS.includes('organization:transfer'));
  });

  it('a business-group administrator gets the group-scoped permissions only', () => {
    const perms = effectivePermissions('root', [{ organizationId: 'root', role: 'member' }, { organizationId: 'g1', role: 'admin' }]);
    assert.deepEqual(perms, ['organization:read', 'groups:manage', 'users:read', 'users:manage', 'invitations:manage']);
  });

  it('a connected app holds the scopes its token carries, limited to those it is registered with', () => {
    const app = appPrincipal({ clientId: 'c', organizationId: 'o', registeredScopes: ['users:read'], tokenScopes: ['users:read', 'users:manage', 'openid'] });
    assert.deepEqual([...app.permissions], ['users:read']);
    const defaults = appPrincipal({ clientId: 'c', organizationId: 'o', registeredScopes: ['audit:read', 'organization:transfer'], tokenScopes: undefined });
    assert.deepEqual([...defaults.permissions], ['audit:read']);
  });
});
