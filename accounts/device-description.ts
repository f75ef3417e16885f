// What a person reads about a device and a place: the browser and system named from the
// User-Agent by bowser (a maintained parser, not a regex of ours), and where an IP address is,
// as far as can be told without asking anyone else (no geolocation service, no reverse DNS).
import Bowser from 'bowser';
import { isIP } from 'node:net';
import type { Message } from './messages/language.ts';

export type DeviceDescription = {
  /** "Chrome 120", or null when the User-Agent names no browser we know. */
  browser: string | null;
  /** "macOS 14.2", "Windows 10", or null. */
  system: string | null;
  /** One line for pages and emails: "Chrome 120 on macOS 14.2", "Unknown browser". */
  label: string;
  /**
   * Browser family + system family ("chrome|macos"): what "a device never seen for this account"
   * compares. Versions are left out, so an update does not look like a new device.
   */
  fingerprint: string;
};

/** Major version only: "120.0.6099.71" → "120"; people recognise the major number. */
const major = (version: string | undefined) => version?.split('.')[0] || '';

export function describeUserAgent(userAgent: string | null | undefined): DeviceDescription {
  const ua = (userAgent ?? '').slice(0, 512).trim();
  if (!ua) return { browser: null, system: null, label: 'Unknown browser', fingerprint: 'unknown|unknown' };
  const parsed = Bowser.parse(ua);
  const browserName = parsed.browser.name || null;
  const browser = browserName ? [browserName, major(parsed.browser.version)].filter(Boolean).join(' ') : null;
  const osName = parsed.os.name || null;
  // Windows and Android report a release name (versionName) people know better than the kernel number.
  const osVersion = parsed.os.versionName || major(parsed.os.version);
  const system = osName ? [osName, osVersion].filter(Boolean).join(' ') : null;
  const label = browser && system ? `${browser} on ${system}` : browser ?? (system ? `Unknown browser on ${system}` : 'Unknown browser');
  const family = (v: string | null) => (v ?? 'unknown').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return { browser, system, label, fingerprint: `${family(browserName)}|${family(osName)}` };
}

/** Strips the IPv4-mapped prefix Node reports on dual-stack sockets ("::ffff:10.0.0.1"). */
export function normalizeIp(ip: string | null | undefined): string | null {
  if (!ip) return null;
  const bare = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return isIP(bare) ? bare : null;
}

function ipv4Parts(ip: string): number[] {
  return ip.split('.').map(Number);
}

type PlaceKind = 'loopback' | 'private' | 'link_local' | 'carrier';

/**
 * Where an address is, when the address itself says so: this computer (loopback), a private
 * network (RFC 1918, RFC 4193 unique-local, link-local), a carrier's shared network (RFC 6598).
 * Anything else is a public address, for which we say nothing rather than guess.
 */
function placeKind(ip: string | null | undefined): PlaceKind | null {
  const address = normalizeIp(ip);
  if (!address) return null;
  if (isIP(address) === 4) {
    const [a, b] = ipv4Parts(address);
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
    if (a === 169 && b === 254) return 'link_local';
    if (a === 100 && b >= 64 && b <= 127) return 'carrier';
    return null;
  }
  const lower = address.toLowerCase();
  if (lower === '::1') return 'loopback';
  if (/^f[cd][0-9a-f]{2}:/.test(lower)) return 'private';
  if (/^fe[89ab][0-9a-f]:/.test(lower)) return 'link_local';
  return null;
}

const PLACE_IN_ENGLISH: Record<PlaceKind, string> = {
  loopback: 'This computer (loopback)',
  private: 'Private network',
  link_local: 'Private network (link-local)',
  carrier: 'Carrier network (shared address)',
};

/** The place in English (the admin API's `place`). */
export function describePlace(ip: string | null | undefined): string | null {
  const kind = placeKind(ip);
  return kind ? PLACE_IN_ENGLISH[kind] : null;
}

/** The place as a catalog message, for a reader in any language (emails). */
export function placeMessage(ip: string | null | undefined): Message | null {
  const kind = placeKind(ip);
  return kind ? { code: `place.${kind}` } : null;
}

/** A device's line as a catalog message; the browser and system names stay as the User-Agent gives them. */
export function deviceMessage(d: Pick<DeviceDescription, 'browser' | 'system'>): Message {
  if (d.browser && d.system) return { code: 'device.browser_on_system', vars: { browser: d.browser, system: d.system } };
  if (d.browser) return { code: 'device.browser', vars: { browser: d.browser } };
  if (d.system) return { code: 'device.unknown_browser_on', vars: { system: d.system } };
  return { code: 'device.unknown_browser' };
}
