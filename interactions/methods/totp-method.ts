// Third-party authenticator app (TOTP). Seeds are sealed with the KEK; each accepted code's time
// step is claimed atomically, so a code works once even when submitted twice in parallel.
import QRCode from 'qrcode';
import { z } from 'zod';
import type { MfaStore } from '../../accounts/mfa.ts';
import { validMethodName } from '../../accounts/mfa.ts';
import { newTotpSecret, totpUri, verifyTotp } from '../../accounts/totp.ts';
import type { SecretBox } from '../../adapters/secret-box.ts';
import type { MfaStrategy } from './method.ts';
import type { FlowMessage } from '../login/flow.ts';
import { scratchSpace } from './scratch.ts';
import { translatorFor } from '../../views/language.ts';

/** A seed being set up, sealed, until the first code confirms it. */
const enrolScratch = scratchSpace('totp', z.object({ secret: z.string() }));

const INVALID: FlowMessage = { code: 'mfa.invalid_code', level: 'error' };
const REPLAYED: FlowMessage = { code: 'mfa.code_already_used', level: 'error' };

export function createTotpMethod(deps: { mfa: MfaStore; box: SecretBox; issuerName: string; clock?: () => number }): MfaStrategy {
  const now = () => (deps.clock ?? Date.now)();
  return {
    kind: 'totp',
    label: 'Authenticator app',
    amr: ['otp'],
    describe: () => 'authenticator app',
    privateSchema: enrolScratch.schema,
    async available(ctx) {
      return ctx.methods.some((m) => m.kind === 'totp');
    },
    async challengeView() {
      return {};
    },
    async verify(ctx, input) {
      const code = (input.code ?? '').replace(/\s/g, '');
      for (const method of ctx.methods.filter((m) => m.kind === 'totp')) {
        const step = await verifyTotp(deps.box.open(String(method.config.secret)), code, now());
        if (step === null) continue;
        if (!(await deps.mfa.claimTotpStep(method.id, step))) return { kind: 'failed', message: REPLAYED };
        return { kind: 'verified', amr: ['mfa', 'otp'] };
      }
      return { kind: 'failed', message: INVALID };
    },
    enrolment: {
      async prepare(ctx) {
        enrolScratch.write(ctx.flow, { secret: deps.box.seal(newTotpSecret()) });
      },
      async view(ctx) {
        const sealed = enrolScratch.read(ctx.flow)?.secret;
        if (!sealed) return undefined;
        const secret = deps.box.open(sealed);
        const uri = totpUri(secret, ctx.account.username, deps.issuerName);
        return { secret: secret.match(/.{1,4}/g)!.join(' '), qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 200 }) };
      },
      async complete(ctx, input) {
        const sealed = enrolScratch.read(ctx.flow)?.secret;
        if (!sealed) return { kind: 'failed', message: { code: 'mfa.enrolment_expired', level: 'error' } };
        const step = await verifyTotp(deps.box.open(sealed), (input.code ?? '').replace(/\s/g, ''), now());
        if (step === null) return { kind: 'failed', message: INVALID };
        // A name left blank is the kind in the reader's language, as the field showed it.
        const method = await deps.mfa.addMethod(ctx.account.id, 'totp', validMethodName(input.name || translatorFor().t('mfa.kind.totp')), {
          secret: sealed,
          lastTimeStep: step, // the confirming code can't be replayed to sign in
        });
        enrolScratch.clear(ctx.flow);
        return { kind: 'enrolled', method };
      },
    },
  };
}
