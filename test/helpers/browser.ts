// A real browser for the e2e suites: Debian's Chromium (apt-get install chromium), driven by
// playwright-core. Playwright never downloads a browser here. Without Chromium a developer's run
// skips the e2e suites with one line saying why; a CI run fails instead, so they cannot vanish.
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Whether the Chromium the e2e suites drive is installed. */
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM_PATH);

/** Set (non-empty) in CI, where a missing browser is an error rather than a reason to skip. */
export const IN_CI = Boolean(process.env.CI);

const MISSING = `${CHROMIUM_PATH} not installed`;

export async function launchBrowser(): Promise<Browser> {
  if (!HAS_CHROMIUM) {
    throw new Error(`${MISSING}: install it with \`apt-get install -y chromium\` (never a Playwright-downloaded browser)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A mocha describe for a suite that needs the browser. Without Chromium it is skipped with its
 * reason in the title, unless CI is set: then it runs and fails in its first hook with the reason.
 */
export function describeBrowser(title: string, body: () => void) {
  if (HAS_CHROMIUM) {
    describe(title, body);
  } else if (IN_CI) {
    describe(title, () => {
      before(() => {
        throw new Error(`CI is set and ${MISSING}: the e2e suites must run in CI`);
      });
      body();
    });
  } else {
    describe.skip(`${title} (skipped: ${MISSING})`, body);
  }
}

/**
 * The browser contexts a suite opens: each is closed after its test, and when the test failed, every
 * page it still has is saved first as /tmp/<name>-failed-<n>.png (full page) to see what went wrong.
 */
export function closeContextsAfterEach(name: string): BrowserContext[] {
  const contexts: BrowserContext[] = [];
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      let n = 0;
      for (const context of contexts) for (const p of context.pages()) await p.screenshot({ path: `/tmp/${name}-failed-${++n}.png`, fullPage: true }).catch(() => {});
    }
    for (const context of contexts.splice(0)) await context.close();
  });
  return contexts;
}
