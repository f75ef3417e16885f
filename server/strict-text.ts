// Text from the wire is checked once, at the edge: it must be valid UTF-8, well-formed (no lone
// surrogates) and free of NUL. PostgreSQL refuses 0x00 and broken sequences in text, so without
// this a stray byte in any field became a 500 deep in a query; now it is a 400 that says why.
import { DomainError } from '../accounts/errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class BadTextError extends DomainError {
  constructor(where: string, problem: 'utf8' | 'nul' | 'escape') {
    const what = problem === 'nul'
      ? 'contains a NUL character'
      : problem === 'escape' ? 'has a malformed %-escape' : 'is not valid UTF-8 text';
    super('request.invalid_text', { status: 400, vars: { detail: `The request's ${where} ${what}.` } });
  }
}

/** Decodes bytes as UTF-8, refusing broken sequences instead of replacing them with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return assertCleanText(utf8.decode(bytes), where);
  } catch (err) {
    if (err instanceof BadTextError) throw err;
    throw new BadTextError(where, 'utf8');
  }
}

/** U+0001–U+007F except '%': text that needs neither percent-decoding nor a UTF-8 check. */
const ASCII_WITHOUT_ESCAPES = /^[\x01-\x24\x26-\x7f]*$/;

/**
 * Percent-decodes one URL component (path segment, query or form key/value) to its bytes, then UTF-8.
 * Raw request-line bytes arrive from Node as latin1 code units, so they are taken byte for byte.
 */
export function decodeComponent(raw: string, where: string, plusIsSpace = false): string {
  // ASCII without NUL or %-escapes decodes to itself: most components take no byte array and no decoder.
  if (ASCII_WITHOUT_ESCAPES.test(raw) && !(plusIsSpace && raw.includes('+'))) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charCodeAt(i);
    if (ch === 0x25 /* % */) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new BadTextError(where, 'escape');
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (plusIsSpace && ch === 0x2b /* + */) {
      bytes.push(0x20);
    } else if (ch > 0xff) {
      // Already-decoded text (a JS string from elsewhere): encode it back as UTF-8.
      bytes.push(...Buffer.from(raw[i], 'utf8'));
    } else {
      bytes.push(ch);
    }
  }
  return decodeUtf8(Uint8Array.from(bytes), where);
}

export function assertCleanText(value: string, where: string): string {
  if (value.includes('\u0000')) throw new BadTextError(where, 'nul');
  if (!value.isWellFormed()) throw new BadTextError(where, 'utf8');
  return value;
}

/** Every string inside a parsed JSON value (keys included) passes assertCleanText. */
export function assertCleanJson(value: unknown, where: string): void {
  if (typeof value === 'string') assertCleanText(value, where);
  else if (Array.isArray(value)) for (const item of value) assertCleanJson(item, where);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      assertCleanText(k, where);
      assertCleanJson(v, where);
    }
  }
}

/** application/x-www-form-urlencoded (and query strings), strictly: repeated keys keep the first value. */
export function parseFormStrict(raw: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === '') return out;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq), where, true);
    const value = decodeComponent(eq === -1 ? '' : pair.slice(eq + 1), where, true);
    if (!Object.hasOwn(out, key)) out[key] = value;
  }
  return out;
}
