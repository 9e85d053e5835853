import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff } from '../../src-shared/backoff.js';

const waits = (backoff: Backoff, n: number): number[] => Array.from({ length: n }, () => backoff.next());

describe('Backoff', () => {
  test('without jitter: the minimum, then doubling, then the maximum from there on', () => {
    const backoff = new Backoff({ minMs: 500, maxMs: 8000 });
    assert.deepEqual(waits(backoff, 7), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  test('a maximum that is not a doubling of the minimum is reached, not passed', () => {
    const backoff = new Backoff({ minMs: 1000, maxMs: 60_000 });
    assert.deepEqual(waits(backoff, 8), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  test('reset() starts again from the minimum', () => {
    const backoff = new Backoff({ minMs: 250, maxMs: 1000 });
    waits(backoff, 5);
    assert.equal(backoff.currentStepMs, 1000);
    backoff.reset();
    assert.equal(backoff.currentStepMs, 250);
    assert.deepEqual(waits(backoff, 2), [250, 500]);
  });

  test('jitter [0.8, 1.2]: the lowest random gives 80 % of the step, the highest almost 120 %', () => {
    let r = 0;
    const backoff = new Backoff({ minMs: 1000, maxMs: 60_000, jitter: [0.8, 1.2], random: () => r });
    assert.equal(backoff.next(), 800);
    r = 0.5;
    assert.equal(backoff.next(), 2000);
    r = 0.999;
    assert.ok(Math.abs(backoff.next() - 4000 * 1.1996) < 1e-6);
  });

  test('jitter [1, 1.1]: never shorter than the step, at most 10 % longer; the step itself is not jittered', () => {
    const backoff = new Backoff({ minMs: 1000, maxMs: 3_600_000, jitter: [1, 1.1] });
    for (let i = 0; i < 30; i++) {
      const step = backoff.currentStepMs;
      const wait = backoff.next();
      assert.ok(wait >= step && wait < step * 1.1, `${wait} for a step of ${step}`);
    }
    assert.equal(backoff.currentStepMs, 3_600_000);
  });

  test('a minimum that is not positive, or above the maximum, is refused', () => {
    assert.throws(() => new Backoff({ minMs: 0, maxMs: 10 }), /0 < minMs <= maxMs/);
    assert.throws(() => new Backoff({ minMs: 20, maxMs: 10 }), /0 < minMs <= maxMs/);
  });
});
