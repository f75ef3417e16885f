// Third-party browser scripts served as-is from node_modules (there is no build step), at
// /static/vendor/<name>. Only the files listed here are reachable.
import { fileURLToPath } from 'node:url';

export const VENDOR_SCRIPTS: Readonly<Record<string, string>> = {
  // The UMD bundle defines window.SimpleWebAuthnBrowser (startRegistration, startAuthentication, ...).
  'simplewebauthn-browser.js': fileURLToPath(new URL('../dist/bundle/index.umd.min.js', import.meta.resolve('@simplewebauthn/browser'))),
  // The sign-up captcha (self-hosted ALTCHA): the "external" build ships no inline styles or blob:
  // workers, so it runs under script-src 'self'; views/static/captcha.js registers the worker.
  'altcha.js': fileURLToPath(new URL('./altcha.min.js', import.meta.resolve('altcha/external'))),
  'altcha.css': fileURLToPath(new URL('./altcha.css', import.meta.resolve('altcha/external'))),
  'altcha-pbkdf2-worker.js': fileURLToPath(new URL('../workers/pbkdf2.js', import.meta.resolve('altcha/external'))),
};
