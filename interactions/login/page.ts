// A login step's page: the step's template with the flow's messages and the actions every step
// page has (Cancel). Templates are under views/templates/.
import type { Context } from 'koa';
import { render } from '../../views/render.ts';
import type { LoadedFlow } from './engine.ts';

export const interactionPath = (uid: string, rest = '') => `/interaction/${uid}${rest}`;

export function stepPage(ctx: Context, s: LoadedFlow, template: string, model: Record<string, unknown>) {
  ctx.type = 'html';
  ctx.body = render(template, {
    messages: s.flow.messages,
    abortAction: interactionPath(s.interaction.uid, '/abort'),
    ...model,
  });
}
