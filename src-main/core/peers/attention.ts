// Placeholder until the contract branch lands (the attention registry of sessions).
import { EventEmitter } from 'node:events';

export const ATTENTION_LEASE_AFTER_GETSTATE_MS = 15_000;

export class Attention extends EventEmitter<{ change: []; focus: [] }> {
  private looking = 0;
  private leaseUntil = 0;
  private leaseTimer: NodeJS.Timeout | null = null;
  private last = false;

  get isLooking(): boolean {
    return this.looking > 0 || this.leaseUntil > Date.now();
  }

  openPeerIds(): string[] {
    return [];
  }

  visiblePeerIds(): string[] {
    return [];
  }

  /** A subscriber: looking until the returned function is called. */
  subscribe(): () => void {
    this.looking++;
    this.check();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.looking--;
      this.check();
    };
  }

  /** A getState: a short look. */
  noteGetState(): void {
    this.leaseUntil = Date.now() + ATTENTION_LEASE_AFTER_GETSTATE_MS;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(() => this.check(), ATTENTION_LEASE_AFTER_GETSTATE_MS + 10);
    this.leaseTimer.unref();
    this.check();
  }

  private check(): void {
    const now = this.isLooking;
    if (now !== this.last) {
      this.last = now;
      this.emit('change');
    }
  }
}
