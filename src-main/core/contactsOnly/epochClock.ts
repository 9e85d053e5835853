// Ticks at each epoch boundary (docs/protocol.md): the Contacts only advertisement changes then
// (goodbye for the old token, announcement of the new one, a new port). Timers are re-armed
// against the wall clock each time, so a late timer or a clock change never skips an epoch.

import { EventEmitter } from 'node:events';
import { EPOCH_DEFAULT_MS, epochEndsAt, epochOf } from './broadcastTokens.js';

/** Fire a little after the boundary, so that `epochOf(Date.now())` is already the new epoch. */
const BOUNDARY_MARGIN_MS = 5;
/** A long timer is re-checked at least this often (sleep, clock changes). */
const RECHECK_MAX_MS = 60_000;

export class EpochClock extends EventEmitter<{ epoch: [epoch: number] }> {
  private timer: NodeJS.Timeout | null = null;
  private last: number | null = null;

  constructor(readonly epochMs: number = EPOCH_DEFAULT_MS, private readonly now: () => number = Date.now) {
    super();
  }

  get current(): number {
    return epochOf(this.now(), this.epochMs);
  }

  /** Milliseconds until the current epoch ends. */
  msLeft(): number {
    return epochEndsAt(this.current, this.epochMs) - this.now();
  }

  start(): void {
    if (this.timer) return;
    this.last = this.current;
    this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.last = null;
  }

  private arm(): void {
    const wait = Math.min(this.msLeft() + BOUNDARY_MARGIN_MS, RECHECK_MAX_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      const epoch = this.current;
      if (epoch !== this.last) {
        this.last = epoch;
        this.emit('epoch', epoch);
      }
      if (this.last !== null && !this.timer) this.arm();
    }, Math.max(wait, 1));
    this.timer.unref?.();
  }
}
