// Error pages are Gatehouse pages: plain words (never the provider's "client is invalid"), a way back
// (to the app when it is known), the request id to quote; a styled 404; `/` says what this is; a favicon.
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, formAction, postForm, request } from '../../helpers/browserless-user.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';

const decode = (s: string) => s.replace(/&amp;/g, '&');
const backLink = (html: string) => decode(/<a href="([^"]+)" data-testid="error\/back">/.exec(html)?.[1] ?? '');

describe('pages: errors, 404, home, favicon', () => {
  let server: TestServer;
  before(async () => {
    server = await startGatehouse();
  });
  after(() => server?.close());

  it('`/` says what this server is and links to the profile', async () => {
    const home = await request(new CookieJar(), `${server.url}/`);
    assert.equal(home.status, 200);
    assert.match(home.body, /data-testid="home\/about"/);
    assert.match(home.body, new RegExp(`sign-in service at <code>${server.url}</code>`));
    assert.match(home.body, /<a href="\/account" data-testid="home\/profile">/);
  });

  it('an unknown path is a styled 404 page with the request id of its response; API clients get JSON', async () => {
    const response = await fetch(`${server.url}/no/such/page`);
    const body = await response.text();
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(body, /<link rel="stylesheet" href="\/static\/gatehouse.css">/);
    assert.match(body, /data-testid="error\/not_found"/);
    assert.match(body, /<title>Page not found · Gatehouse<\/title>/);
    assert.equal(/data-testid="error\/request-id">([^<]+)</.exec(body)?.[1], response.headers.get('x-request-id'));
    assert.equal(backLink(body), '/account');

    const api = await fetch(`${server.url}/api/v1/no-such-thing`, { headers: { accept: 'application/json' } });
    assert.equal(api.status, 404);
    assert.equal(api.headers.get('content-type')?.startsWith('application/json'), true);
  });

  it('serves a favicon: /favicon.ico leads to an SVG under /static', async () => {
    const ico = await request(new CookieJar(), `${server.url}/favicon.ico`);
    assert.equal(ico.status, 301);
    assert.equal(ico.location, `${server.url}/static/favicon.svg`);
    const svg = await fetch(ico.location!);
    assert.equal(svg.status, 200);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.match(await svg.text(), /^<svg /);
    const page = await request(new CookieJar(), `${server.url}/`);
    assert.match(page.body, /<link rel="icon" href="\/static\/favicon.svg" type="image\/svg\+xml">/);
  });

  it('an unknown client: plain words, not the provider text, and the way back to the profile', async () => {
    const page = await follow(new CookieJar(), `${server.url}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=https://rp.example/cb`, server.url);
    assert.equal(page.status, 400);
    assert.match(page.body, /data-testid="error\/invalid_client"/);
    assert.match(page.body, /not registered with this sign-in service/);
    assert.doesNotMatch(page.body, /client is invalid/i);
    assert.equal(backLink(page.body), '/account');
    assert.match(page.body, /data-testid="error\/request-id">[0-9a-f-]{36}</);

    // In the reader's language.
    const nb = await follow(new CookieJar(), `${server.url}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=https://rp.example/cb`, server.url, { headers: { 'accept-language': 'nb' } });
    assert.match(nb.body, /<html lang="nb"/);
    assert.match(nb.body, /er ikke registrert hos denne innloggingstjenesten/);
    assert.match(nb.body, /Gå til Gatehouse-profilen din/);
  });

  it('a redirect_uri the client did not register: the way back is the client’s home page (client_uri)', async () => {
    const client = await server.createClient({ client_name: 'Shop', client_uri: 'https://shop.example/' });
    const page = await follow(new CookieJar(), authorizationRequest(server.url, client, { redirect_uri: 'https://evil.example/cb' }).url, server.url);
    assert.equal(page.status, 400);
    assert.match(page.body, /data-testid="error\/invalid_redirect_uri"/);
    assert.doesNotMatch(page.body, /evil\.example/, 'never a link to the unregistered address');
    assert.equal(backLink(page.body), 'https://shop.example/');
    assert.match(page.body, /Back to Shop/);
  });

  it('a sign-in page opened without its cookie: "expired", and the way back is the app’s redirect with error=access_denied', async () => {
    const client = await server.createClient({ client_name: 'Diary' });
    const { url } = authorizationRequest(server.url, client, { state: 'st-42' });
    const signIn = await follow(new CookieJar(), url, server.url);
    const stranger = await postForm(new CookieJar(), formAction(signIn.body, signIn.url), server.url, { username: 'x', password: 'y' });
    assert.equal(stranger.status, 400);
    assert.match(stranger.body, /sign-in page expired/);
    const back = new URL(backLink(stranger.body));
    assert.equal(`${back.origin}${back.pathname}`, client.redirect_uris[0]);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'st-42');
    assert.equal(back.searchParams.get('iss'), server.url);
    assert.match(stranger.body, /Back to Diary/);
  });
});
