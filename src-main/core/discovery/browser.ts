// Browses `_sd._udp`: re-queries with backoff listing known answers (RFC 6762 §5.2, §7.1, §7.3),
// and keeps the peer list honest with direct questions (DESIGN §4): a peer that stops answering
// is dropped within seconds, and a goodbye removes a peer only when it is confirmed.

import { EventEmitter } from 'node:events';
import {
  ASK_MISSING_MIN_INTERVAL_MS, GOODBYE_VERIFY_ATTEMPTS, GOODBYE_VERIFY_TIMEOUT_MS, LIVENESS_ATTEMPTS, LIVENESS_INTERVAL_MS, LIVENESS_TIMEOUT_MS,
  OVERFLOW_QUIET_MS, OVERFLOW_REQUERY_MIN_INTERVAL_MS, PEERS_MAX, QUERY_FIRST_DELAY_MAX_MS, QUERY_FIRST_DELAY_MIN_MS, REFRESH_JITTER, REFRESH_POINTS,
  REFRESH_QUESTIONS_PER_PACKET, REFRESH_TTL_MIN_MS, REQUERY_JITTER_FRACTION, REQUERY_MAX_MS, REQUERY_MIN_MS, SERVICE_TYPE,
} from './constants.js';
import { encodeQuery, encodeQueryPackets, sameName, type MdnsMessage } from './dnsMessage.js';
import { PeerCache, type CacheEntry } from './peerCache.js';
import type { Transport } from './transport.js';
import type { Peer } from '../../../src-shared/peer.js';

interface Check {
  kind: 'liveness' | 'goodbye';
  attempt: number;
  timer: NodeJS.Timeout;
}

export interface BrowserEvents {
  change: [];
  /** The network announced more than the peer table holds. */
  overflow: [];
}

export class Browser extends EventEmitter<BrowserEvents> {
  readonly cache: PeerCache;
  private queryTimer: NodeJS.Timeout | null = null;
  private queryIntervalMs = REQUERY_MIN_MS;
  private lastQueryAt = 0;
  /** When another host last asked our PTR question with at least our known answers (§7.3). */
  private lastEquivalentQueryAt = 0;
  private readonly nextCheckAt = new Map<string, number>();
  private readonly checks = new Map<string, Check>();
  /** Peers whose liveness the P2P link vouches for. */
  private readonly monitored = new Set<string>();
  /** When we last asked a peer for records it left out. */
  private readonly askedAt = new Map<string, number>();
  /** Cache maintenance per record (`${key}|SRV`, `${key}|TXT`): the record's expiry it is for,
   *  the refresh points already passed, and its random extra. */
  private readonly refresh = new Map<string, { expiresAt: number; step: number; jitter: number }>();
  private tickTimer: NodeJS.Timeout | null = null;
  private running = false;
  private overflowReported = 0;
  /** When the table last had to turn an entry away, and when that last restarted the queries. */
  private lastOverflowAt = 0;
  private lastOverflowRequeryAt = 0;

  constructor(private readonly transport: Transport, private readonly ownLabel: () => string | null, maxPeers = PEERS_MAX) {
    super();
    this.cache = new PeerCache(ownLabel, maxPeers);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.restartQueries();
    this.tickTimer = setInterval(() => this.tick(), 250);
  }

  stop(): void {
    this.running = false;
    if (this.queryTimer) clearTimeout(this.queryTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.queryTimer = this.tickTimer = null;
    for (const c of this.checks.values()) clearTimeout(c.timer);
    this.checks.clear();
    this.nextCheckAt.clear();
    this.askedAt.clear();
    this.refresh.clear();
    this.monitored.clear();
    const hadPeers = this.cache.size > 0;
    this.cache.clear();
    if (hadPeers) this.emit('change');
  }

  peers(): Peer[] {
    return [...this.cache.values()].map((e) => this.cache.toPeer(e));
  }

  /** A new burst of queries: at start, and when the network changes (DESIGN §4). */
  restartQueries(): void {
    if (!this.running) return;
    if (this.queryTimer) clearTimeout(this.queryTimer);
    this.queryIntervalMs = REQUERY_MIN_MS;
    const first = QUERY_FIRST_DELAY_MIN_MS + Math.random() * (QUERY_FIRST_DELAY_MAX_MS - QUERY_FIRST_DELAY_MIN_MS);
    this.queryTimer = setTimeout(() => this.sendQuery(), first);
  }

  private sendQuery(): void {
    if (!this.running) return;
    const now = Date.now();
    // Duplicate question suppression: someone asked the same, with our known answers, meanwhile.
    const suppressed = this.lastEquivalentQueryAt > this.lastQueryAt && now - this.lastEquivalentQueryAt < this.queryIntervalMs / 2;
    if (!suppressed) {
      // The first query of a burst asks for unicast answers (RFC 6762 §5.4): responders that
      // multicast their records a moment ago answer us at once instead of waiting a second.
      const first = this.queryIntervalMs === REQUERY_MIN_MS;
      const question = { name: SERVICE_TYPE, type: 'PTR' as const, unicastResponse: first };
      const packets = encodeQueryPackets([question], this.cache.knownPtrAnswers(now));
      for (const iface of this.transport.interfaces()) for (const packet of packets) void this.transport.multicast(iface.name, packet);
    }
    this.lastQueryAt = now;
    const interval = this.queryIntervalMs;
    this.queryIntervalMs = Math.min(this.queryIntervalMs * 2, REQUERY_MAX_MS);
    this.queryTimer = setTimeout(() => this.sendQuery(), interval * (1 + Math.random() * REQUERY_JITTER_FRACTION));
  }

  /**
   * Another host's query (RFC 6762 §7.3): when it asks our question as QM and lists no known
   * answer that we would not list too, the answers it draws serve us as well, so ours can wait.
   * (Had it listed answers we lack, responders would hold those back: we must still ask.)
   */
  observeQuery(msg: MdnsMessage): void {
    if (!msg.questions.some((q) => sameName(q.name, SERVICE_TYPE) && (q.type === 'PTR' || q.type === 'ANY') && !q.unicastResponse)) return;
    const ours = new Set(this.cache.knownPtrAnswers(Date.now()).map((r) => (r.data as string).toLowerCase()));
    // Our own instance needs no answer: a query that lists it lacks nothing for us.
    const own = this.ownLabel();
    if (own) ours.add(`${own}._sd._udp.local`.toLowerCase());
    const theirs = msg.knownAnswers.filter((r) => r.type === 'PTR' && sameName(r.name, SERVICE_TYPE)).map((r) => (r.data as string).toLowerCase());
    if (theirs.every((name) => ours.has(name))) this.lastEquivalentQueryAt = Date.now();
  }

  /** A multicast or unicast response from a peer, heard on interface `iface`. */
  handleResponse(msg: MdnsMessage, source: string, iface: string, viaDirectQuery: boolean): void {
    if (!this.running) return;
    const now = Date.now();
    if (viaDirectQuery) {
      // Legacy-unicast answers carry TTLs capped at 10 s: proof of life, not cache content.
      for (const r of msg.records) {
        if (r.type === 'SRV' && r.ttl > 0) {
          const entry = this.cache.entryFor(r.name, now, null);
          if (entry) {
            entry.vouched = true;
            this.confirmAlive(entry, now);
            // Alive, but its records may have run out meanwhile (held while a link vouched for
            // it, or refreshes that went unanswered): ask for them again.
            const heard = [...entry.heardOn.values()].sort((a, b) => b.at - a.at)[0];
            if (heard) this.askForMissing(entry, heard.source);
          }
        }
      }
      return;
    }
    const before = this.cache.size;
    const { touched, goodbyes, changed } = this.cache.apply(msg.records, iface, source, now);
    for (const key of touched) {
      const entry = this.cache.get(key);
      if (!entry) continue;
      this.confirmAlive(entry, now);
      this.askForMissing(entry, source);
    }
    for (const key of goodbyes) if (!touched.has(key)) this.verifyGoodbye(key);
    if (changed || this.cache.size !== before) this.emit('change');
  }

  private confirmAlive(entry: CacheEntry, now: number): void {
    entry.lastSeen = now;
    const check = this.checks.get(entry.key);
    if (check) {
      clearTimeout(check.timer);
      this.checks.delete(entry.key);
    }
    this.nextCheckAt.set(entry.key, now + LIVENESS_INTERVAL_MS * (0.8 + Math.random() * 0.4));
  }

  /** A PTR alone, or an SRV without addresses: ask the peer directly for the rest. */
  private askForMissing(entry: CacheEntry, source: string): void {
    const questions = [];
    if (!entry.srv) questions.push({ name: `${entry.label}._sd._udp.local`, type: 'SRV' as const, unicastResponse: true });
    if (!entry.txt) questions.push({ name: `${entry.label}._sd._udp.local`, type: 'TXT' as const, unicastResponse: true });
    if (entry.srv && !this.cache.hasAddresses(entry)) {
      questions.push({ name: entry.srv.target, type: 'A' as const, unicastResponse: true }, { name: entry.srv.target, type: 'AAAA' as const, unicastResponse: true });
    }
    if (questions.length === 0) return;
    // At most once a second per peer, whatever a LAN sends us.
    const now = Date.now();
    if ((this.askedAt.get(entry.key) ?? 0) > now - ASK_MISSING_MIN_INTERVAL_MS) return;
    this.askedAt.set(entry.key, now);
    // QU questions to the group: answered by unicast to our port 5353 (RFC 6762 §5.4).
    const packet = encodeQuery(questions);
    const iface = [...entry.heardOn.entries()].find(([, h]) => h.source === source)?.[0];
    if (iface) void this.transport.multicast(iface, packet);
  }

  private verifyGoodbye(key: string): void {
    const entry = this.cache.get(key);
    if (!entry) return;
    const existing = this.checks.get(key);
    if (existing?.kind === 'goodbye') return;
    if (existing) clearTimeout(existing.timer);
    this.directCheck(entry, 'goodbye', 0);
  }

  /** Sends one direct SRV question; on silence, retries, then drops the peer. */
  private directCheck(entry: CacheEntry, kind: Check['kind'], attempt: number): void {
    const timeout = kind === 'goodbye' ? GOODBYE_VERIFY_TIMEOUT_MS : LIVENESS_TIMEOUT_MS;
    const attempts = kind === 'goodbye' ? GOODBYE_VERIFY_ATTEMPTS : LIVENESS_ATTEMPTS;
    const packet = encodeQuery([{ name: `${entry.label}._sd._udp.local`, type: 'SRV', unicastResponse: true }]);
    // One address per question; a retry tries the next one (another family, another LAN).
    const targets = this.directTargets(entry);
    const address = targets[attempt % Math.max(targets.length, 1)];
    if (address !== undefined) void this.transport.directQuery(address, packet);
    const timer = setTimeout(() => {
      this.checks.delete(entry.key);
      if (attempt + 1 < attempts) this.directCheck(entry, kind, attempt + 1);
      else this.drop(entry.key);
    }, timeout);
    this.checks.set(entry.key, { kind, attempt, timer });
  }

  /** Where to ask: the addresses we last heard the peer from, most recent first, then its others. */
  private directTargets(entry: CacheEntry): string[] {
    const sources = [...entry.heardOn.values()].sort((a, b) => b.at - a.at).map((h) => h.source);
    return [...new Set([...sources, ...this.cache.addressesOf(entry)])];
  }

  /**
   * Another mechanism (the P2P link) vouches for this peer's liveness: no direct questions
   * while it does. Turned off, the peer is checked at once.
   */
  setMonitored(key: string, monitored: boolean): void {
    if (monitored) {
      this.monitored.add(key);
      const entry = this.cache.get(key);
      if (entry) entry.vouched = true;
      const check = this.checks.get(key);
      if (check?.kind === 'liveness') {
        clearTimeout(check.timer);
        this.checks.delete(key);
      }
    } else if (this.monitored.delete(key)) {
      // Its records were held while the link vouched; now they get what a refresh would leave
      // them (the 80 % point comes at once), rather than vanishing with the link: the port and
      // addresses are what the re-dial that settles whether the peer is gone needs.
      this.cache.renew(key, Date.now(), 1 - REFRESH_POINTS[0]);
      this.nextCheckAt.set(key, 0);
    }
  }

  /**
   * Cache maintenance (RFC 6762 §5.2): SRV and TXT records of peers that no link vouches for are
   * asked for again, by multicast (one answer refreshes every cache on the LAN), at 80, 85, 90
   * and 95 % of their lifetime. Without it a quiet peer's port and addresses (120 s records)
   * were gone two minutes after its last announcement. Due questions go out together.
   */
  private refreshRecords(now: number): void {
    const due = new Map<string, Array<{ name: string; type: 'SRV' | 'TXT'; unicastResponse: false }>>();
    for (const entry of this.cache.values()) {
      if (this.monitored.has(entry.key)) continue;
      for (const [type, record] of [['SRV', entry.srv], ['TXT', entry.txt]] as const) {
        if (!record || record.ttlMs < REFRESH_TTL_MIN_MS) continue;
        const id = `${entry.key}|${type}`;
        let r = this.refresh.get(id);
        if (!r || r.expiresAt !== record.expiresAt) this.refresh.set(id, (r = { expiresAt: record.expiresAt, step: 0, jitter: Math.random() * REFRESH_JITTER }));
        const point = REFRESH_POINTS[r.step];
        if (point === undefined) continue;
        const elapsed = 1 - (record.expiresAt - now) / record.ttlMs;
        if (elapsed < point + r.jitter) continue;
        while (r.step < REFRESH_POINTS.length && elapsed >= (REFRESH_POINTS[r.step] ?? 1) + r.jitter) r.step++;
        const heard = [...entry.heardOn.entries()].sort((a, b) => b[1].at - a[1].at)[0];
        if (!heard) continue;
        let list = due.get(heard[0]);
        if (!list) due.set(heard[0], (list = []));
        list.push({ name: `${entry.label}._sd._udp.local`, type, unicastResponse: false });
      }
    }
    for (const [iface, questions] of due) {
      for (let i = 0; i < questions.length; i += REFRESH_QUESTIONS_PER_PACKET) {
        void this.transport.multicast(iface, encodeQuery(questions.slice(i, i + REFRESH_QUESTIONS_PER_PACKET)));
      }
    }
  }

  private drop(key: string): void {
    if (this.cache.delete(key)) {
      this.nextCheckAt.delete(key);
      this.askedAt.delete(key);
      this.emit('change');
    }
  }

  private tick(): void {
    const now = Date.now();
    const gone = this.cache.expire(now, this.monitored);
    for (const key of gone) {
      this.nextCheckAt.delete(key);
      this.askedAt.delete(key);
      const c = this.checks.get(key);
      if (c) clearTimeout(c.timer);
      this.checks.delete(key);
    }
    if (gone.length > 0) this.emit('change');
    // Entries evicted by the table's caps leave their timers' bookkeeping behind: forget it.
    for (const key of this.nextCheckAt.keys()) if (!this.cache.get(key)) this.nextCheckAt.delete(key);
    for (const key of this.askedAt.keys()) if (!this.cache.get(key)) this.askedAt.delete(key);
    for (const key of this.monitored) if (!this.cache.get(key)) this.monitored.delete(key);
    for (const key of this.refresh.keys()) if (!this.cache.get(key.slice(0, key.lastIndexOf('|')))) this.refresh.delete(key);
    this.refreshRecords(now);
    if (this.cache.overflowed > this.overflowReported) {
      this.overflowReported = this.cache.overflowed;
      this.lastOverflowAt = now;
      this.emit('overflow');
    } else if (this.lastOverflowAt > 0 && now - this.lastOverflowAt >= OVERFLOW_QUIET_MS && now - this.lastOverflowRequeryAt >= OVERFLOW_REQUERY_MIN_INTERVAL_MS) {
      // A flood is over: the peers it pushed out are asked for again, not left until the next
      // query of the backoff (up to an hour away).
      this.lastOverflowAt = 0;
      this.lastOverflowRequeryAt = now;
      this.restartQueries();
    }
    for (const entry of this.cache.values()) {
      if (this.checks.has(entry.key) || this.monitored.has(entry.key)) continue;
      const due = this.nextCheckAt.get(entry.key) ?? 0;
      if (due <= now) this.directCheck(entry, 'liveness', 0);
    }
  }
}
