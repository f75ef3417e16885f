// Profile → "Configure multi-factor authentication (MFA)": list, add, rename and remove methods,
// regenerate recovery codes. Every change needs a recent authentication (30 min password / 8 h MFA).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AccountStore } from '../accounts/account.ts';
import { attempt, DomainError } from '../accounts/errors.ts';
import type { MfaManagement } from '../accounts/mfa-management.ts';
import type { MfaStore } from '../accounts/mfa.ts';
import { render } from '../views/render.ts';
import type { Message, MessageValue } from '../accounts/messages/language.ts';
import { isMessageCode } from '../accounts/messages/catalog.ts';
import type { AccountSession, SignedInSession } from './account-session.ts';
import type { Csrf } from './csrf.ts';
import { flowSchema, newFlow, type Flow } from './login/flow.ts';
import type { MethodRegistry } from './methods/registry.ts';
import { enrolmentOnce } from './methods/prepared.ts';
import type { StateAdapter as SharedStateAdapter } from '../adapters/state-adapter.ts';

type StateAdapter = Pick<SharedStateAdapter, 'upsert' | 'find' | 'destroy'>;

/** A method being added from the profile keeps its scratch state (seed, challenge) this long. */
const SETUP_TTL_SECONDS = 10 * 60;

/** Outcome notices shown after a redirect; the query carries only the code, never user data. */
/** `?done=` notices after a redirect (texts: mfa.added, mfa.renamed, mfa.removed). */
const NOTICES = ['added', 'renamed', 'removed'] as const;

/** A method kind as the page names it: its catalog label (mfa.kind.<kind>), translated on the page; else the registry's label. */
function kindText(kind: string, label: (kind: string) => string): MessageValue {
  const code = `mfa.kind.${kind}`;
  return isMessageCode(code) ? { code } : label(kind);
}

export function createAccountMfaRoutes(deps: {
  session: AccountSession;
  csrf: Csrf;
  methods: MethodRegistry;
  mfa: MfaStore;
  management: MfaManagement;
  accounts: AccountStore;
  setupState: (model: string) => StateAdapter;
  /** SSO accounts (federation) have no Gatehouse MFA: their identity provider handles it. */
  isSsoAccount?: (accountId: string) => Promise<boolean>;
}) {
  const router = new Router({ prefix: '/account/mfa' });
  const setups = deps.setupState('MfaSetup');
  const context = (ctx: Context, s: SignedInSession) => ({ actor: s.accountId, ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });
  const body = (ctx: Context): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries((ctx.request.body as object) ?? {})) if (typeof v === 'string') out[k] = v;
    return out;
  };

  /** Signed in, recently authenticated, and (for POSTs) carrying this session's CSRF token. */
  async function guard(ctx: Context) {
    const s = await deps.session.requireRecentAuthentication(ctx);
    if (!s) return null;
    if (ctx.method === 'POST') deps.csrf.check(s.sessionUid, body(ctx).csrf);
    if (await deps.isSsoAccount?.(s.accountId)) {
      throw new DomainError('mfa.managed_by_idp', { status: 403 });
    }
    return s;
  }

  async function renderList(ctx: Context, s: SignedInSession, messages: Message[] = [], status = 200) {
    const methods = await deps.mfa.listMethods(s.accountId);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render('account-mfa', {
      title: 'page.title.configure_multi_factor_authentication_mf',
      messages,
      csrf: deps.csrf.tokenFor(s.sessionUid),
      methods: methods.map((m, i) => ({
        id: m.id,
        name: m.name,
        kind: kindText(m.kind, deps.methods.names.label),
        isDefault: i === 0,
        // Dates stay dates: the page formats them in the reader's language.
        createdAt: m.createdAt,
        lastUsedAt: m.lastUsedAt,
      })),
      kinds: deps.methods.enrollable().map((k) => ({ kind: k.kind, label: kindText(k.kind, () => k.label) })),
      recoveryCodesLeft: await deps.mfa.countRecoveryCodes(s.accountId),
    });
  }

  async function loadSetup(s: SignedInSession, kind: string): Promise<Flow> {
    const stored = flowSchema.safeParse(await setups.find(s.sessionUid));
    if (stored.success && stored.data.accountId === s.accountId && stored.data.enrolKind === kind) return stored.data as Flow;
    return { ...newFlow(`setup:${s.sessionUid}`), accountId: s.accountId, enrolKind: kind, step: 'mfa_enrol' };
  }

  async function renderAdd(ctx: Context, s: SignedInSession, kind: string, messages: Message[] = [], status = 200) {
    const strategy = deps.methods.enrollable().find((m) => m.kind === kind);
    if (!strategy?.enrolment) throw new DomainError('mfa.unknown_kind', { status: 404 });
    const account = await deps.accounts.findById(s.accountId);
    if (!account) throw new DomainError('account.not_found', { status: 404 });
    const flow = await loadSetup(s, kind);
    // Once per set-up (methods/prepared.ts): a reload or a wrong code shows the same seed, code or options.
    const { view } = await enrolmentOnce(strategy.enrolment, { flow, account, methods: await deps.mfa.listMethods(s.accountId), request: {} });
    await setups.upsert(s.sessionUid, flow as unknown as Record<string, unknown>, SETUP_TTL_SECONDS);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render('account-mfa-add', {
      ...view,
      title: 'page.title.add_method',
      titleVars: { method: { code: `mfa.kind.${kind}` } },
      messages,
      kind,
      csrf: deps.csrf.tokenFor(s.sessionUid),
      action: `/account/mfa/add/${kind}`,
    });
  }

  router.get('/', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const notice = NOTICES.find((n) => n === ctx.query.done);
    return renderList(ctx, s, notice ? [{ code: `mfa.${notice}`, level: 'info' }] : []);
  });

  router.get('/add/:kind', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    return renderAdd(ctx, s, ctx.params.kind);
  });

  router.post('/add/:kind', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const kind = ctx.params.kind;
    const strategy = deps.methods.enrollable().find((m) => m.kind === kind);
    const account = await deps.accounts.findById(s.accountId);
    if (!strategy?.enrolment || !account) throw new DomainError('mfa.unknown_kind', { status: 404 });
    const flow = await loadSetup(s, kind);
    const completed = await attempt(async () => strategy.enrolment!.complete({ flow, account, methods: await deps.mfa.listMethods(s.accountId), request: context(ctx, s) }, body(ctx)));
    const outcome = completed.ok ? completed.value : { kind: 'failed' as const, message: completed.error.toMessage() };
    if (outcome.kind === 'failed') {
      await setups.upsert(s.sessionUid, flow as unknown as Record<string, unknown>, SETUP_TTL_SECONDS);
      return renderAdd(ctx, s, kind, [outcome.message], 200);
    }
    await setups.destroy(s.sessionUid);
    await deps.management.added(outcome.method, context(ctx, s));
    ctx.status = 303;
    ctx.redirect('/account/mfa?done=added');
  });

  router.post('/:id/rename', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const renamed = await attempt(() => deps.management.rename(s.accountId, ctx.params.id, body(ctx).name ?? '', context(ctx, s)));
    if (!renamed.ok) return renderList(ctx, s, [renamed.error.toMessage()], renamed.error.status);
    ctx.status = 303;
    ctx.redirect('/account/mfa?done=renamed');
  });

  // The bin asks first ("Yes" confirms); removing the last method is refused.
  router.post('/:id/remove', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const method = await deps.mfa.findMethod(s.accountId, ctx.params.id);
    if (!method) return renderList(ctx, s, [{ code: 'mfa.not_found', level: 'error' }], 404);
    if (body(ctx).confirm !== 'yes') {
      ctx.type = 'html';
      ctx.body = render('account-mfa-remove', {
        title: 'page.title.remove_verification_method',
        name: method.name,
        kind: kindText(method.kind, deps.methods.names.label),
        action: `/account/mfa/${method.id}/remove`,
        csrf: deps.csrf.tokenFor(s.sessionUid),
      });
      return;
    }
    const removed = await attempt(() => deps.management.remove(s.accountId, method.id, context(ctx, s)));
    if (!removed.ok) return renderList(ctx, s, [removed.error.toMessage()], removed.error.status);
    ctx.status = 303;
    ctx.redirect('/account/mfa?done=removed');
  });

  router.post('/recovery-codes', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const codes = await attempt(() => deps.management.regenerateRecoveryCodes(s.accountId, context(ctx, s)));
    if (!codes.ok) return renderList(ctx, s, [codes.error.toMessage()], codes.error.status);
    ctx.type = 'html';
    ctx.body = render('recovery-codes', { title: 'page.title.save_your_recovery_codes', codes: codes.value, action: '/account/mfa', method: 'get' });
  });

  return router;
}
