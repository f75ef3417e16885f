// The ordered registry of sign-in methods. Adding a method: one file, one line here,
// one view partial, one test folder.
import type { AccountStore } from '../../accounts/account.ts';
import type { PasswordHasher } from '../../accounts/password-hasher.ts';
import type { FlowStep } from '../flow.ts';
import type { SignInMethod } from './method.ts';
import { createPasswordMethod } from './password-method.ts';

export type MethodDependencies = { accounts: AccountStore; hasher: PasswordHasher };

export function createMethodRegistry(deps: MethodDependencies) {
  const methods: SignInMethod[] = [
    createPasswordMethod(deps),
  ];
  return {
    methods,
    forStep: (step: FlowStep) => methods.filter((m) => m.step === step),
  };
}

export type MethodRegistry = ReturnType<typeof createMethodRegistry>;
