// The verifier (issue 9): short handshakes only while someone looks, in the order asked (what is on
// screen first), paced (a few at once, a few a second), verdicts cached per (identity, address,
// port) and redone when the advertisement changes; impostors and unreachable endpoints rechecked.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IMPOSTOR_RECHECK_MS, VERIFY_CONCURRENT_MAX, VERIFY_PER_SECOND_MAX, Verifier, type VerifyTarget } from '../../src-main/core/peers/verifier.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = (c: string) => c.repeat(42) + 'A';

function target(c: string, over: Partial<VerifyTarget> = {}): VerifyTarget {
  return { identity: id(c), addresses: [`10.0.0.${c.charCodeAt(0) % 200}`], port: 4000, advertisement: 'v1', ...over };
}

/** A dial that answers with `answer(address)` after `delayMs`, recording what it was asked. */
function fakeDial(answer: (address: string) => string | Error, delayMs = 20) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const dial = async (addresses: readonly string[]) => {
    const address = addresses[0] as string;
    calls.push(address);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await sleep(delayMs);
    inFlight--;
    const a = answer(address);
    if (a instanceof Error) throw a;
    return { identity: a, address };
  };
  return { dial, calls, get maxInFlight() { return maxInFlight; } };
}

describe('Verifier', () => {
  test('nothing is dialled until it is active (nobody looking), then in the order asked', async () => {
    const byAddress = new Map(['A', 'B', 'C'].map((c) => [target(c).addresses[0] as string, id(c)]));
    const f = fakeDial((a) => byAddress.get(a) as string);
    const v = new Verifier({ dial: f.dial, random: () => 0 });
    v.request([target('C'), target('A'), target('B')]);
    await sleep(100);
    assert.deepEqual(f.calls, []);
    v.setActive(true);
    v.request([target('C'), target('A'), target('B')]);
    await sleep(150);
    assert.deepEqual(f.calls, ['C', 'A', 'B'].map((c) => target(c).addresses[0]));
    assert.equal(v.verdictFor(target('A'))?.kind, 'verified');
  });

  test(`paced: at most ${VERIFY_CONCURRENT_MAX} at once and ${VERIFY_PER_SECOND_MAX} started per second`, async () => {
    const targets = Array.from({ length: 25 }, (_, i) => target(String.fromCharCode(66 + i)));
    const f = fakeDial((a) => targets.find((t) => t.addresses[0] === a)!.identity, 30);
    const v = new Verifier({ dial: f.dial, random: () => 0 });
    v.setActive(true);
    v.request(targets);
    await sleep(900);
    assert.ok(f.calls.length <= VERIFY_PER_SECOND_MAX, `${f.calls.length} started within the first second`);
    assert.ok(f.maxInFlight <= VERIFY_CONCURRENT_MAX, `${f.maxInFlight} at once`);
    await sleep(2300);
    assert.equal(f.calls.length, 25, 'all done within three seconds');
  });

  test('a verdict is kept: asking again dials nothing; a changed advertisement redoes it, the old verdict standing meanwhile', async () => {
    const f = fakeDial(() => id('A'));
    const v = new Verifier({ dial: f.dial, random: () => 0 });
    v.setActive(true);
    v.request([target('A')]);
    await sleep(80);
    v.request([target('A')]);
    await sleep(80);
    assert.equal(f.calls.length, 1);
    const changed = target('A', { advertisement: 'v2' });
    assert.deepEqual([v.verdictFor(changed)?.kind, v.verdictFor(changed)?.stale], ['verified', true]);
    v.request([changed]);
    await sleep(80);
    assert.equal(f.calls.length, 2);
    assert.equal(v.verdictFor(changed)?.stale, undefined);
  });

  test('another key at the endpoint is an impostor, checked again after a minute; an unreachable one is retried later', async () => {
    let now = 1_000_000;
    const f = fakeDial((a) => (a === target('A').addresses[0] ? id('Z') : new Error('refused')));
    const v = new Verifier({ dial: f.dial, random: () => 0, now: () => now });
    v.setActive(true);
    v.request([target('A'), target('B')]);
    await sleep(80);
    const verdict = v.verdictFor(target('A'));
    assert.equal(verdict?.kind, 'impostor');
    assert.equal(verdict?.kind === 'impostor' ? verdict.proven : null, id('Z'));
    assert.equal(v.verdictFor(target('B'))?.kind, 'unreachable');
    v.request([target('A'), target('B')]);
    await sleep(50);
    assert.equal(f.calls.length, 2, 'neither is due yet');
    now += IMPOSTOR_RECHECK_MS;
    v.request([target('A'), target('B')]);
    await sleep(80);
    assert.equal(f.calls.length, 4, 'both due again');
  });
});
