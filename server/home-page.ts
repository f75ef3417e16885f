// `/`: what this server is, for a person who typed its address, with the way to their profile.
import type { Context } from 'koa';
import { render } from '../views/render.ts';

export function renderHome(ctx: Context, issuer: string) {
  ctx.type = 'html';
  ctx.body = render('home', { title: 'page.title.gatehouse_sign_in_service', issuer });
}
