// The one entry point to HTML: plain view models in, auto-escaped HTML out. An operator's theme
// directory (THEME_DIR) is searched before our templates, so a theme overrides any template by name
// without a fork; the request's page context (views/page-context.ts) says which theme and brand apply.
// Pages are in the request's language (views/language.ts): templates call t('code', vars),
// formatDate() and formatNumber().
import fs from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { pageContext } from './page-context.ts';
import { sourceDir } from './source-dir.ts';
import { addLanguageGlobals, translatorFor } from './language.ts';

const here = sourceDir(import.meta.url);
export const STATIC_DIR = path.join(here, 'static');
export const TEMPLATES_DIR = path.join(here, 'templates');

/** A server's templates: the theme's first (when there is one), then ours. */
export type Views = {
  env: nunjucks.Environment;
  /** THEME_DIR/theme.css exists: layout.njk links it after the base CSS. */
  themeCss: boolean;
  themeDir?: string;
};

export function createViews(options: { themeDir?: string } = {}): Views {
  const search = options.themeDir ? [path.resolve(options.themeDir), TEMPLATES_DIR] : [TEMPLATES_DIR];
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(search, { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
  });
  addLanguageGlobals(env);
  const themeCss = Boolean(options.themeDir && fs.existsSync(path.join(options.themeDir, 'theme.css')));
  return { env, themeCss, themeDir: options.themeDir ? path.resolve(options.themeDir) : undefined };
}

const defaultViews = createViews();

/** A message shown on a page, keyed by a stable catalog code (rendered as data-testid="message/<code>"); its text is t(code, vars). */
export type ViewMessage = { code: string; vars?: Record<string, unknown>; level?: 'error' | 'info'; field?: string };

export function render(template: string, model: Record<string, unknown> = {}): string {
  const page = pageContext();
  const views = (page.views as Views | undefined) ?? defaultViews;
  // The page context fills what layout.njk shows on every page; a model may still override it.
  return views.env.render(`${template}.njk`, {
    ...translatorFor(),
    brand: page.brand,
    app: page.app,
    requestId: page.requestId,
    themeCss: views.themeCss,
    ...model,
  });
}
