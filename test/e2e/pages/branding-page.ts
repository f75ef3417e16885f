// Page object for what layout.njk shows of a brand and an app (data-testid brand/*, app/*), and the
// Organization page's Branding forms (views/templates/admin/organization.njk).
import type { Locator, Page } from 'playwright-core';

export class BrandingPage {
  readonly page: Page;
  readonly brandName: Locator;
  readonly brandLogo: Locator;
  readonly appName: Locator;
  readonly appLogo: Locator;
  readonly displayName: Locator;
  readonly accentColor: Locator;
  readonly logoFile: Locator;

  constructor(page: Page) {
    this.page = page;
    this.brandName = page.getByTestId('brand/name');
    this.brandLogo = page.getByTestId('brand/logo');
    this.appName = page.getByTestId('app/name');
    this.appLogo = page.getByTestId('app/logo');
    this.displayName = page.getByLabel('Display name', { exact: true });
    this.accentColor = page.getByLabel('Accent colour', { exact: true });
    this.logoFile = page.getByLabel('Logo', { exact: true });
  }

  /** Whether an image finished loading with real pixels (a blocked or refused image has naturalWidth 0). */
  async rendered(img: Locator): Promise<boolean> {
    return img.evaluate((el) => {
      const image = el as HTMLImageElement;
      if (image.complete) return image.naturalWidth > 0;
      return new Promise<boolean>((resolve) => {
        image.addEventListener('load', () => resolve(image.naturalWidth > 0), { once: true });
        image.addEventListener('error', () => resolve(false), { once: true });
      });
    });
  }

  /** The colour a button is painted with (the accent's custom property in effect). */
  async buttonColour(name: string): Promise<string> {
    return this.page.getByRole('button', { name, exact: true }).evaluate((el) => getComputedStyle(el).backgroundColor);
  }

  message(code: string): Locator {
    return this.page.getByTestId(`message/${code}`);
  }
}
