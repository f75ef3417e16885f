// The admin API's routes: thin adapters from HTTP to the domain services (the same ones the admin
// pages call), with the shapes in schemas.ts.
import { namedEvent, type AuditFilter, type AuditName, type AuditNames, type AuditReader, type StoredAuditEvent } from '../../accounts/audit.ts';
import { assertCan, notFound, type Principal } from '../../accounts/access.ts';
import type { Application } from '../../accounts/application.ts';
import type { Applications } from '../../accounts/applications.ts';
import { DomainError } from '../../accounts/errors.ts';
import type { Invitation, InvitationStatus } from '../../accounts/invitation.ts';
import type { InvitationService } from '../../accounts/invitations.ts';
import type { OrganizationService } from '../../accounts/organizations.ts';
import type { OrgNode } from '../../accounts/organization.ts';
import type { UserAdmin, UserView } from '../../accounts/user-admin.ts';
import type { MfaExemptions } from '../../accounts/mfa-exemptions.ts';
import type { LockoutStatus } from '../../accounts/throttle.ts';
import * as s from './schemas.ts';
import { route, type Route } from './route.ts';

export type AdminServices = {
  organizations: OrganizationService;
  users: UserAdmin;
  invitations: InvitationService;
  apps: Applications;
  exemptions: MfaExemptions;
  auditReader: AuditReader;
  auditNames: AuditNames;
};

/** Cursors are opaque to clients: the keyset value, base64url-encoded. */
export const encodeCursor = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!value || value.length > 300) throw new DomainError('request.invalid_cursor', { status: 400 });
  return value;
}

/** Asks for one item more than the page to know whether there is a next page. */
function paginate<T>(items: T[], limit: number, key: (item: T) => string) {
  const pageItems = items.slice(0, limit);
  return { items: pageItems, nextCursor: items.length > limit ? encodeCursor(key(pageItems[pageItems.length - 1])) : null };
}

const iso = (d: Date) => d.toISOString();
const groupDto = (g: OrgNode & { memberCount?: number }) => ({
  id: g.id,
  name: g.name,
  parentId: g.parentId!,
  memberCount: g.memberCount,
  createdAt: iso(g.createdAt),
});
const userDto = (u: UserView) => ({ ...u, createdAt: iso(u.createdAt) });
const invitationDto = (i: Invitation & { status: InvitationStatus }) => ({
  ...i,
  createdAt: iso(i.createdAt),
  sentAt: iso(i.sentAt),
  expiresAt: iso(i.expiresAt),
  acceptedAt: i.acceptedAt ? iso(i.acceptedAt) : null,
  revokedAt: i.revokedAt ? iso(i.revokedAt) : null,
});
const lockoutDto = (l: LockoutStatus) => ({ ...l, lockedUntil: l.lockedUntil ? iso(l.lockedUntil) : null });
/** The old connected-apps shape: a service application seen as a connected app (alias routes). */
const appDto = (a: Application) => ({ clientId: a.clientId, name: a.name, scopes: a.scopes, createdAt: iso(a.createdAt) });
const applicationDto = (a: Application) => {
  const { organizationId: _org, ...rest } = a;
  return { ...rest, createdAt: iso(a.createdAt) };
};
/** An event with the names of its actor and target (username, app name, IdP name) beside their ids. */
export const auditDto = (e: StoredAuditEvent, names: Map<string, AuditName> = new Map()) => {
  const { actorKind: _a, targetKind: _t, ...named } = namedEvent(e, names);
  return { ...named, occurredAt: iso(e.occurredAt) };
};

/** The filter with its username (actor or target) resolved; null when no account has that username. */
export async function withAccountFilter<F extends Omit<AuditFilter, 'limit'>>(names: AuditNames, filter: F, username: string | undefined): Promise<F | null> {
  if (!username) return filter;
  const account = await names.accountIdOf(username);
  return account ? { ...filter, account } : null;
}

/** Rows per database round trip while exporting; the export streams every matching event. */
const EXPORT_BATCH = 500;

export function adminRoutes(services: AdminServices): Route[] {
  const { organizations, users, invitations, apps, exemptions, auditReader, auditNames } = services;
  /** The alias routes see service applications only; other kinds are not found there. */
  const serviceApp = async (principal: Principal, id: string) => {
    const app = await apps.get({ principal }, id);
    if (app.kind !== 'service') throw notFound('application');
    return app;
  };

  const auditFilter = (principal: { organizationId: string }, q: {
    actor?: string; target?: string; action?: string; outcome?: 'success' | 'failure' | 'denied'; from?: string; to?: string;
  }) => ({
    organizationId: principal.organizationId,
    actor: q.actor,
    target: q.target,
    action: q.action,
    outcome: q.outcome,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
  });

  return [
    // --- organization ---
    route({
      method: 'get', path: '/organization', operationId: 'getOrganization', tag: 'Organizations', permission: 'organization:read',
      summary: 'The caller’s organization and its business groups',
      status: 200, response: s.organizationSchema,
      async handler({ principal }) {
        const tree = await organizations.tree(principal);
        return { id: tree.organization.id, name: tree.organization.name, createdAt: iso(tree.organization.createdAt), businessGroups: tree.groups.map(groupDto) };
      },
    }),
    route({
      method: 'patch', path: '/organization', operationId: 'renameOrganization', tag: 'Organizations', permission: 'organization:manage',
      summary: 'Rename the organization', body: s.renameBody, status: 200, response: s.organizationSchema,
      async handler({ principal, body }) {
        await organizations.rename(principal, principal.organizationId, body.name);
        const tree = await organizations.tree(principal);
        return { id: tree.organization.id, name: tree.organization.name, createdAt: iso(tree.organization.createdAt), businessGroups: tree.groups.map(groupDto) };
      },
    }),
    route({
      method: 'delete', path: '/organization', operationId: 'deleteOrganization', tag: 'Organizations', permission: 'organization:transfer',
      summary: 'Delete the organization (owner only, when it has no other members)', status: 204,
      errors: { 409: 'organization.has_members' },
      async handler({ principal }) {
        await organizations.deleteOrganization(principal);
      },
    }),
    route({
      method: 'post', path: '/organization/transfer-ownership', operationId: 'transferOwnership', tag: 'Organizations', permission: 'organization:transfer',
      summary: 'Make another member the owner (owner only; the previous owner stays an administrator)',
      body: s.transferOwnershipBody, status: 204,
      async handler({ principal, body }) {
        await organizations.transferOwnership(principal, body.accountId);
      },
    }),

    // --- business groups ---
    route({
      method: 'get', path: '/business-groups', operationId: 'listBusinessGroups', tag: 'Business groups', permission: 'organization:read',
      summary: 'Every business group of the organization, parents first', status: 200, response: s.groupList,
      async handler({ principal }) {
        return { items: (await organizations.tree(principal)).groups.map(groupDto) };
      },
    }),
    route({
      method: 'post', path: '/business-groups', operationId: 'createBusinessGroup', tag: 'Business groups', permission: 'groups:manage',
      summary: 'Create a business group', body: s.createGroupBody, status: 201, response: s.groupSchema,
      async handler({ principal, body }) {
        return groupDto(await organizations.createGroup(principal, body));
      },
    }),
    route({
      method: 'get', path: '/business-groups/:id', operationId: 'getBusinessGroup', tag: 'Business groups', permission: 'organization:read',
      summary: 'One business group', params: s.idParams, status: 200, response: s.groupSchema,
      async handler({ principal, params }) {
        return groupDto(await organizations.getGroup(principal, params.id));
      },
    }),
    route({
      method: 'patch', path: '/business-groups/:id', operationId: 'renameBusinessGroup', tag: 'Business groups', permission: 'groups:manage',
      summary: 'Rename a business group', params: s.idParams, body: s.renameBody, status: 200, response: s.groupSchema,
      async handler({ principal, params, body }) {
        await organizations.getGroup(principal, params.id);
        return groupDto(await organizations.rename(principal, params.id, body.name));
      },
    }),
    route({
      method: 'post', path: '/business-groups/:id/move', operationId: 'moveBusinessGroup', tag: 'Business groups', permission: 'groups:manage',
      summary: 'Move a business group under another group or the root', params: s.idParams, body: s.moveGroupBody,
      status: 200, response: s.groupSchema, errors: { 409: 'group.move_cycle' },
      async handler({ principal, params, body }) {
        return groupDto(await organizations.move(principal, params.id, body.parentId));
      },
    }),
    route({
      method: 'delete', path: '/business-groups/:id', operationId: 'deleteBusinessGroup', tag: 'Business groups', permission: 'groups:manage',
      summary: 'Delete an empty business group (and its empty sub-groups)', params: s.idParams, status: 204,
      errors: { 409: 'group.not_empty' },
      async handler({ principal, params }) {
        await organizations.deleteGroup(principal, params.id);
      },
    }),

    // --- users ---
    route({
      method: 'get', path: '/users', operationId: 'listUsers', tag: 'Users', permission: 'users:read',
      summary: 'List or search the organization’s users, by username', query: s.userQuery, status: 200, response: s.userPage,
      async handler({ principal, query }) {
        const items = await users.list(principal, { search: query.search, after: decodeCursor(query.cursor), limit: query.limit + 1 });
        const pageOut = paginate(items, query.limit, (u) => u.username.toLowerCase());
        return { items: pageOut.items.map(userDto), nextCursor: pageOut.nextCursor };
      },
    }),
    route({
      method: 'get', path: '/users/:id', operationId: 'getUser', tag: 'Users', permission: 'users:read',
      summary: 'One user', params: s.idParams, status: 200, response: s.userSchema,
      async handler({ principal, params }) {
        return userDto(await users.get(principal, params.id));
      },
    }),
    route({
      method: 'patch', path: '/users/:id', operationId: 'updateUser', tag: 'Users', permission: 'users:manage',
      summary: 'Change a user’s email or name, or mark it as a service account', params: s.idParams, body: s.updateUserBody,
      status: 200, response: s.userSchema,
      async handler({ principal, params, body }) {
        let user = await users.get(principal, params.id);
        if (body.email !== undefined || body.name !== undefined) user = await users.update(principal, params.id, { email: body.email, name: body.name });
        if (body.serviceAccount !== undefined && body.serviceAccount !== user.serviceAccount) {
          user = await users.setServiceAccount(principal, params.id, body.serviceAccount);
        }
        return userDto(user);
      },
    }),
    route({
      method: 'delete', path: '/users/:id', operationId: 'removeUser', tag: 'Users', permission: 'users:manage',
      summary: 'Remove a user from the organization (the account stays, unattached)', params: s.idParams, status: 204,
      errors: { 409: 'user.is_owner' },
      async handler({ principal, params }) {
        await users.remove(principal, params.id);
      },
    }),
    route({
      method: 'post', path: '/users/:id/password-reset', operationId: 'sendPasswordReset', tag: 'Users', permission: 'users:manage',
      summary: 'Email the user a password reset link', params: s.idParams, status: 202,
      errors: { 501: 'password_reset.unavailable' },
      async handler({ principal, params }) {
        await users.sendPasswordReset(principal, params.id);
      },
    }),
    route({
      method: 'post', path: '/users/:id/mfa-reset', operationId: 'resetMfa', tag: 'Users', permission: 'users:manage',
      summary: 'Remove the user’s MFA methods so they enrol again at next sign-in', params: s.idParams, status: 204,
      errors: { 501: 'mfa_reset.unavailable' },
      async handler({ principal, params }) {
        await users.resetMfa(principal, params.id);
      },
    }),

    route({
      method: 'get', path: '/users/:id/lockout', operationId: 'getUserLockout', tag: 'Users', permission: 'users:read',
      summary: 'Whether the user’s sign-in is locked or waiting after consecutive failures', params: s.idParams, status: 200, response: s.lockoutSchema,
      async handler({ principal, params }) {
        return lockoutDto(await users.lockout(principal, params.id));
      },
    }),
    route({
      method: 'delete', path: '/users/:id/lockout', operationId: 'unlockUser', tag: 'Users', permission: 'users:manage',
      summary: 'Unlock the user’s sign-in: consecutive failures and waits are cleared', params: s.idParams, status: 204,
      async handler({ principal, params }) {
        await users.unlock(principal, params.id);
      },
    }),

    // --- MFA exemptions (service accounts only) ---
    route({
      method: 'get', path: '/mfa-exemptions', operationId: 'listMfaExemptions', tag: 'Users', permission: 'users:manage',
      summary: 'Service accounts that sign in with their password alone', status: 200, response: s.exemptionList,
      async handler({ principal }) {
        return { items: await exemptions.list(principal) };
      },
    }),
    route({
      method: 'post', path: '/mfa-exemptions/:id', operationId: 'addMfaExemption', tag: 'Users', permission: 'users:manage',
      summary: 'Waive MFA for a service account (refused for a person’s account: use a connected app)', params: s.idParams, status: 204,
      errors: { 409: 'mfa_exemption.human_account' },
      async handler({ principal, params }) {
        await exemptions.add(principal, params.id);
      },
    }),
    route({
      method: 'delete', path: '/mfa-exemptions/:id', operationId: 'removeMfaExemption', tag: 'Users', permission: 'users:manage',
      summary: 'Require MFA again for a service account', params: s.idParams, status: 204,
      async handler({ principal, params }) {
        await exemptions.remove(principal, params.id);
      },
    }),

    // --- invitations ---
    route({
      method: 'get', path: '/invitations', operationId: 'listInvitations', tag: 'Invitations', permission: 'invitations:manage',
      summary: 'Invitations, newest first (pending only unless status=all)', query: s.invitationQuery, status: 200, response: s.invitationPage,
      async handler({ principal, query }) {
        const items = await invitations.list(principal, { pendingOnly: query.status === 'pending', before: decodeCursor(query.cursor), limit: query.limit + 1 });
        const pageOut = paginate(items, query.limit, (i) => i.id);
        return { items: pageOut.items.map(invitationDto), nextCursor: pageOut.nextCursor };
      },
    }),
    route({
      method: 'post', path: '/invitations', operationId: 'createInvitation', tag: 'Invitations', permission: 'invitations:manage',
      summary: 'Invite an email address (the link is valid for a week)', body: s.createInvitationBody, status: 201, response: s.invitationSchema,
      errors: { 409: 'invitation.already_pending' },
      async handler({ principal, body }) {
        const invitation = await invitations.invite(principal, body);
        return invitationDto({ ...invitation, status: 'pending' });
      },
    }),
    route({
      method: 'get', path: '/invitations/:id', operationId: 'getInvitation', tag: 'Invitations', permission: 'invitations:manage',
      summary: 'One invitation', params: s.idParams, status: 200, response: s.invitationSchema,
      async handler({ principal, params }) {
        return invitationDto(await invitations.get(principal, params.id));
      },
    }),
    route({
      method: 'post', path: '/invitations/:id/resend', operationId: 'resendInvitation', tag: 'Invitations', permission: 'invitations:manage',
      summary: 'Send a new link valid for another week (the previous link stops working)', params: s.idParams,
      status: 200, response: s.invitationSchema, errors: { 409: 'invitation.not_pending' },
      async handler({ principal, params }) {
        return invitationDto(await invitations.resend(principal, params.id));
      },
    }),
    route({
      method: 'delete', path: '/invitations/:id', operationId: 'revokeInvitation', tag: 'Invitations', permission: 'invitations:manage',
      summary: 'Revoke an invitation', params: s.idParams, status: 204, errors: { 409: 'invitation.not_pending' },
      async handler({ principal, params }) {
        await invitations.revoke(principal, params.id);
      },
    }),

    // --- applications ---
    route({
      method: 'get', path: '/applications', operationId: 'listApplications', tag: 'Applications', permission: 'apps:manage',
      summary: 'Applications of the organization (every kind), by client id', query: s.pageQuery, status: 200, response: s.applicationPage,
      async handler({ principal, query }) {
        const items = await apps.list({ principal }, { after: decodeCursor(query.cursor), limit: query.limit + 1 });
        const pageOut = paginate(items, query.limit, (a) => a.clientId);
        return { items: pageOut.items.map(applicationDto), nextCursor: pageOut.nextCursor };
      },
    }),
    route({
      method: 'post', path: '/applications', operationId: 'createApplication', tag: 'Applications', permission: 'apps:manage',
      summary: 'Register an application; a web app’s or service’s secret is in this response only', body: s.createApplicationBody,
      status: 201, response: s.applicationWithSecret,
      async handler({ principal, body }) {
        const created = await apps.create({ principal }, body);
        return { application: applicationDto(created.app), clientSecret: created.clientSecret };
      },
    }),
    route({
      method: 'get', path: '/applications/:id', operationId: 'getApplication', tag: 'Applications', permission: 'apps:manage',
      summary: 'One application (never its secret)', params: s.idParams, status: 200, response: s.applicationSchema,
      async handler({ principal, params }) {
        return applicationDto(await apps.get({ principal }, params.id));
      },
    }),
    route({
      method: 'patch', path: '/applications/:id', operationId: 'updateApplication', tag: 'Applications', permission: 'apps:manage',
      summary: 'Change the fields sent (disable/enable with "disabled"); takes effect in every process at once', params: s.idParams,
      body: s.updateApplicationBody, status: 200, response: s.applicationSchema,
      async handler({ principal, params, body }) {
        return applicationDto(await apps.update({ principal }, params.id, body));
      },
    }),
    route({
      method: 'post', path: '/applications/:id/rotate-secret', operationId: 'rotateApplicationSecret', tag: 'Applications', permission: 'apps:manage',
      summary: 'Replace the secret of a web app or service; the new one is in this response only, the old one stops working', params: s.idParams,
      status: 200, response: s.applicationWithSecret, errors: { 409: 'Public clients have no secret (application.no_secret)' },
      async handler({ principal, params }) {
        const rotated = await apps.rotateSecret({ principal }, params.id);
        return { application: applicationDto(rotated.app), clientSecret: rotated.clientSecret };
      },
    }),
    route({
      method: 'delete', path: '/applications/:id', operationId: 'deleteApplication', tag: 'Applications', permission: 'apps:manage',
      summary: 'Delete an application: its grants, tokens, consents and sessions’ entries go with it', params: s.idParams, status: 204,
      async handler({ principal, params }) {
        await apps.remove({ principal }, params.id);
      },
    }),

    // --- connected apps: the old name of service applications (kept as an alias) ---
    route({
      method: 'get', path: '/connected-apps', operationId: 'listConnectedApps', tag: 'Connected apps (alias)', permission: 'apps:manage',
      summary: 'Service applications of the organization (alias of GET /applications for kind service)', query: s.pageQuery, status: 200, response: s.appPage,
      async handler({ principal, query }) {
        const items = await apps.list({ principal }, { after: decodeCursor(query.cursor), limit: query.limit + 1, kind: 'service' });
        const pageOut = paginate(items, query.limit, (a) => a.clientId);
        return { items: pageOut.items.map(appDto), nextCursor: pageOut.nextCursor };
      },
    }),
    route({
      method: 'post', path: '/connected-apps', operationId: 'createConnectedApp', tag: 'Connected apps (alias)', permission: 'apps:manage',
      summary: 'Create a service application (client credentials); its secret is in this response only', body: s.createAppBody,
      status: 201, response: s.appWithSecret,
      async handler({ principal, body }) {
        const created = await apps.create({ principal }, { kind: 'service', name: body.name, scopes: body.scopes });
        return { app: appDto(created.app), clientSecret: created.clientSecret! };
      },
    }),
    route({
      method: 'get', path: '/connected-apps/:id', operationId: 'getConnectedApp', tag: 'Connected apps (alias)', permission: 'apps:manage',
      summary: 'One service application (never its secret)', params: s.idParams, status: 200, response: s.appSchema,
      async handler({ principal, params }) {
        return appDto(await serviceApp(principal, params.id));
      },
    }),
    route({
      method: 'post', path: '/connected-apps/:id/rotate-secret', operationId: 'rotateConnectedAppSecret', tag: 'Connected apps (alias)', permission: 'apps:manage',
      summary: 'Replace the app’s secret; the new one is in this response only', params: s.idParams, status: 200, response: s.appWithSecret,
      async handler({ principal, params }) {
        await serviceApp(principal, params.id);
        const rotated = await apps.rotateSecret({ principal }, params.id);
        return { app: appDto(rotated.app), clientSecret: rotated.clientSecret! };
      },
    }),
    route({
      method: 'delete', path: '/connected-apps/:id', operationId: 'deleteConnectedApp', tag: 'Connected apps (alias)', permission: 'apps:manage',
      summary: 'Delete a service application (its tokens stop working at once)', params: s.idParams, status: 204,
      async handler({ principal, params }) {
        await serviceApp(principal, params.id);
        await apps.remove({ principal }, params.id);
      },
    }),

    // --- audit log ---
    route({
      method: 'get', path: '/audit-events', operationId: 'listAuditEvents', tag: 'Audit log', permission: 'audit:read',
      summary: 'Audit events of the organization, newest first, filtered', query: s.auditQuery, status: 200, response: s.auditPage,
      async handler({ principal, query }) {
        assertCan(principal, 'audit:read');
        const before = decodeCursor(query.cursor);
        if (before !== undefined && !/^\d{1,19}$/.test(before)) throw new DomainError('request.invalid_cursor', { status: 400 });
        const filter = await withAccountFilter(auditNames, auditFilter(principal, query), query.username);
        if (!filter) return { items: [], nextCursor: null };
        const items = await auditReader.query({ ...filter, before, limit: query.limit + 1 });
        const pageOut = paginate(items, query.limit, (e) => e.id);
        const names = await auditNames.resolve(principal.organizationId, pageOut.items.flatMap((e) => [e.actor, e.target]));
        return { items: pageOut.items.map((e) => auditDto(e, names)), nextCursor: pageOut.nextCursor };
      },
    }),
    route({
      method: 'get', path: '/audit-events/export', operationId: 'exportAuditEvents', tag: 'Audit log', permission: 'audit:read',
      summary: 'Every matching audit event as JSON Lines (one AuditEvent per line), newest first',
      query: s.auditFilterQuery, status: 200, contentType: 'application/jsonl',
      async handler({ principal, query, ctx }) {
        assertCan(principal, 'audit:read');
        const filter = await withAccountFilter(auditNames, auditFilter(principal, query), query.username);
        ctx.set('Content-Disposition', 'attachment; filename="audit-events.jsonl"');
        async function* lines() {
          if (!filter) return;
          let before: string | undefined;
          for (;;) {
            const batch = await auditReader.query({ ...filter, before, limit: EXPORT_BATCH });
            const names = await auditNames.resolve(principal.organizationId, batch.flatMap((e) => [e.actor, e.target]));
            for (const event of batch) yield `${JSON.stringify(s.auditEventSchema.parse(auditDto(event, names)))}\n`;
            if (batch.length < EXPORT_BATCH) return;
            before = batch[batch.length - 1].id;
          }
        }
        const { Readable } = await import('node:stream');
        return Readable.from(lines());
      },
    }),
  ];
}
