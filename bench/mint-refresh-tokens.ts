// Refresh tokens as a finished code flow leaves them (a grant for openid + offline_access and
// a refresh token of that grant), minted through the provider's own models so the bare provider
// and Gatehouse start the refresh-token figure from the same state without timing any login.
import type Provider from 'oidc-provider';

type Models = {
  Grant: new (payload: { accountId: string; clientId: string }) => { addOIDCScope(scope: string): void; save(): Promise<string> };
  RefreshToken: new (payload: Record<string, unknown>) => { save(): Promise<string> };
};

export async function mintRefreshTokens(provider: Provider, { clientId, accountId, count }: { clientId: string; accountId: string; count: number }) {
  const client = await provider.Client.find(clientId);
  if (!client) throw new Error(`no client ${clientId}`);
  const { Grant, RefreshToken } = provider as unknown as Models;
  const scope = 'openid offline_access';
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const grant = new Grant({ accountId, clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const token = new RefreshToken({ client, accountId, grantId, scope, gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000), amr: ['pwd'] });
    tokens.push(await token.save());
  }
  return tokens;
}
