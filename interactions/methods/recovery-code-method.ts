// Recovery codes: usable instead of a method when the device is lost; each works once.
import type { MfaStore } from '../../accounts/mfa.ts';
import type { MfaStrategy } from './method.ts';

export function createRecoveryCodeMethod(deps: { mfa: MfaStore; digest: (code: string) => string }): MfaStrategy {
  return {
    kind: 'recovery_code',
    label: 'Recovery code',
    // A recovery code is a one-time password (RFC 8176 `otp`).
    amr: ['otp'],
    describe: () => 'recovery code',
    async available(ctx) {
      return (ctx.recoveryCodes ?? (await deps.mfa.countRecoveryCodes(ctx.account.id))) > 0;
    },
    async challengeView() {
      return {};
    },
    async verify(ctx, input) {
      const code = input.recovery_code ?? '';
      if (code.length > 0 && code.length <= 40 && (await deps.mfa.consumeRecoveryCode(ctx.account.id, deps.digest(code)))) {
        // A recovery code is a one-time password (RFC 8176 `otp`).
        return { kind: 'verified', amr: ['mfa', 'otp'] };
      }
      return {
        kind: 'failed',
        message: { code: 'mfa.invalid_recovery_code', level: 'error' },
      };
    },
  };
}
