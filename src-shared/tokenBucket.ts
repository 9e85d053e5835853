// A rate with bursts (a token bucket): `perSecond` tokens come back each second, up to `burst`;
// each thing allowed spends one. What a peer may send, or open, without being cut off: a link's
// messages, its metadata updates, an address's new connections. Pure TypeScript: main and renderer.

export class TokenBucket {
  private tokens: number;
  private at: number;

  /** `now`: milliseconds (Date.now unless a test moves time itself). */
  constructor(private readonly perSecond: number, private readonly burst: number, private readonly now: () => number = Date.now) {
    this.tokens = burst;
    this.at = now();
  }

  /** Spends a token when there is one: true; else false (over the rate). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0 when one is). */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.perSecond) * 1000;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
  }
}
