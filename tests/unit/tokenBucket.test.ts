// The rate with bursts used for a link's messages, its metadata updates and an address's new
// connections: a burst at once, then the rate, and the time until the next is allowed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from '../../src-shared/tokenBucket.js';

test('a burst at once, then one per 1/rate seconds; unused time fills it up to the burst only', () => {
  let now = 0;
  const bucket = new TokenBucket(2, 3, () => now);
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
  assert.equal(bucket.msUntilToken(), 500);
  now = 250;
  assert.equal(bucket.take(), false);
  assert.equal(bucket.msUntilToken(), 250);
  now = 500;
  assert.equal(bucket.take(), true);
  now = 60_000;
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false], 'a long pause gives back the burst, no more');
});
