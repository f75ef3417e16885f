// The common-password rule: a maintained strength estimator (zxcvbn-ts, with its common-password
// and English dictionaries) refuses passwords people pick most often, and ones built from the
// person's own username, email or company. Composition rules stay in account-rules.ts.
import { createRequire } from 'node:module';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { violation, type RuleViolation } from './errors.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_STRENGTH_SCORE } from './security-constants.ts';

let estimator: ZxcvbnFactory | undefined;

type LanguagePackage = { dictionary: Record<string, string[]>; adjacencyGraphs: Record<string, unknown>; translations: Record<string, unknown> };

function zxcvbn(): ZxcvbnFactory {
  if (estimator) return estimator;
  // Loaded on first use (a password being set), not at start: the dictionaries are ~12 MiB of heap
  // that a worker which only signs people in never needs.
  const load = createRequire(import.meta.url);
  const common = load('@zxcvbn-ts/language-common') as LanguagePackage;
  const english = load('@zxcvbn-ts/language-en') as LanguagePackage;
  estimator = new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs as never,
    translations: english.translations as never,
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
  return [violation('password', 'password.too_common')];
}
