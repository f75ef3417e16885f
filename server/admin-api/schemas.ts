// The admin API's request and response shapes. Routes validate with them and the OpenAPI document
// is generated from them (server/admin-api/openapi.ts), so the two cannot drift apart.
import { z } from 'zod';
import 'zod-openapi';
import { PERMISSIONS } from '../../accounts/permissions.ts';
import { APPLICATION_KINDS, MAX_REDIRECT_URIS, MAX_WEB_ORIGINS } from '../../accounts/application.ts';
import { ADMIN_API_MAX_PAGE_SIZE } from '../../accounts/security-constants.ts';

const id = (description: string) => z.uuid().meta({ description });
const timestamp = z.iso.datetime({ offset: true }).meta({ description: 'RFC 3339 date-time', example: '2026-11-23T17:00:00.000Z' });

export const errorSchema = z
  .object({
    code: z.string().meta({ description: 'Stable, namespaced error code', example: 'user.not_found' }),
    message: z.string().meta({ description: 'Human-readable explanation' }),
    details: z
      .array(z.object({ field: z.string(), code: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'One entry per invalid field (validation errors)' }),
  })
  .meta({ id: 'Error' });

export const permissionSchema = z.enum(PERMISSIONS).meta({ id: 'Permission' });
export const roleSchema = z.enum(['owner', 'admin', 'member']).meta({ id: 'Role' });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(ADMIN_API_MAX_PAGE_SIZE).default(50).meta({ description: `Page size (1–${ADMIN_API_MAX_PAGE_SIZE})` }),
  cursor: z.string().max(500).optional().meta({ description: 'The nextCursor of the previous page' }),
});

const page = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'Pass as cursor to get the next page; null on the last page' }),
    })
    .meta({ id: name });

export const idParams = z.object({ id: z.string().max(200).meta({ description: 'Identifier' }) });

// --- organizations and business groups ---
export const groupSchema = z
  .object({
    id: id('Business group id (shown to its members)'),
    name: z.string(),
    parentId: z.uuid().meta({ description: 'The organization or group it sits in' }),
    memberCount: z.number().int().optional(),
    createdAt: timestamp,
  })
  .meta({ id: 'BusinessGroup' });

export const organizationSchema = z
  .object({
    id: id('Root organization id'),
    name: z.string(),
    createdAt: timestamp,
    businessGroups: z.array(groupSchema),
  })
  .meta({ id: 'Organization' });

export const renameBody = z.strictObject({ name: z.string().max(500) });
export const createGroupBody = z.strictObject({
  name: z.string().max(500),
  parentId: z.uuid().optional().meta({ description: 'Defaults to the root organization' }),
});
export const moveGroupBody = z.strictObject({ parentId: z.uuid() });
export const transferOwnershipBody = z.strictObject({ accountId: z.uuid().meta({ description: 'The member who becomes owner' }) });
export const groupList = z.object({ items: z.array(groupSchema) }).meta({ id: 'BusinessGroupList' });

// --- users ---
export const userSchema = z
  .object({
    id: id('Account id'),
    username: z.string(),
    email: z.string(),
    emailVerified: z.boolean(),
    name: z.string().nullable(),
    serviceAccount: z.boolean(),
    createdAt: timestamp,
    roles: z.array(roleSchema),
    memberships: z.array(z.object({ organizationId: z.uuid(), role: roleSchema })),
    permissions: z.array(permissionSchema),
  })
  .meta({ id: 'User' });
export const userPage = page(userSchema, 'UserPage');
export const lockoutSchema = z
  .object({
    locked: z.boolean().meta({ description: 'Sign-in is refused, even with the right password, until lockedUntil (or an unlock)' }),
    failures: z.number().int().meta({ description: 'Consecutive failed sign-in factors (password, MFA) counted now' }),
    lockedUntil: timestamp.nullable(),
    waitSeconds: z.number().int().meta({ description: 'Seconds before the next sign-in attempt is accepted (a lockout or a shorter back-off wait); 0 when none' }),
  })
  .meta({ id: 'Lockout' });
export const userQuery = pageQuery.extend({
  search: z.string().max(200).optional().meta({ description: 'Part of a username, email or name' }),
});
export const updateUserBody = z
  .strictObject({
    email: z.string().max(254).optional(),
    name: z.string().max(500).nullable().optional(),
    serviceAccount: z.boolean().optional().meta({ description: 'Mark (or unmark) as a service account' }),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change.' });

// --- invitations ---
export const invitationSchema = z
  .object({
    id: id('Invitation id'),
    email: z.string(),
    role: z.enum(['member', 'admin']),
    businessGroupId: z.uuid(),
    status: z.enum(['pending', 'expired', 'accepted', 'revoked']),
    invitedBy: z.string(),
    createdAt: timestamp,
    sentAt: timestamp,
    expiresAt: timestamp,
    acceptedAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'Invitation' });
export const invitationPage = page(invitationSchema, 'InvitationPage');
export const invitationQuery = pageQuery.extend({
  status: z.enum(['pending', 'all']).default('pending'),
});
export const createInvitationBody = z.strictObject({
  email: z.string().max(254),
  role: z.enum(['member', 'admin']).default('member'),
  businessGroupId: z.uuid().optional().meta({ description: 'Defaults to the root organization' }),
});

// --- connected apps ---
export const appSchema = z
  .object({
    clientId: z.string(),
    name: z.string(),
    scopes: z.array(permissionSchema),
    createdAt: timestamp,
  })
  .meta({ id: 'ConnectedApp' });
export const appPage = page(appSchema, 'ConnectedAppPage');
export const appWithSecret = z
  .object({
    app: appSchema,
    clientSecret: z.string().meta({ description: 'Shown once: only a digest is stored' }),
  })
  .meta({ id: 'ConnectedAppSecret' });
export const createAppBody = z.strictObject({
  name: z.string().max(500),
  scopes: z.array(z.string().max(100)).max(20).meta({ description: 'Permissions granted to the app (see Permission)' }),
});

// --- applications (web, single-page, native, service) ---
const uriList = (max: number, what: string, description: string) =>
  z.array(z.string().max(2000)).max(max, { message: `At most ${max} ${what}.` }).meta({ description });
export const applicationKindSchema = z.enum(APPLICATION_KINDS).meta({
  id: 'ApplicationKind',
  description: 'web: confidential, code + PKCE · spa: public, PKCE, web origins (CORS) · native: public, PKCE, loopback and private-use redirect URIs (RFC 8252) · service: client credentials with API permissions (a connected app)',
});
export const applicationSchema = z
  .object({
    clientId: z.string(),
    kind: applicationKindSchema,
    name: z.string(),
    logoUri: z.string().nullable(),
    redirectUris: z.array(z.string()),
    postLogoutRedirectUris: z.array(z.string()),
    webOrigins: z.array(z.string()),
    backchannelLogoutUri: z.string().nullable(),
    backchannelLogoutSessionRequired: z.boolean(),
    scopes: z.array(z.string()),
    firstParty: z.boolean(),
    disabled: z.boolean(),
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
    jwksUri: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Application' });
export const applicationPage = page(applicationSchema, 'ApplicationPage');
export const applicationWithSecret = z
  .object({
    application: applicationSchema,
    clientSecret: z.string().nullable().meta({ description: 'Shown once (web and service applications; null for public clients): only a digest is stored' }),
  })
  .meta({ id: 'ApplicationSecret' });
const applicationFields = {
  name: z.string().max(500),
  logoUri: z.string().max(2000).nullable().optional(),
  redirectUris: uriList(MAX_REDIRECT_URIS, 'redirect URIs', 'Exact redirect URIs: https (http only for localhost and loopback), no fragments, no wildcards; native apps may use a reverse-domain private-use scheme').optional(),
  postLogoutRedirectUris: uriList(MAX_REDIRECT_URIS, 'post-logout redirect URIs', 'Where RP-initiated logout may return to (same rules as redirect URIs)').optional(),
  webOrigins: uriList(MAX_WEB_ORIGINS, 'web origins', 'Origins (scheme://host[:port]) allowed to call the token, userinfo, revocation and introspection endpoints from a browser (CORS)').optional(),
  backchannelLogoutUri: z.string().max(2000).nullable().optional().meta({ description: 'OIDC Back-Channel Logout endpoint: https (http only for localhost)' }),
  backchannelLogoutSessionRequired: z.boolean().optional().meta({ description: 'Logout tokens carry sid' }),
  scopes: z.array(z.string().max(100)).max(30).optional().meta({ description: 'Allowed scopes: openid profile email phone org offline_access (interactive apps, default all) or API permissions (service)' }),
  firstParty: z.boolean().optional().meta({ description: 'Skips the consent page for the organization’s own people' }),
  disabled: z.boolean().optional().meta({ description: 'Sign-ins and token requests are refused while disabled' }),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']).optional().meta({ description: 'Web applications (default client_secret_basic); services use a secret' }),
  jwksUri: z.string().max(2000).nullable().optional().meta({ description: 'private_key_jwt: where the app publishes its public keys (https)' }),
};
export const createApplicationBody = z.strictObject({ kind: applicationKindSchema, ...applicationFields });
export const updateApplicationBody = z
  .strictObject({ ...applicationFields, name: applicationFields.name.optional() })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change.' });

// --- audit log ---
export const auditEventSchema = z
  .object({
    id: z.string(),
    occurredAt: timestamp,
    actor: z.string().nullable().meta({ description: 'Account id, client id or "system"' }),
    actorName: z.string().nullable().meta({ description: 'The actor’s username or app name; null when the id names nothing known' }),
    action: z.string(),
    target: z.string().nullable(),
    targetName: z.string().nullable().meta({ description: 'The target’s username, app name or identity provider name' }),
    organizationId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    outcome: z.enum(['success', 'failure', 'denied']),
    details: z.record(z.string(), z.unknown()).nullable(),
    hash: z.string().nullable().meta({ description: 'This event’s link in the organization’s hash chain; null for a moment after it is written, until the chain links it (about 0.1 s)' }),
  })
  .meta({ id: 'AuditEvent' });
export const auditPage = page(auditEventSchema, 'AuditEventPage');
export const auditFilterQuery = z.object({
  actor: z.string().max(200).optional().meta({ description: 'An actor id' }),
  target: z.string().max(200).optional().meta({ description: 'A target id' }),
  username: z.string().max(100).optional().meta({ description: 'Events whose actor or target is the account with this username' }),
  action: z.string().max(64).optional().meta({ description: 'An action, or a prefix ending in "." (e.g. "session.")' }),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Inclusive lower bound' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Exclusive upper bound' }),
});
export const auditQuery = pageQuery.extend(auditFilterQuery.shape);

export const exemptionList = z
  .object({ items: z.array(z.object({ id: z.uuid(), username: z.string(), email: z.string() })) })
  .meta({ id: 'MfaExemptionList' });
