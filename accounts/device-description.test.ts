import assert from 'node:assert/strict';
import { describePlace, describeUserAgent, normalizeIp } from './device-description.ts';

describe('device description', () => {
  const cases: { ua: string; label: string; fingerprint: string }[] = [
    {
      ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36',
      label: 'Chrome 120 on macOS Catalina',
      fingerprint: 'chrome|macos',
    },
    {
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
      label: 'Firefox 121 on Windows 10',
      fingerprint: 'firefox|windows',
    },
    {
      ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      label: 'Safari 17 on iOS 17',
      fingerprint: 'safari|ios',
    },
    {
      ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
      label: 'Chrome 120 on Linux',
      fingerprint: 'chrome|linux',
    },
    { ua: 'curl/8.4.0', label: 'Unknown browser', fingerprint: 'unknown|unknown' },
    { ua: '', label: 'Unknown browser', fingerprint: 'unknown|unknown' },
  ];
  for (const c of cases) {
    it(`${c.label} ← ${c.ua.slice(0, 60) || '(no User-Agent)'}`, () => {
      const d = describeUserAgent(c.ua);
      assert.equal(d.label, c.label);
      assert.equal(d.fingerprint, c.fingerprint);
    });
  }

  it('a browser update is the same device; another browser on the same system is not', () => {
    const old = describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36');
    const updated = describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36');
    const firefox = describeUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0');
    assert.equal(old.fingerprint, updated.fingerprint);
    assert.notEqual(old.fingerprint, firefox.fingerprint);
  });

  const places: [string | null, string | null][] = [
    ['127.0.0.1', 'This computer (loopback)'],
    ['::1', 'This computer (loopback)'],
    ['::ffff:127.0.0.1', 'This computer (loopback)'],
    ['10.1.2.3', 'Private network'],
    ['172.16.0.9', 'Private network'],
    ['172.32.0.9', null],
    ['192.168.1.20', 'Private network'],
    ['fd12:3456::1', 'Private network'],
    ['fe80::1', 'Private network (link-local)'],
    ['169.254.10.1', 'Private network (link-local)'],
    ['100.64.0.1', 'Carrier network (shared address)'],
    ['8.8.8.8', null],
    ['2001:4860:4860::8888', null],
    ['not an ip', null],
    [null, null],
  ];
  for (const [ip, place] of places) {
    it(`${ip} → ${place ?? 'nothing said'}`, () => assert.equal(describePlace(ip), place));
  }

  it('reports IPv4-mapped addresses as IPv4', () => {
    assert.equal(normalizeIp('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(normalizeIp('garbage'), null);
  });
});
