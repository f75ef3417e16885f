import assert from 'node:assert/strict';
import { accentPalette, accentViolations, contrastRatio, displayNameViolations, logoViolations, MIN_TEXT_CONTRAST, sniffLogoType } from './branding-rules.ts';
import { BRANDING_LOGO_MAX_BYTES } from './security-constants.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const JPEG = Buffer.from('ffd8ffe000104a464946', 'hex');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x10, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

describe('branding rules', () => {
  const colours: [string | null, boolean][] = [
    ['#2a4d8f', true], ['#FFFFFF', true], [null, true],
    ['2a4d8f', false], ['#2a4d8', false], ['#2a4d8fz', false], ['red', false], ['#2a4d8f; background:url(x)', false], ['', false],
  ];
  for (const [colour, ok] of colours) {
    it(`accent ${JSON.stringify(colour)} is ${ok ? 'accepted' : 'refused'}`, () => assert.equal(accentViolations(colour).length === 0, ok));
  }

  it('display names: up to 80 characters, no control characters; null means "use the organization name"', () => {
    assert.deepEqual(displayNameViolations(null), []);
    assert.deepEqual(displayNameViolations('Acme — Sign in'), []);
    assert.equal(displayNameViolations('x'.repeat(81))[0].code, 'branding.display_name_too_long');
    assert.equal(displayNameViolations('Acme\u0007')[0].code, 'branding.display_name_invalid');
  });

  const files: [string, Buffer, string | undefined, string | null][] = [
    ['a PNG', PNG, 'image/png', null],
    ['a JPEG', JPEG, 'image/jpeg', null],
    ['a WebP', WEBP, 'image/webp', null],
    ['a PNG sent as octet-stream', PNG, 'application/octet-stream', null],
    ['an SVG (can carry script)', SVG, 'image/svg+xml', 'branding.logo_type'],
    ['an SVG labelled image/png', SVG, 'image/png', 'branding.logo_type'],
    ['a PNG labelled image/jpeg', PNG, 'image/jpeg', 'branding.logo_type'],
    ['HTML', Buffer.from('<html><script>x</script>'), 'text/html', 'branding.logo_type'],
    ['an empty file', Buffer.alloc(0), 'image/png', 'branding.logo_missing'],
    ['a PNG one byte too large', Buffer.concat([PNG, Buffer.alloc(BRANDING_LOGO_MAX_BYTES - PNG.length + 1)]), 'image/png', 'branding.logo_too_large'],
  ];
  for (const [what, bytes, declared, code] of files) {
    it(`logo: ${what} → ${code ?? 'accepted'}`, () => assert.equal(logoViolations(bytes, declared)[0]?.code ?? null, code));
  }
  it('detects the type from the bytes', () => {
    assert.equal(sniffLogoType(PNG), 'image/png');
    assert.equal(sniffLogoType(JPEG), 'image/jpeg');
    assert.equal(sniffLogoType(WEBP), 'image/webp');
    assert.equal(sniffLogoType(SVG), undefined);
  });

  it('contrast ratio follows WCAG: black on white is 21:1, a colour against itself 1:1', () => {
    assert.equal(Math.round(contrastRatio('#000000', '#ffffff')), 21);
    assert.equal(contrastRatio('#2a4d8f', '#2a4d8f'), 1);
  });

  for (const accent of ['#ffff00', '#00ff00', '#2a4d8f', '#000000', '#ffffff', '#ff6600', '#7fdbff', '#777777', '#808080']) {
    it(`accent ${accent}: its link text reaches 4.5:1 on white and its button text reaches 4.5:1 on the button`, () => {
      const p = accentPalette(accent);
      assert.ok(contrastRatio(p.accentText, '#ffffff') >= MIN_TEXT_CONTRAST, `${p.accentText} on white`);
      assert.ok(contrastRatio(p.onAccent, p.accent) >= 4.5 , `${p.onAccent} on ${p.accent}`);
    });
  }
  it('a dark enough accent is used as it is', () => assert.equal(accentPalette('#2A4D8F').accentText, '#2a4d8f'));
});
