// Verification without a mesh (issue 9, DESIGN §5): a listed device is verified by a short TLS
// handshake to the endpoint it advertises, which then closes (no link, no hello: ALPN says so,
// see p2p/tlsIdentity.ts). The verdict is what the handshake proved about the claimed identity at
// that (address, port): verified, or another key there (an impostor). It is cached per
// (identity, address, port) and redone when the device's advertisement changes.
//
// Handshakes run only while someone looks at the list (the node turns this on and off) and are
// paced: a few at once, a few per second, each started after a random delay, so that 50 nodes
// whose users all open the app at once do not make 2,450 handshakes in the same second. The
// caller's order is the priority: what is on screen goes first.

import { EventEmitter } from 'node:events';
import { Backoff } from '../../../src-shared/backoff.js';
import type { AccountPresentation } from '../accounts/accountTrust.js';

/** Handshakes in progress at once, and started per second. */
export const VERIFY_CONCURRENT_MAX = 4;
export const VERIFY_PER_SECOND_MAX = 10;
/** Each handshake starts after a random delay up to this (nodes looking at once spread out). */
export const VERIFY_JITTER_MS = 150;
/** How long one verification (name lookup, TCP, TLS) may take. */
export const VERIFY_TIMEOUT_MS = 3000;
/**
 * A verified endpoint is checked again this often while someone looks (issue 14): a device that
 * restarted at the same address, port and TXT may present other account credentials, and nothing
 * else says so. 50 listed devices cost 5 short handshakes a minute, only while someone looks.
 */
export const VERIFIED_RECHECK_MS = 10 * 60_000;
/** An endpoint that answered with another key is checked again this often (the impostor may leave). */
export const IMPOSTOR_RECHECK_MS = 60_000;
/** An endpoint that could not be reached is tried again after 5 s, doubling to 5 min. */
export const UNREACHABLE_RETRY_MIN_MS = 5000;
export const UNREACHABLE_RETRY_MAX_MS = 5 * 60_000;
/** Verdicts kept at most (the least recently used go first). */
export const VERDICTS_MAX = 4096;

/** One advertised endpoint of a claimed identity. */
export interface VerifyTarget {
  identity: string;
  /** Addresses to try, in order (the first that answers gives the verdict). */
  addresses: readonly string[];
  port: number;
  /** What the device advertises besides (host name, TXT): a change redoes the verdict. */
  advertisement: string;
}

export type Verdict = (
  /** `account`: the credentials the device presented in its answer (unchecked; the directory checks them against the identity). */
  | { kind: 'verified'; address: string; at: number; account?: AccountPresentation | null }
  | { kind: 'impostor'; address: string; proven: string; at: number }
  | { kind: 'unreachable'; reason: string; at: number }
) & {
  /** The device's advertisement changed since: the verdict is being redone (it stands until then). */
  stale?: true;
};

/** Dials `addresses` on `port` for a verification; resolves with the identity proven there, the address that answered, and the account credentials it presented. */
export type VerifyDial = (addresses: readonly string[], port: number) => Promise<{ identity: string; address: string; account?: AccountPresentation | null }>;

interface Entry {
  verdict: Verdict;
  advertisement: string;
  /** When it should be checked again (ms); sooner when the advertisement changes. */
  dueAt: number;
}

export interface VerifierOptions {
  dial: VerifyDial;
  now?: () => number;
  random?: () => number;
}

export interface VerifierStats {
  started: number;
  verified: number;
  impostors: number;
  unreachable: number;
}

function keyOf(identity: string, address: string, port: number): string {
  return `${identity}|${address}|${port}`;
}

export class Verifier extends EventEmitter<{ change: [] }> {
  /** Verdicts by (identity, address, port); insertion order is recency (LRU). */
  private readonly verdicts = new Map<string, Entry>();
  /** Unreachable endpoints by their whole target (no address answered), with their retry backoff. */
  private readonly unreachable = new Map<string, { entry: Entry; backoff: Backoff }>();
  private queue: VerifyTarget[] = [];
  private readonly inFlight = new Set<string>();
  private readonly startedAt: number[] = [];
  private pumpTimer: NodeJS.Timeout | null = null;
  private active = false;
  private readonly now: () => number;
  private readonly random: () => number;
  readonly stats: VerifierStats = { started: 0, verified: 0, impostors: 0, unreachable: 0 };

  constructor(private readonly opts: VerifierOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Handshakes run only while active (someone looks); cached verdicts are kept either way. */
  setActive(active: boolean): void {
    this.active = active;
    if (active) this.pump();
    else if (this.pumpTimer) {
      clearTimeout(this.pumpTimer);
      this.pumpTimer = null;
    }
  }

  /**
   * The verdict for a target: that of its first address with one (marked stale when the
   * advertisement changed since: it stands until redone), else an unreachable one, else null.
   */
  verdictFor(target: VerifyTarget): Verdict | null {
    for (const address of target.addresses) {
      const e = this.verdicts.get(keyOf(target.identity, address, target.port));
      if (e) return e.advertisement === target.advertisement ? e.verdict : { ...e.verdict, stale: true };
    }
    const u = this.unreachable.get(this.targetKey(target));
    return u && u.entry.advertisement === target.advertisement ? u.entry.verdict : null;
  }

  /**
   * The targets to verify, most wanted first (what is on screen, then the rest). Replaces the
   * previous request; those with a current verdict are skipped, those due again are retried.
   */
  request(targets: readonly VerifyTarget[]): void {
    const now = this.now();
    this.queue = targets.filter((t) => t.addresses.length > 0 && t.port > 0 && !this.inFlight.has(this.targetKey(t)) && this.isDue(t, now));
    this.pump();
  }

  private isDue(t: VerifyTarget, now: number): boolean {
    for (const address of t.addresses) {
      const e = this.verdicts.get(keyOf(t.identity, address, t.port));
      if (e) return e.advertisement !== t.advertisement || e.dueAt <= now;
    }
    const u = this.unreachable.get(this.targetKey(t));
    return !u || u.entry.advertisement !== t.advertisement || u.entry.dueAt <= now;
  }

  private targetKey(t: VerifyTarget): string {
    return `${t.identity}|${t.port}|${t.addresses.join(',')}`;
  }

  private pump(): void {
    if (this.pumpTimer || !this.active) return;
    const now = this.now();
    while (this.startedAt.length > 0 && (this.startedAt[0] as number) <= now - 1000) this.startedAt.shift();
    while (this.queue.length > 0 && this.inFlight.size < VERIFY_CONCURRENT_MAX && this.startedAt.length < VERIFY_PER_SECOND_MAX) {
      const target = this.queue.shift() as VerifyTarget;
      this.startedAt.push(now);
      void this.run(target);
    }
    if (this.queue.length > 0 && this.inFlight.size < VERIFY_CONCURRENT_MAX) {
      // Over the per-second budget: come back when the oldest start leaves the window.
      const wait = Math.max(10, (this.startedAt[0] ?? now) + 1000 - now);
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = null;
        this.pump();
      }, wait);
    }
  }

  private async run(target: VerifyTarget): Promise<void> {
    const key = this.targetKey(target);
    this.inFlight.add(key);
    this.stats.started++;
    await new Promise((resolve) => setTimeout(resolve, this.random() * VERIFY_JITTER_MS));
    try {
      const { identity, address, account } = await this.opts.dial(target.addresses, target.port);
      this.unreachable.delete(key);
      const at = this.now();
      if (identity === target.identity) {
        this.stats.verified++;
        this.remember(keyOf(target.identity, address, target.port), { verdict: { kind: 'verified', address, at, account: account ?? null }, advertisement: target.advertisement, dueAt: at + VERIFIED_RECHECK_MS });
      } else {
        this.stats.impostors++;
        this.remember(keyOf(target.identity, address, target.port), { verdict: { kind: 'impostor', address, proven: identity, at }, advertisement: target.advertisement, dueAt: at + IMPOSTOR_RECHECK_MS });
      }
    } catch (err) {
      this.stats.unreachable++;
      const at = this.now();
      const u = this.unreachable.get(key) ?? { entry: null as unknown as Entry, backoff: new Backoff({ minMs: UNREACHABLE_RETRY_MIN_MS, maxMs: UNREACHABLE_RETRY_MAX_MS, jitter: [0.8, 1.2], random: this.random }) };
      u.entry = { verdict: { kind: 'unreachable', reason: (err as Error).message, at }, advertisement: target.advertisement, dueAt: at + u.backoff.next() };
      this.unreachable.set(key, u);
      if (this.unreachable.size > VERDICTS_MAX) this.unreachable.delete(this.unreachable.keys().next().value as string);
    } finally {
      this.inFlight.delete(key);
    }
    this.emit('change');
    this.pump();
  }

  private remember(key: string, entry: Entry): void {
    this.verdicts.delete(key);
    this.verdicts.set(key, entry);
    if (this.verdicts.size > VERDICTS_MAX) this.verdicts.delete(this.verdicts.keys().next().value as string);
  }

  /** Forgets every verdict (a new network: addresses mean other hosts now). */
  clear(): void {
    this.verdicts.clear();
    this.unreachable.clear();
    this.queue = [];
  }
}
