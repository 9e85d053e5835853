// Recognises contacts in Contacts only mode (docs/protocol.md): for each contact whose broadcast
// secret we hold, the tokens of the current epoch and its neighbours (clock skew), in one table.
// A label heard in mDNS is then one lookup. The table is rebuilt when the epoch turns or the
// secrets change: 3 HMACs per contact (about 150 for 50 contacts, well under a millisecond).

import { EPOCH_DEFAULT_MS, epochOf, epochWindow, privateToken } from './broadcastTokens.js';

export interface ResolvedToken {
  identity: string;
  /** The epoch the token belongs to (ours may differ by one: the clocks differ). */
  epoch: number;
}

export interface TokenResolverOptions {
  /** The secrets of our contacts. */
  secrets: () => Array<{ identity: string; secret: Uint8Array }>;
  epochMs?: number;
  now?: () => number;
}

export class TokenResolver {
  private table = new Map<string, ResolvedToken>();
  private builtFor: number | null = null;
  private readonly epochMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: TokenResolverOptions) {
    this.epochMs = opts.epochMs ?? EPOCH_DEFAULT_MS;
    this.now = opts.now ?? Date.now;
  }

  /** The secrets changed (a contact added or removed, a new secret received): rebuild on next use. */
  invalidate(): void {
    this.builtFor = null;
  }

  /** The contact whose token `label` is, for an epoch within one of ours; null otherwise. */
  resolve(label: string): ResolvedToken | null {
    this.ensureTable();
    return this.table.get(label.toLowerCase()) ?? null;
  }

  /** How many tokens are recognised now (contacts × epochs in the window). */
  get size(): number {
    this.ensureTable();
    return this.table.size;
  }

  private ensureTable(): void {
    const epoch = epochOf(this.now(), this.epochMs);
    if (this.builtFor === epoch) return;
    const table = new Map<string, ResolvedToken>();
    const window = epochWindow(epoch).filter((e) => e >= 0);
    for (const { identity, secret } of this.opts.secrets()) {
      for (const e of window) table.set(privateToken(secret, e), { identity, epoch: e });
    }
    this.table = table;
    this.builtFor = epoch;
  }
}
