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
import * as addMfaColumnsToCredentials from './20261123180000_add_mfa_columns_to_credentials.ts';
import * as addMfaExemptToAccounts from './20261123180100_add_mfa_exempt_to_accounts.ts';
import * as addRootIdToOrganizations from './20261123170000_add_root_id_to_organizations.ts';
import * as addOneOwnerPerOrganization from './20261123170100_add_one_owner_per_organization.ts';
import * as createInvitations from './20261123170200_create_invitations.ts';
import * as addHashChainToAuditEvents from './20261123170300_add_hash_chain_to_audit_events.ts';
import * as createAuditChainHeads from './20261123170400_create_audit_chain_heads.ts';
import * as indexOidcClientsByOrganization from './20261123170500_index_oidc_clients_by_organization.ts';
import * as createEmailCodes from './20261123160000_create_email_codes.ts';
import * as createPasswordResetTokens from './20261123160100_create_password_reset_tokens.ts';
import * as createAccountProviderState from './20261123160200_create_account_provider_state.ts';
import * as createCaptchaSpent from './20261123160300_create_captcha_spent.ts';
import * as createIdentityProviders from './20261123190000_create_identity_providers.ts';
import * as createOrganizationDomains from './20261123190100_create_organization_domains.ts';
import * as createFederationSettings from './20261123190200_create_federation_settings.ts';
import * as createFederatedIdentities from './20261123190300_create_federated_identities.ts';
import * as addOneIdentityPerIdpPerAccount from './20261123190400_add_one_identity_per_idp_per_account.ts';
import * as addChainPositionToAuditEvents from './20261201140000_add_chain_position_to_audit_events.ts';
import * as createRateLimits from './20261201141000_create_rate_limits.ts';
import * as createAccountDevices from './20261201140100_create_account_devices.ts';
import * as createClientGrants from './20261201100000_create_client_grants.ts';
import * as createApplicationConsents from './20261201100100_create_application_consents.ts';
import * as createOrganizationBranding from './20261201151000_create_organization_branding.ts';
import * as addTokenEndpointAuthMethodToIdentityProviders from './20261201160000_add_token_endpoint_auth_method_to_identity_providers.ts';
import * as addLanguageToAccounts from './20261201170000_add_language_to_accounts.ts';

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
  addMfaColumnsToCredentials,
  addMfaExemptToAccounts,
  addRootIdToOrganizations,
  addOneOwnerPerOrganization,
  createInvitations,
  addHashChainToAuditEvents,
  createAuditChainHeads,
  indexOidcClientsByOrganization,
  createEmailCodes,
  createPasswordResetTokens,
  createAccountProviderState,
  createCaptchaSpent,
  createIdentityProviders,
  createOrganizationDomains,
  createFederationSettings,
  createFederatedIdentities,
  addOneIdentityPerIdpPerAccount,
  addChainPositionToAuditEvents,
  createRateLimits,
  createAccountDevices,
  createClientGrants,
  createApplicationConsents,
  createOrganizationBranding,
  addTokenEndpointAuthMethodToIdentityProviders,
  addLanguageToAccounts,
];
