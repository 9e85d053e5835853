// The attention registry (src-main/core/peers/attention.ts), on a fake clock: who counts as
// looking (subscribed sessions that did not say otherwise, getState leases), when 'change' and
// 'focus' fire, and the order of the devices on screen.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { Attention, ATTENTION_LEASE_AFTER_GETSTATE_MS } from '../../src-main/core/peers/attention.js';

function recorder(attention: Attention) {
  const changes: boolean[] = [];
  let focusEvents = 0;
  attention.on('change', (looking) => changes.push(looking));
  attention.on('focus', () => focusEvents++);
  return { changes, focusEvents: () => focusEvents };
}

describe('attention: who is looking', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('nobody at first; a subscribed session looks until it closes', () => {
    const attention = new Attention();
    const seen = recorder(attention);
    assert.equal(attention.isLooking, false);
    const window = {};
    attention.subscribe(window);
    assert.equal(attention.isLooking, true);
    assert.equal(attention.isSessionLooking(window), true);
    attention.close(window);
    assert.equal(attention.isLooking, false);
    assert.deepEqual(seen.changes, [true, false]);
  });

  test('a session that is not subscribed (one HTTP request) does not look, even if it says so', () => {
    const attention = new Attention();
    const request = {};
    assert.equal(attention.update(request, { looking: true }), false);
    assert.equal(attention.isLooking, false);
  });

  test('a session that says looking:false stops counting (a hidden window), and counts again when it says so', () => {
    const attention = new Attention();
    const seen = recorder(attention);
    const window = {};
    attention.subscribe(window);
    assert.equal(attention.update(window, { looking: false }), false);
    assert.equal(attention.isLooking, false);
    assert.equal(attention.update(window, { looking: true }), true);
    assert.equal(attention.isLooking, true);
    assert.deepEqual(seen.changes, [true, false, true]);
  });

  test('one looking session of two is enough; unsubscribing without closing stops that one', () => {
    const attention = new Attention();
    const seen = recorder(attention);
    const tab = {};
    const window = {};
    attention.subscribe(tab);
    attention.subscribe(window);
    attention.update(tab, { looking: false });
    assert.equal(attention.isLooking, true, 'the window still looks');
    attention.unsubscribe(window);
    assert.equal(attention.isLooking, false);
    assert.deepEqual(seen.changes, [true, false], "'change' fires only when the answer flips");
  });

  test(`a getState is a look of ${ATTENTION_LEASE_AFTER_GETSTATE_MS / 1000} s, renewed by each call`, () => {
    const attention = new Attention();
    const seen = recorder(attention);
    attention.lease();
    assert.equal(attention.isLooking, true);
    mock.timers.tick(ATTENTION_LEASE_AFTER_GETSTATE_MS - 1000);
    attention.lease(); // renewed, not added to
    mock.timers.tick(ATTENTION_LEASE_AFTER_GETSTATE_MS - 1);
    assert.equal(attention.isLooking, true);
    mock.timers.tick(1);
    assert.equal(attention.isLooking, false);
    assert.deepEqual(seen.changes, [true, false]);
  });

  test('a lease that ends while a session looks changes nothing', () => {
    const attention = new Attention();
    const seen = recorder(attention);
    const window = {};
    attention.lease();
    attention.subscribe(window);
    mock.timers.tick(ATTENTION_LEASE_AFTER_GETSTATE_MS);
    assert.equal(attention.isLooking, true);
    attention.close(window);
    assert.deepEqual(seen.changes, [true, false]);
  });

  test('stop() ends the lease timer and the events', () => {
    const attention = new Attention();
    const seen = recorder(attention);
    attention.lease();
    attention.stop();
    mock.timers.tick(ATTENTION_LEASE_AFTER_GETSTATE_MS);
    assert.deepEqual(seen.changes, [true]);
  });
});

describe('attention: what the looking sessions show', () => {
  test('the open devices and the rows on screen are unions over the looking sessions, in a stable order', () => {
    const attention = new Attention();
    const first = {};
    const second = {};
    attention.subscribe(first);
    attention.subscribe(second);
    attention.update(first, { looking: true, openPeerId: 'b', visiblePeerIds: ['a', 'b', 'c', 'd'] });
    attention.update(second, { looking: true, openPeerId: 'x', visiblePeerIds: ['x', 'c', 'y'] });
    assert.deepEqual(attention.openPeerIds(), ['b', 'x'], 'oldest session first');
    // The first row of every screen, then the second of every screen...: the top of each screen first.
    assert.deepEqual(attention.visiblePeerIds(), ['a', 'x', 'b', 'c', 'y', 'd']);
    attention.update(second, { looking: true, openPeerId: 'c' });
    assert.deepEqual(attention.openPeerIds(), ['b', 'c']);
    assert.deepEqual(attention.visiblePeerIds(), ['a', 'x', 'b', 'c', 'y', 'd'], 'fields left out keep their value');
  });

  test('a session that does not look does not count with what it shows; one that closes neither', () => {
    const attention = new Attention();
    const tab = {};
    const window = {};
    attention.subscribe(tab);
    attention.subscribe(window);
    attention.update(tab, { looking: true, openPeerId: 't', visiblePeerIds: ['t1'] });
    attention.update(window, { looking: true, openPeerId: 'w', visiblePeerIds: ['w1', 'w1', 'w2'] });
    attention.update(tab, { looking: false });
    assert.deepEqual(attention.openPeerIds(), ['w']);
    assert.deepEqual(attention.visiblePeerIds(), ['w1', 'w2'], 'each device once');
    attention.close(window);
    assert.deepEqual(attention.openPeerIds(), []);
    assert.deepEqual(attention.visiblePeerIds(), []);
  });

  test("'focus' fires when the unions change, and only then", () => {
    const attention = new Attention();
    const seen = recorder(attention);
    const window = {};
    attention.subscribe(window);
    assert.equal(seen.focusEvents(), 0, 'subscribing shows nothing yet');
    attention.update(window, { looking: true, openPeerId: 'p' });
    assert.equal(seen.focusEvents(), 1);
    attention.update(window, { looking: true, openPeerId: 'p' });
    assert.equal(seen.focusEvents(), 1, 'the same again is no change');
    attention.update(window, { looking: true, visiblePeerIds: ['p', 'q'] });
    assert.equal(seen.focusEvents(), 2);
    attention.update(window, { looking: false });
    assert.equal(seen.focusEvents(), 3, 'a session that stops looking takes its focus with it');
    attention.update(window, { looking: true, openPeerId: null });
    assert.deepEqual([attention.openPeerIds(), attention.visiblePeerIds()], [[], ['p', 'q']]);
    assert.equal(seen.focusEvents(), 4);
  });
});
