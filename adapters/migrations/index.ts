// Ordered list of migrations. Each file is timestamped, makes one change, and says why.
import * as createOrganizations from './20261123150000_create_organizations.ts';
import * as createAccounts from './20261123150100_create_accounts.ts';
import * as createCredentials from './20261123150200_create_credentials.ts';
import * as createCredentialIdentifiers from './20261123150300_create_credential_identifiers.ts';
import * as createMemberships from './20261123150400_create_memberships.ts';
import * as createAuditEvents from './20261123150500_create_audit_events.ts';
import * as createOidcClients from './20261123150600_create_oidc_clients.ts';
import * as createOidcPayloads from './20261123150700_create_oidc_payloads.ts';
import * as createSigningKeys from './20261123150800_create_signing_keys.ts';

export const migrations = [
  createOrganizations,
  createAccounts,
  createCredentials,
  createCredentialIdentifiers,
  createMemberships,
  createAuditEvents,
  createOidcClients,
  createOidcPayloads,
  createSigningKeys,
];
