// The phone check shared by the layout suites: does the page scroll sideways at its viewport?
import type { Page } from 'playwright-core';

export type WidthReading = { path: string; heading: string; scrollWidth: number; clientWidth: number };

/** The page's document width against its viewport; scrollWidth > clientWidth means it scrolls sideways. */
export async function readWidth(page: Page): Promise<WidthReading> {
  return page.evaluate(() => ({
    path: location.pathname,
    heading: document.querySelector('h1')?.textContent?.trim() ?? '',
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
}

export const scrollsSideways = (r: WidthReading) => r.scrollWidth > r.clientWidth;
