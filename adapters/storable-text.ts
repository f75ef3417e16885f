// PostgreSQL text cannot hold NUL or ill-formed UTF-16 (it raises "invalid byte sequence"), so a
// lookup by such a key would fail as a server error. No stored key can contain them, so a lookup by
// one finds nothing: oidc-provider then answers with its own 4xx (invalid_client, invalid_grant…).
export function isStorableText(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\u0000') && value.isWellFormed();
}
