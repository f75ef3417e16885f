import assert from 'node:assert/strict';
import { createCaptcha, type CaptchaSpentStore } from './captcha.ts';
import { CAPTCHA_TTL_SECONDS } from './security-constants.ts';
import { solveChallengeField } from '../test/helpers/captcha.ts';

function memorySpent(): CaptchaSpentStore {
  const spent = new Set<string>();
  return { spend: async (hash) => (spent.has(hash) ? false : (spent.add(hash), true)) };
}

describe('sign-up captcha (ALTCHA proof of work)', () => {
  let now = Date.now();
  const clock = () => now;
  // Easy puzzles keep the unit test fast; the integration tests solve the real difficulty.
  const difficulty = { cost: 10, counterMin: 10, counterMax: 50 };
  const make = (secret = Buffer.alloc(32, 1)) => createCaptcha({ secret, spent: memorySpent(), difficulty, clock });

  const cases: { name: string; field: (c: ReturnType<typeof make>) => Promise<string | undefined>; expect: boolean }[] = [
    { name: 'a solved challenge passes', field: async (c) => solveChallengeField(await c.challenge()), expect: true },
    { name: 'no field fails', field: async () => undefined, expect: false },
    { name: 'garbage fails', field: async () => 'not base64 json', expect: false },
    {
      name: "the widget's test mode payload fails",
      field: async () => Buffer.from(JSON.stringify({ challenge: null, solution: null, test: true })).toString('base64'),
      expect: false,
    },
    {
      name: 'a wrong derived key fails',
      field: async (c) => {
        const payload = JSON.parse(Buffer.from(await solveChallengeField(await c.challenge()), 'base64').toString());
        // The derived key is the proof (only brute force finds it); any other key fails.
        payload.solution.derivedKey = payload.solution.derivedKey.replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
        return Buffer.from(JSON.stringify(payload)).toString('base64');
      },
      expect: false,
    },
    {
      name: 'a challenge with changed parameters fails (signature)',
      field: async (c) => {
        const challenge = await c.challenge();
        challenge.parameters.expiresAt = (challenge.parameters.expiresAt ?? 0) + 3600;
        return solveChallengeField(challenge);
      },
      expect: false,
    },
    {
      name: 'a challenge signed with another secret fails',
      field: async () => solveChallengeField(await make(Buffer.alloc(32, 2)).challenge()),
      expect: false,
    },
    {
      name: 'an expired challenge fails',
      field: async (c) => {
        const field = await solveChallengeField(await c.challenge());
        now += (CAPTCHA_TTL_SECONDS + 1) * 1000;
        return field;
      },
      expect: false,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      now = Date.now();
      const captcha = make();
      assert.equal(await captcha.verify(await c.field(captcha)), c.expect);
    });
  }

  it('a solved challenge passes only once', async () => {
    now = Date.now();
    const captcha = make();
    const field = await solveChallengeField(await captcha.challenge());
    assert.equal(await captcha.verify(field), true);
    assert.equal(await captcha.verify(field), false);
  });
});
