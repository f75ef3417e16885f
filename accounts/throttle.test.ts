// The sign-in wait table and its wording: pure functions of the constants.
import assert from 'node:assert/strict';
import { describeWait, signInWaitSeconds, ThrottledError } from './throttle.ts';

describe('sign-in waits', () => {
  const table: [failures: number, seconds: number][] = [
    [0, 0], [1, 0], [5, 0], // mistypes are free
    [6, 2], [7, 4], [8, 8], [9, 16], [10, 32], [11, 64], [12, 128], [13, 256], [14, 512], // doubling
    [15, 900], [19, 900], // capped at 15 minutes
    [20, 3600], [21, 3600], [100, 3600], // locked: an hour each
  ];
  for (const [failures, seconds] of table) {
    it(`after ${failures} consecutive failures the next attempt waits ${seconds} s`, () => {
      assert.equal(signInWaitSeconds(failures), seconds);
    });
  }

  it('allows at most ~42 guesses per account in 24 hours', () => {
    let t = 0;
    let guesses = 0;
    for (let failures = 1; t < 24 * 3600; failures++) {
      guesses++;
      t += signInWaitSeconds(failures);
    }
    assert.ok(guesses <= 45, `${guesses} guesses`);
    assert.ok(guesses > 20);
  });

  it('says the wait in seconds or whole minutes, and answers 429', () => {
    assert.equal(describeWait(1), '1 second');
    assert.equal(describeWait(32), '32 seconds');
    assert.equal(describeWait(61), '2 minutes');
    const err = new ThrottledError(0.2);
    assert.equal(err.retryAfterSeconds, 1);
    assert.equal(err.status, 429);
    assert.equal(err.code, 'throttle.wait');
  });
});
