import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SerialQueue } from '../../src-shared/serialQueue.js';

/** A promise with its resolve and reject in hand. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SerialQueue', () => {
  test('runs one task at a time, in the order they were queued', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, i) =>
      queue.run(async () => {
        log.push(`start ${i}`);
        await gate.promise;
        log.push(`end ${i}`);
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['start 0'], 'the second waits for the first');
    // Released out of order: the order of the queue still holds.
    gates[2]!.resolve();
    gates[1]!.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['start 0']);
    gates[0]!.resolve();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2]);
    assert.deepEqual(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  test('a task does not start before run() returns, even on an empty queue', () => {
    const queue = new SerialQueue();
    let started = false;
    void queue.run(() => {
      started = true;
    });
    assert.equal(started, false);
  });

  test('a failed task rejects its own caller and does not block the next', async () => {
    const queue = new SerialQueue();
    const failing = queue.run(async () => {
      throw new Error('first failed');
    });
    const throwing = queue.run(() => {
      throw new Error('second threw');
    });
    const next = queue.run(() => 'third ran');
    await assert.rejects(failing, /first failed/);
    await assert.rejects(throwing, /second threw/);
    assert.equal(await next, 'third ran');
  });

  test('idle() waits for every task queued so far, whatever its outcome; size counts them', async () => {
    const queue = new SerialQueue();
    assert.equal(queue.size, 0);
    const gate = deferred();
    let finished = 0;
    const a = queue.run(async () => {
      await gate.promise;
      finished++;
      throw new Error('a');
    });
    const b = queue.run(() => {
      finished++;
    });
    a.catch(() => {});
    assert.equal(queue.size, 2);
    let idle = false;
    const whenIdle = queue.idle().then(() => {
      idle = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(idle, false);
    gate.resolve();
    await whenIdle;
    assert.equal(finished, 2);
    assert.equal(queue.size, 0);
    await b;
  });
});
