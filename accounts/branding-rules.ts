// The rules of an organization's branding, pure: display name and accent colour validation, logo
// type detection from the file's own bytes (never the declared type or file name), and the accent
// palette that keeps text readable (WCAG 2.2 §1.4.3: 4.5:1 for text).
import { BRANDING_LOGO_MAX_BYTES } from './security-constants.ts';
import { violation, type RuleViolation } from './errors.ts';

export const DISPLAY_NAME_MAX = 80;
export const ACCENT_PATTERN = /^#[0-9a-f]{6}$/i;

/**
 * Logo types we serve. SVG is refused on purpose: it is a document that can carry script, and a raster
 * logo needs no sanitizer. Each has its magic number (the file's first bytes).
 */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];

export function displayNameViolations(name: string | null): RuleViolation[] {
  if (name === null) return [];
  if (name.length > DISPLAY_NAME_MAX) return [violation('displayName', 'branding.display_name_too_long', { max: DISPLAY_NAME_MAX })];
  // Control characters would break the page title and header.
  if (/\p{Cc}/u.test(name)) return [violation('displayName', 'branding.display_name_invalid')];
  return [];
}

export function accentViolations(color: string | null): RuleViolation[] {
  if (color === null || ACCENT_PATTERN.test(color)) return [];
  return [violation('accentColor', 'branding.accent_invalid')];
}

/** The image type of `bytes` by its magic number, or undefined when it is none we accept. */
export function sniffLogoType(bytes: Buffer): LogoType | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

export function logoViolations(bytes: Buffer, declaredType?: string): RuleViolation[] {
  if (bytes.length === 0) return [violation('logo', 'branding.logo_missing')];
  if (bytes.length > BRANDING_LOGO_MAX_BYTES) {
    return [violation('logo', 'branding.logo_too_large', { kb: BRANDING_LOGO_MAX_BYTES / 1024 })];
  }
  const type = sniffLogoType(bytes);
  if (!type) return [violation('logo', 'branding.logo_type')];
  // A declared type that disagrees with the bytes is a mislabelled (or disguised) file.
  if (declaredType && declaredType !== 'application/octet-stream' && declaredType.toLowerCase() !== type) {
    return [violation('logo', 'branding.logo_type')];
  }
  return [];
}

// --- contrast (WCAG 2.2 relative luminance and contrast ratio) ---

const channel = (c: number) => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};
const rgbOf = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
const hexOf = (rgb: number[]) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

export function luminance(hex: string): number {
  const [r, g, b] = rgbOf(hex).map(channel);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

export const MIN_TEXT_CONTRAST = 4.5;
const WHITE = '#ffffff';
const DARK = '#111111';

/**
 * The colours pages use for an accent: the button colour and the text on it (white or near-black,
 * whichever contrasts more; when neither reaches 4.5:1 the button takes the darkened accent with white),
 * and the accent as text on white, darkened until it reaches 4.5:1 — so any colour an administrator
 * picks stays readable.
 */
export function accentPalette(accent: string) {
  const color = accent.toLowerCase();
  let text = rgbOf(color);
  while (contrastRatio(hexOf(text), WHITE) < MIN_TEXT_CONTRAST) text = text.map((c) => c * 0.9);
  const accentText = hexOf(text);
  const onAccent = contrastRatio(color, WHITE) >= contrastRatio(color, DARK) ? WHITE : DARK;
  if (contrastRatio(color, onAccent) >= MIN_TEXT_CONTRAST) return { accent: color, onAccent, accentText };
  return { accent: accentText, onAccent: WHITE, accentText };
}
