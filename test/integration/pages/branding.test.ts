// Organization branding: administrators set a display name, accent colour and logo (API and the
// Organization page); logos are type- and size-checked by their bytes and served so they can only be
// images; pages show the brand wherever the organization is known, and an app's name and logo on sign-in.
import assert from 'node:assert/strict';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, formAction, postForm, request } from '../../helpers/browserless-user.ts';
import { totpCode } from '../../../accounts/totp.ts';
import { addMember, api, userAccessToken } from '../../helpers/organization-fixtures.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';
import { createTestClock, openSignedIn } from '../../helpers/self-service.ts';
import { userPrincipal } from '../../../accounts/access.ts';

/** A 1×1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>');

const adminCsrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];
const brandName = (html: string) => /data-testid="brand\/name">([^<]*)</.exec(html)?.[1];
const brandLogo = (html: string) => /<img class="brand-logo" src="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
const accentCss = (html: string) => /<link rel="stylesheet" href="(\/branding\/[^"]+\/accent\.css[^"]*)">/.exec(html)?.[1];

describe('pages: organization branding', () => {
  let server: TestServer;
  let owner: TestUser;
  let token: string;
  // TOTP codes are single-use: each sign-in below moves this clock to a fresh 30 s step.
  const clock = createTestClock();
  before(async () => {
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    owner = await server.createUser({ company: 'Brandwell Foods' });
    token = await userAccessToken(server, owner);
  });
  after(() => server?.close());

  describe('admin API', () => {
    it('sets and clears the display name and accent colour; refuses a colour that is not #rrggbb', async () => {
      const set = await api(server, token, 'PATCH', '/organization/branding', { displayName: 'Brandwell', accentColor: '#FFCC00' });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual({ displayName: set.body.displayName, accentColor: set.body.accentColor, logo: set.body.logo }, { displayName: 'Brandwell', accentColor: '#ffcc00', logo: null });
      const read = await api(server, token, 'GET', '/organization/branding');
      assert.equal(read.body.accentColor, '#ffcc00');

      for (const accentColor of ['yellow', '#ffcc0', '#ffcc00;}body{x:y']) {
        const refused = await api(server, token, 'PATCH', '/organization/branding', { accentColor });
        assert.equal(refused.status, 400, accentColor);
        assert.equal(refused.body.code, 'request.invalid');
      }
      const cleared = await api(server, token, 'PATCH', '/organization/branding', { displayName: null });
      assert.equal(cleared.body.displayName, null);
      assert.equal(cleared.body.accentColor, '#ffcc00', 'only the field sent changes');
    });

    it('uploads a PNG logo; refuses SVG, a mislabelled file and one too large; a member may not change branding', async () => {
      const svg = await api(server, token, 'POST', '/organization/branding/logo', { contentType: 'image/svg+xml', data: SVG.toString('base64') });
      assert.equal(svg.status, 400);
      const disguised = await api(server, token, 'POST', '/organization/branding/logo', { contentType: 'image/png', data: SVG.toString('base64') });
      assert.equal(disguised.status, 400);
      assert.equal(disguised.body.code, 'branding.logo_type');
      const big = await api(server, token, 'POST', '/organization/branding/logo', { contentType: 'image/png', data: Buffer.concat([PNG, Buffer.alloc(260 * 1024)]).toString('base64') });
      assert.equal(big.status, 400);
      assert.equal(big.body.code, 'branding.logo_too_large');

      const ok = await api(server, token, 'POST', '/organization/branding/logo', { contentType: 'image/png', data: PNG.toString('base64') });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.logo.contentType, 'image/png');
      assert.equal(ok.body.logo.size, PNG.length);
      assert.match(ok.body.logo.url, new RegExp(`^${server.url}/branding/${owner.organizationId}/logo\\?v=[0-9a-f]{16}$`));

      const member = await addMember(server, { organizationId: owner.organizationId });
      const memberToken = await userAccessToken(server, member);
      const denied = await api(server, memberToken, 'PATCH', '/organization/branding', { displayName: 'Hijacked' });
      assert.equal(denied.status, 403);
      assert.equal((await api(server, memberToken, 'GET', '/organization/branding')).status, 200, 'members may read it');
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      assert.deepEqual(Object.keys(doc.paths['/organization/branding']).sort(), ['get', 'patch']);
      assert.deepEqual(Object.keys(doc.paths['/organization/branding/logo']).sort(), ['delete', 'post']);
    });
  });

  describe('serving', () => {
    it('serves the logo with its exact type, nosniff, a sandbox CSP, long caching when versioned, and 304 on its ETag', async () => {
      const { body } = await api(server, token, 'GET', '/organization/branding');
      const response = await fetch(body.logo.url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/png');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.match(response.headers.get('content-security-policy') ?? '', /sandbox/);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), PNG);
      const again = await fetch(body.logo.url, { headers: { 'if-none-match': response.headers.get('etag')! } });
      assert.equal(again.status, 304);
      assert.equal((await fetch(`${server.url}/branding/${owner.organizationId}/logo`)).headers.get('cache-control'), 'public, max-age=300');
      assert.equal((await fetch(`${server.url}/branding/00000000-0000-0000-0000-000000000000/logo`)).status, 404);
    });

    it('serves the accent as CSS custom properties with readable text colours', async () => {
      const css = await (await fetch(`${server.url}/branding/${owner.organizationId}/accent.css`)).text();
      // #ffcc00 is too light for white text: dark text on the button, and a darker shade for links on white.
      assert.match(css, /--accent: #ffcc00;/);
      assert.match(css, /--on-accent: #111111;/);
      const linkColour = /--accent-text: (#[0-9a-f]{6});/.exec(css)![1];
      assert.notEqual(linkColour, '#ffcc00');
    });
  });

  describe('the pages that show it', () => {
    let org: { id: string };
    before(async () => {
      org = { id: owner.organizationId };
      await api(server, token, 'PATCH', '/organization/branding', { displayName: 'Brandwell Kitchen', accentColor: '#0b6e4f' });
      await api(server, token, 'POST', '/organization/branding/logo', { contentType: 'image/png', data: PNG.toString('base64') });
    });

    const expectBrand = (html: string, where: string) => {
      assert.equal(brandName(html), 'Brandwell Kitchen', `${where}: the display name`);
      assert.match(brandLogo(html) ?? '', new RegExp(`^/branding/${org.id}/logo\\?v=`), `${where}: the logo`);
      assert.equal(accentCss(html), `/branding/${org.id}/accent.css?v=0b6e4f`, `${where}: the accent stylesheet`);
    };

    it('the sign-in and consent pages of the organization’s app show the brand, the app’s name and its logo', async () => {
      const logoUri = `${server.url}/branding/${org.id}/logo`;
      const client = await server.createClient({ client_name: 'Brandwell Orders', logo_uri: logoUri, organization_id: org.id, first_party: false });
      const jar = new CookieJar();
      const page = await follow(jar, authorizationRequest(server.url, client).url, server.url);
      expectBrand(page.body, 'sign-in');
      assert.match(page.body, /data-testid="app\/name">Brandwell Orders</);
      assert.match(page.body, new RegExp(`<img class="app-logo" src="${logoUri}"`));

      const mfa = await postForm(jar, formAction(page.body, page.url), server.url, { username: owner.username, password: owner.password });
      clock.advance(30_000);
      const consent = await postForm(jar, formAction(mfa.body, mfa.url), server.url, { code: await totpCode(owner.totpSecret!, clock.now()) });
      assert.match(consent.body, /data-testid="scope\/openid"/, 'the consent page');
      expectBrand(consent.body, 'consent');
      assert.match(consent.body, /data-testid="app\/name">Brandwell Orders</);
      assert.match(consent.body, new RegExp(`<img class="app-logo" src="${logoUri}"`));
    });

    it('another app’s sign-in page and an unbranded organization look like Gatehouse', async () => {
      const client = await server.createClient();
      const page = await follow(new CookieJar(), authorizationRequest(server.url, client).url, server.url);
      assert.equal(brandName(page.body), undefined);
      assert.match(page.body, /<span class="brand">Gatehouse<\/span>/);
      assert.equal(accentCss(page.body), undefined);
    });

    it('domain_hint and the custom domain step show the organization of the domain', async () => {
      const domain = `${uniqueName('brand').toLowerCase().replace(/_/g, '-')}.example`;
      await server.gatehouse.federation.store.replaceDomains(org.id, [domain]);
      const client = await server.createClient();
      const hinted = await follow(new CookieJar(), authorizationRequest(server.url, client, { domain_hint: domain }).url, server.url);
      expectBrand(hinted.body, 'domain_hint');

      const jar = new CookieJar();
      const signIn = await follow(jar, authorizationRequest(server.url, client).url, server.url);
      const uid = /\/interaction\/([\w-]+)/.exec(signIn.url)![1];
      const step = await postForm(jar, `${server.url}/interaction/${uid}/domain`, server.url, { domain });
      expectBrand(step.body, 'custom domain');
    });

    it('the invitation pages of the organization show it', async () => {
      const { services, orgs } = server.gatehouse.organizations;
      const principal = (await userPrincipal(orgs, owner.id))!;
      const email = `${uniqueName('invitee')}@example.com`;
      const { link } = (await services.invitations.invite(principal, { email })) as unknown as { link?: string };
      const invitationLink = link ?? (await latestInvitationLink(server, email));
      const page = await request(new CookieJar(), invitationLink);
      expectBrand(page.body, 'invitation');
    });

    it('the profile and Access Management of its members show it; the Organization page changes it (logo upload without JavaScript)', async () => {
      const { jar, step } = await openSignedIn(server, owner, { clock });
      expectBrand(step.body, 'profile');
      const orgPage = await follow(jar, `${server.url}/admin/organization`, server.url);
      expectBrand(orgPage.body, 'admin');
      assert.match(orgPage.body, /data-testid="form\/branding"/);

      const refused = await postForm(jar, `${server.url}/admin/organization`, server.url, { _csrf: adminCsrf(orgPage.body), action: 'branding', displayName: 'Brandwell', accentColor: 'green' });
      assert.equal(refused.status, 400);
      assert.match(refused.body, /data-testid="message\/branding.accent_invalid"/);
      assert.match(refused.body, /value="green"/, 'what was typed is kept');

      // The logo form is multipart/form-data, as a browser sends a file input.
      const upload = async (bytes: Buffer, type: string, filename: string) => {
        const form = new FormData();
        form.set('_csrf', adminCsrf(orgPage.body));
        form.set('logo', new Blob([new Uint8Array(bytes)], { type }), filename);
        const response = await fetch(`${server.url}/admin/organization/logo`, { method: 'POST', body: form, headers: { cookie: jar.header(), origin: server.url }, redirect: 'manual' });
        return { status: response.status, location: response.headers.get('location'), body: await response.text() };
      };
      const svg = await upload(SVG, 'image/svg+xml', 'logo.svg');
      assert.equal(svg.status, 400);
      assert.match(svg.body, /data-testid="message\/branding.logo_type"/);
      const png = await upload(PNG, 'image/png', 'logo.png');
      assert.equal(png.status, 303, png.body.slice(0, 300));
      assert.match(png.location ?? '', /done=branding.logo_set/);

      const member = await addMember(server, { organizationId: org.id });
      const memberProfile = await openSignedIn(server, member, { clock });
      expectBrand(memberProfile.step.body, 'a member’s profile');
      const outsider = await server.createUser({ company: 'Plain Co' });
      const outsiderProfile = await openSignedIn(server, outsider, { clock });
      assert.equal(brandName(outsiderProfile.step.body), undefined, 'another organization’s member sees no brand');
    });
  });
});

async function latestInvitationLink(server: TestServer, email: string): Promise<string> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const dir = path.join(server.dataDir, 'outbox');
  for (const file of (await fs.readdir(dir)).sort().reverse()) {
    const text = await fs.readFile(path.join(dir, file), 'utf8');
    if (!text.includes(email)) continue;
    const link = /https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]+/.exec(text.replace(/=\r?\n/g, ''))?.[0];
    if (link) return link;
  }
  throw new Error(`no invitation mailed to ${email}`);
}
