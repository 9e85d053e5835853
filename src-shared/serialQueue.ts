// Work that must not interleave (a read-modify-write of a file, a re-announcement) runs through a
// SerialQueue: one task at a time, in the order they were queued. A task that fails rejects its
// own caller only; the next task runs as if it had succeeded. Pure TypeScript: main and renderer.

export class SerialQueue {
  /** Settles when the last queued task has finished; never rejects. */
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Queues `task`; resolves or rejects with its outcome once every task queued before it has finished. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.waiting++;
    const outcome = this.tail.then(task).finally(() => {
      this.waiting--;
    });
    this.tail = outcome.then(
      () => undefined,
      () => undefined,
    );
    return outcome;
  }

  /** Resolves when every task queued so far has finished, however it ended. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** How many tasks are queued or running. */
  get size(): number {
    return this.waiting;
  }
}
