// The common-password rule: a maintained strength estimator (zxcvbn-ts, with its common-password
// and English dictionaries) refuses passwords people pick most often, and ones built from the
// person's own username, email or company. Composition rules stay in account-rules.ts.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import type { RuleViolation } from './errors.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_STRENGTH_SCORE } from './security-constants.ts';

let estimator: ZxcvbnFactory | undefined;

function zxcvbn(): ZxcvbnFactory {
  // Built on first use: loading the dictionaries takes a few milliseconds.
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  return estimator;
}

/** Words of the person's own data a password must not lean on (username, email parts, company). */
export function personalWords(input: { username?: string; email?: string; company?: string; name?: string | null }): string[] {
  const words = [input.username, input.email, ...(input.email ?? '').split(/[@.+_-]/), ...(input.company ?? '').split(/\s+/), input.name ?? undefined];
  return [...new Set(words.filter((w): w is string => typeof w === 'string' && w.trim().length >= 3).map((w) => w.trim().toLowerCase()))];
}

export function commonPasswordViolations(password: string, userInputs: string[] = []): RuleViolation[] {
  // Longer input is refused by the length rule already; zxcvbn's cost grows with length.
  if (password.length === 0 || password.length > PASSWORD_MAX_LENGTH) return [];
  const result = zxcvbn().check(password, userInputs);
  if (result.score >= PASSWORD_MIN_STRENGTH_SCORE) return [];
  return [
    {
      field: 'password',
      code: 'password.too_common',
      message: 'This password is too common or too easy to guess. Choose a less predictable one.',
    },
  ];
}
