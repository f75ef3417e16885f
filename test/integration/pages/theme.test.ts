// THEME_DIR: an operator overrides any template by name and adds theme.css after the base CSS,
// without forking; templates the theme does not have stay Gatehouse's; a server without a theme is unchanged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { CookieJar, request } from '../../helpers/browserless-user.ts';

export function writeTheme(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-theme-'));
  // An override extends our layout (so it stays a Gatehouse page) and replaces one template's content.
  fs.writeFileSync(path.join(dir, 'terms.njk'), '{% extends "layout.njk" %}{% block content %}<p data-testid="theme/terms">Our own terms, from the theme.</p>{% endblock %}');
  fs.writeFileSync(path.join(dir, 'theme.css'), ':root { --accent: #7a0f5a; --accent-text: #7a0f5a; }\nh1 { letter-spacing: .2em; }\n');
  return dir;
}

describe('pages: THEME_DIR', () => {
  let themed: TestServer;
  let plain: TestServer;
  let themeDir: string;
  before(async function () {
    this.timeout(120_000); // two servers start here, one after the other
    themeDir = writeTheme();
    // Two servers in one process at once: the theme belongs to its server, not to the process.
    themed = await startGatehouse(undefined, { THEME_DIR: themeDir });
    plain = await startGatehouse();
  });
  after(async () => {
    await themed?.close();
    await plain?.close();
    fs.rmSync(themeDir, { recursive: true, force: true });
  });

  it('a template in the theme directory takes precedence by name', async () => {
    const terms = await request(new CookieJar(), `${themed.url}/terms`);
    assert.equal(terms.status, 200);
    assert.match(terms.body, /data-testid="theme\/terms">Our own terms, from the theme\./);
    assert.match(terms.body, /<link rel="stylesheet" href="\/static\/gatehouse.css">/, 'still the Gatehouse layout');
    const plainTerms = await request(new CookieJar(), `${plain.url}/terms`);
    assert.doesNotMatch(plainTerms.body, /theme\/terms/);
  });

  it('templates the theme lacks are Gatehouse’s own', async () => {
    const signup = await request(new CookieJar(), `${themed.url}/signup`);
    assert.equal(signup.status, 200);
    assert.match(signup.body, /Create an account/);
  });

  it('theme.css is linked after the base CSS on every page and served with a CSS type', async () => {
    for (const pathname of ['/', '/signup', '/no-such-page']) {
      const page = await request(new CookieJar(), `${themed.url}${pathname}`);
      const base = page.body.indexOf('href="/static/gatehouse.css"');
      const theme = page.body.indexOf('href="/static/theme.css"');
      assert.ok(base > 0 && theme > base, `${pathname}: theme.css after gatehouse.css`);
    }
    const css = await fetch(`${themed.url}/static/theme.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    assert.equal(await css.text(), fs.readFileSync(path.join(themeDir, 'theme.css'), 'utf8'));

    const plainPage = await request(new CookieJar(), `${plain.url}/`);
    assert.doesNotMatch(plainPage.body, /theme\.css/);
    assert.equal((await fetch(`${plain.url}/static/theme.css`)).status, 404);
  });
});
