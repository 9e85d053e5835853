// Waits that grow after each failure, so that a peer that is away, or a node that restarts, is
// not asked again and again: from `minMs`, doubling, up to `maxMs`; reset() after a success.
// Jitter spreads the waits of many retrying parties so that they do not all come back at once.
// Pure TypeScript: main and renderer.

export interface BackoffOptions {
  /** The first wait, and the first after reset(). */
  minMs: number;
  /** The wait grows up to this (jitter is applied on top of it). */
  maxMs: number;
  /**
   * Each wait is the current step times a random factor from `low` (included) to `high`:
   * [0.8, 1.2] spreads it ±20 %, [1, 1.1] adds up to 10 %. Default [1, 1]: no jitter.
   */
  jitter?: readonly [low: number, high: number];
  /** Returns a number from 0 (included) to 1 (excluded); Math.random unless a test fixes it. */
  random?: () => number;
}

/** How much the step grows after each wait. */
const BACKOFF_GROWTH_FACTOR = 2;
const NO_JITTER: readonly [number, number] = [1, 1];

export class Backoff {
  private stepMs: number;
  private readonly jitter: readonly [number, number];
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.minMs > 0 && options.maxMs >= options.minMs)) {
      throw new RangeError(`a backoff needs 0 < minMs <= maxMs, got ${options.minMs} and ${options.maxMs}`);
    }
    this.stepMs = options.minMs;
    this.jitter = options.jitter ?? NO_JITTER;
    this.random = options.random ?? Math.random;
  }

  /** The wait before the next attempt, in ms; the one after it will be (up to) twice as long. */
  next(): number {
    const [low, high] = this.jitter;
    const waitMs = this.stepMs * (low + this.random() * (high - low));
    this.stepMs = Math.min(this.stepMs * BACKOFF_GROWTH_FACTOR, this.options.maxMs);
    return waitMs;
  }

  /** Back to the first step (after a success). */
  reset(): void {
    this.stepMs = this.options.minMs;
  }

  /** The step the next wait is drawn around (before jitter). */
  get currentStepMs(): number {
    return this.stepMs;
  }
}
