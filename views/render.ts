// The one entry point to HTML: plain view models in, auto-escaped HTML out.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';

const here = path.dirname(fileURLToPath(import.meta.url));
export const STATIC_DIR = path.join(here, 'static');

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(here, 'templates'), { noCache: false }), {
  autoescape: true,
  throwOnUndefined: false,
});

/** A message shown on a page, keyed by a stable code (rendered as data-testid="message/<code>"). */
export type ViewMessage = { code: string; text: string; level?: 'error' | 'info'; field?: string };

export function render(template: string, model: Record<string, unknown> = {}): string {
  return env.render(`${template}.njk`, model);
}
