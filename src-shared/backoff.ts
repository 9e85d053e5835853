// Placeholder until the plumbing branch lands (one backoff for the whole project).
export interface BackoffOptions { minMs: number; maxMs: number; factor?: number; jitter?: number; random?: () => number }
export class Backoff {
  private currentMs: number;
  constructor(private readonly opts: BackoffOptions) {
    this.currentMs = opts.minMs;
  }
  next(): number {
    const jitter = this.opts.jitter ?? 0.2;
    const wait = this.currentMs * (1 - jitter + (this.opts.random ?? Math.random)() * 2 * jitter);
    this.currentMs = Math.min(this.currentMs * (this.opts.factor ?? 2), this.opts.maxMs);
    return wait;
  }
  reset(): void {
    this.currentMs = this.opts.minMs;
  }
}
