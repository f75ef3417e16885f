// argon2id password hashing with OWASP parameters, bounded concurrency, and a dummy verify
// so that "no such user" costs the same time as "wrong password".
import os from 'node:os';
import argon2 from 'argon2';
import { ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST } from './security-constants.ts';
import { createSemaphore } from './semaphore.ts';

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  /** True when the password matches; pass `undefined` to spend the same time and return false. */
  verify(hash: string | undefined, password: string): Promise<boolean>;
  /** True when the stored hash was made with other parameters than the current ones. */
  needsRehash(hash: string): boolean;
};

export type HasherParameters = { memoryCost: number; timeCost: number; parallelism: number };

export const OWASP_ARGON2ID: HasherParameters = {
  memoryCost: ARGON2_MEMORY_KIB,
  timeCost: ARGON2_TIME_COST,
  parallelism: ARGON2_PARALLELISM,
};

export function createPasswordHasher(
  options: { parameters?: HasherParameters; maxConcurrent?: number } = {},
): PasswordHasher {
  const parameters = options.parameters ?? OWASP_ARGON2ID;
  // One hash per core: more only queues inside libuv while holding 19 MiB each.
  const gate = createSemaphore(options.maxConcurrent ?? os.availableParallelism());
  const hashOptions = { type: argon2.argon2id as 2, ...parameters };
  let dummyHash: Promise<string> | undefined;

  return {
    hash: (password) => gate.run(() => argon2.hash(password, hashOptions)),
    async verify(hash, password) {
      if (hash === undefined) {
        dummyHash ??= gate.run(() => argon2.hash('gatehouse-timing-equaliser', hashOptions));
        const dummy = await dummyHash;
        await gate.run(() => argon2.verify(dummy, password));
        return false;
      }
      try {
        return await gate.run(() => argon2.verify(hash, password));
      } catch {
        return false; // malformed stored hash: treat as a mismatch, never a 500
      }
    },
    needsRehash: (hash) => argon2.needsRehash(hash, parameters),
  };
}
