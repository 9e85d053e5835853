// Direct questions that settle whether a peer is still there (DESIGN §4, issue 9): every few
// seconds while someone looks at the peer list, and once to verify a goodbye (looking or not).
// Nobody looking, no peer is asked anything: its PTR and TXT keep it listed.
//
// One address per question, the next one on each retry. A question that could not be sent (a
// host whose IPv6 is broken, a full neighbour table) goes to the next address at once and is no
// miss: only silence, or the peer's host saying nothing listens on port 5353, counts against it.
//
// They name the peer, and are asked in Contacts only too (issue 11), where multicast questions
// name nobody: each goes to the peer's host alone, and only of peers no link vouches for, so a
// listener on the path (the Wi-Fi access point, a mirrored switch port) could tell from them which
// listed peers we have a link with. But that listener sees the links themselves, connections that
// last as long as the relationship and ping while someone looks: the questions tell it nothing
// more. A passive host elsewhere on a switched LAN sees neither, and the peer asked learns only
// that we list it, as every host that hears its announcements does.

import {
  GOODBYE_VERIFY_MISSES_TO_DROP, GOODBYE_VERIFY_TIMEOUT_MS, PROBE_INTERVAL_JITTER_FRACTION, PROBE_INTERVAL_MS, PROBE_MISSES_TO_DROP, PROBE_SWEEP_SPREAD_MS,
  PROBE_TIMEOUT_MS, PROBES_PER_SECOND_MAX,
} from './constants.js';
import { encodeQuery, instanceFullName } from './dnsMessage.js';
import type { CacheEntry, PeerCache } from './peerCache.js';
import type { DirectQuestionFailure, Transport } from './transport.js';

type CheckKind = 'liveness' | 'goodbye';

interface Check {
  kind: CheckKind;
  label: string;
  /** The addresses to ask, in turn. */
  targets: string[];
  /** How many questions this check has sent (the next goes to targets[asked % length]). */
  asked: number;
  misses: number;
  /** Questions in a row that could not be sent: a whole round of them leaves the check undecided. */
  unsent: number;
  /** The question in flight; a failure reported for an earlier one is stale. */
  question: number;
  timer: NodeJS.Timeout | null;
}

export class LivenessProber {
  private looking = true;
  private readonly checks = new Map<string, Check>();
  private readonly nextProbeAt = new Map<string, number>();
  /** Peers whose liveness the P2P link vouches for: not asked while it does. */
  private readonly monitored = new Set<string>();
  /** The address a peer last answered from: asked first next time. */
  private readonly answeredFrom = new Map<string, string>();
  /** When the direct questions of the last second started (PROBES_PER_SECOND_MAX). */
  private probesStartedAt: number[] = [];
  private questionCounter = 0;

  constructor(private readonly transport: Transport, private readonly cache: PeerCache, private readonly drop: (key: string) => void) {}

  get isLooking(): boolean {
    return this.looking;
  }

  get monitoredKeys(): ReadonlySet<string> {
    return this.monitored;
  }

  /**
   * Someone starts looking: every peer is asked within PROBE_SWEEP_SPREAD_MS, spread over it, so
   * that what died meanwhile leaves within seconds. Nobody looking: the questions stop.
   */
  setLooking(looking: boolean, now: number): void {
    if (looking === this.looking) return;
    this.looking = looking;
    if (looking) {
      for (const entry of this.cache.values()) {
        if (!this.monitored.has(entry.key) && !this.checks.has(entry.key)) this.nextProbeAt.set(entry.key, now + Math.random() * PROBE_SWEEP_SPREAD_MS);
      }
    } else {
      for (const [key, check] of this.checks) if (check.kind === 'liveness') this.cancel(key);
      this.nextProbeAt.clear();
    }
  }

  /** Heard from the peer: alive. Its next question waits a whole interval. */
  confirmAlive(key: string, now: number, answeredFrom: string | null): void {
    this.cancel(key);
    if (answeredFrom !== null) this.answeredFrom.set(key, answeredFrom);
    const jitter = PROBE_INTERVAL_JITTER_FRACTION * (2 * Math.random() - 1);
    this.nextProbeAt.set(key, now + PROBE_INTERVAL_MS * (1 + jitter));
  }

  /** While the P2P link vouches for a peer it is not asked; when the link goes, it is asked at once. */
  setMonitored(key: string, monitored: boolean, now: number): void {
    if (monitored) {
      this.monitored.add(key);
      if (this.checks.get(key)?.kind === 'liveness') this.cancel(key);
    } else if (this.monitored.delete(key)) {
      this.nextProbeAt.set(key, now);
    }
  }

  isMonitored(key: string): boolean {
    return this.monitored.has(key);
  }

  /** A goodbye (TTL 0) removes the peer only when direct questions then go unanswered. */
  verifyGoodbye(entry: CacheEntry): void {
    if (this.checks.get(entry.key)?.kind === 'goodbye') return;
    this.cancel(entry.key);
    this.begin(entry, 'goodbye');
  }

  /** Starts the direct questions that are due, the longest due first, within the rate cap. */
  tick(now: number): void {
    for (const key of this.nextProbeAt.keys()) if (!this.cache.get(key)) this.forget(key);
    for (const key of this.monitored) if (!this.cache.get(key)) this.monitored.delete(key);
    if (!this.looking) return;
    this.probesStartedAt = this.probesStartedAt.filter((t) => t > now - 1000);
    const budget = PROBES_PER_SECOND_MAX - this.probesStartedAt.length;
    if (budget <= 0) return;
    const due: Array<{ entry: CacheEntry; at: number }> = [];
    for (const entry of this.cache.values()) {
      if (this.checks.has(entry.key) || this.monitored.has(entry.key)) continue;
      const at = this.nextProbeAt.get(entry.key) ?? 0;
      if (at <= now) due.push({ entry, at });
    }
    due.sort((a, b) => a.at - b.at);
    for (const { entry } of due.slice(0, budget)) {
      this.probesStartedAt.push(now);
      this.begin(entry, 'liveness');
    }
  }

  /** Forgets a peer that left the table. */
  forget(key: string): void {
    this.cancel(key);
    this.nextProbeAt.delete(key);
    this.answeredFrom.delete(key);
  }

  stop(): void {
    for (const key of [...this.checks.keys()]) this.cancel(key);
    this.nextProbeAt.clear();
    this.answeredFrom.clear();
    this.monitored.clear();
    this.probesStartedAt = [];
  }

  private cancel(key: string): void {
    const check = this.checks.get(key);
    if (!check) return;
    if (check.timer) clearTimeout(check.timer);
    this.checks.delete(key);
  }

  /** Where to ask: where it last answered, where we last heard it, then its advertised addresses. */
  private targetsOf(entry: CacheEntry): string[] {
    const answered = this.answeredFrom.get(entry.key);
    const heard = [...entry.heardOn.values()].sort((a, b) => b.at - a.at).map((h) => h.source);
    return [...new Set([...(answered ? [answered] : []), ...heard, ...this.cache.addressesOf(entry)])];
  }

  private begin(entry: CacheEntry, kind: CheckKind): void {
    const targets = this.targetsOf(entry);
    if (targets.length === 0) return;
    const check: Check = { kind, label: entry.label, targets, asked: 0, misses: 0, unsent: 0, question: 0, timer: null };
    this.checks.set(entry.key, check);
    this.ask(entry.key, check);
  }

  /** One SRV question, legacy unicast (RFC 6762 §6.7): no QU bit, every responder answers it. */
  private ask(key: string, check: Check): void {
    if (check.unsent >= check.targets.length) {
      this.undecided(key, check);
      return;
    }
    const address = check.targets[check.asked % check.targets.length] as string;
    check.asked++;
    const question = ++this.questionCounter;
    check.question = question;
    const packet = encodeQuery([{ name: instanceFullName(check.label), type: 'SRV', unicastResponse: false }]);
    // After the event loop stalled (a busy host), an expired timer runs before the answer that
    // arrived meanwhile is read: the verdict waits one more turn of the loop, so that it is.
    const stillAsking = () => this.checks.get(key) === check && check.question === question;
    const timeout = check.kind === 'goodbye' ? GOODBYE_VERIFY_TIMEOUT_MS : PROBE_TIMEOUT_MS;
    check.timer = setTimeout(() => {
      check.timer = setTimeout(() => stillAsking() && this.miss(key, check), 0);
    }, timeout);
    this.transport.directQuery(address, packet, (failure: DirectQuestionFailure) => {
      if (!stillAsking()) return;
      if (check.timer) clearTimeout(check.timer);
      check.timer = null;
      if (failure === 'port-unreachable') {
        this.miss(key, check);
      } else {
        check.unsent++;
        this.ask(key, check);
      }
    });
  }

  private miss(key: string, check: Check): void {
    check.timer = null;
    check.misses++;
    check.unsent = 0;
    if (check.misses >= (check.kind === 'goodbye' ? GOODBYE_VERIFY_MISSES_TO_DROP : PROBE_MISSES_TO_DROP)) {
      this.forget(key);
      this.drop(key);
    } else {
      this.ask(key, check);
    }
  }

  /**
   * No address could be asked (every send failed): nothing is known either way. The peer stays;
   * a liveness check is tried again an interval later, a goodbye is left to the records' TTLs.
   */
  private undecided(key: string, check: Check): void {
    this.cancel(key);
    if (check.kind === 'liveness') this.nextProbeAt.set(key, Date.now() + PROBE_INTERVAL_MS);
  }
}
