// Browses `_sd._udp`: re-queries with backoff listing known answers (RFC 6762 §5.2, §7.1, §7.3),
// and, while someone looks at the peer list, keeps it honest with direct questions (liveness.ts)
// and fresh records. Nobody looking, it sends nothing about any one peer (issue 9): the one
// question for the whole service, the answers to others, and goodbye checks go on as ever.
// Where the mode forbids questions that name a peer that could be a contact (Contacts only,
// issue 11), what would have been asked of such a peer by multicast is asked of the whole service,
// which every peer answers.

import { EventEmitter } from 'node:events';
import {
  ASK_MISSING_MIN_INTERVAL_MS, BROWSER_TICK_IDLE_MS, BROWSER_TICK_LOOKING_MS, NEW_PEER_COMPLETION_MS, OVERFLOW_QUIET_MS, OVERFLOW_REQUERY_MIN_INTERVAL_MS, PEERS_MAX, QUERY_FIRST_DELAY_MAX_MS,
  QUERY_FIRST_DELAY_MIN_MS, QUESTIONS_PER_PACKET_MAX, REFRESH_JITTER, REFRESH_POINTS, REFRESH_TTL_MIN_MS, REQUERY_JITTER_FRACTION, REQUERY_MAX_MS,
  REQUERY_MIN_MS, SERVICE_TYPE, WHOLE_SERVICE_QUESTION_MIN_INTERVAL_MS,
} from './constants.js';
import { encodeQuery, encodeQueryPackets, instanceFullName, instanceLabelOf, sameName, type MdnsMessage, type MdnsQuestion } from './dnsMessage.js';
import { LivenessProber } from './liveness.js';
import { PeerCache, type CacheEntry } from './peerCache.js';
import type { Transport } from './transport.js';
import type { Peer } from '../../../src-shared/peer.js';

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
  private readonly prober: LivenessProber;
  /** When we last asked a peer for records it left out. */
  private readonly askedAt = new Map<string, number>();
  /** Cache maintenance per record (`${key}|PTR`, `${key}|SRV`, ...): the record's expiry it is for,
   *  the refresh points already passed, and its random extra. */
  private readonly refresh = new Map<string, { expiresAt: number; step: number; jitter: number }>();
  private tickTimer: NodeJS.Timeout | null = null;
  private running = false;
  private overflowReported = 0;
  /** When the table last had to turn an entry away, and when that last restarted the queries. */
  private lastOverflowAt = 0;
  private lastOverflowRequeryAt = 0;
  private answersTaken = 0;
  /** Whether a multicast question may name this instance (the mode's `mayNameInQuestions`). */
  private mayName: (label: string) => boolean = () => true;
  /** When the whole service was last asked with no known answers (askWholeService). */
  private lastWholeServiceQuestionAt = 0;
  /**
   * While nobody looks, the tick walks the table (lifetimes, refresh points) only when the table
   * changed since its last walk or something in it falls due: an idle node with 49 peers walked
   * every record once a second, most of what it spent idle.
   */
  private walkedVersion = -1;
  private nextWalkAt = 0;

  constructor(private readonly transport: Transport, private readonly ownLabel: () => string | null, maxPeers = PEERS_MAX) {
    super();
    this.cache = new PeerCache(ownLabel, maxPeers);
    this.prober = new LivenessProber(transport, this.cache, (key) => this.drop(key));
  }

  get isLooking(): boolean {
    return this.prober.isLooking;
  }

  /**
   * Whether someone looks at the peer list (issue 9). Turned on, every peer is asked directly
   * within about a second and what peers left out (a port, addresses that ran out) is asked for,
   * so the list is exact within seconds; turned off, no question about any one peer is sent.
   */
  setLooking(looking: boolean): void {
    if (looking === this.prober.isLooking) return;
    const now = Date.now();
    this.prober.setLooking(looking, now);
    this.nextWalkAt = 0;
    if (this.running) this.startTicking();
    if (!looking || !this.running) return;
    // Where some peers may not be named, whether anything of theirs is missing (records of
    // unlinked peers ran out, those of linked ones were held) must not decide whether we ask:
    // the whole service is asked whenever someone starts looking.
    if ([...this.cache.values()].some((e) => !this.mayName(e.label))) this.askWholeService(now);
    this.askForMissing([...this.cache.values()], now);
  }

  /** Which instances a multicast question may name; of the others, the whole service is asked instead. */
  setQuestionsMayName(mayName: (instanceLabel: string) => boolean): void {
    this.mayName = mayName;
    this.nextWalkAt = 0;
  }

  private startTicking(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = setInterval(() => this.tick(), this.prober.isLooking ? BROWSER_TICK_LOOKING_MS : BROWSER_TICK_IDLE_MS);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.restartQueries();
    this.startTicking();
  }

  stop(): void {
    this.running = false;
    if (this.queryTimer) clearTimeout(this.queryTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.queryTimer = this.tickTimer = null;
    this.prober.stop();
    this.askedAt.clear();
    this.refresh.clear();
    const hadPeers = this.cache.size > 0;
    this.cache.clear();
    if (hadPeers) this.emit('change');
  }

  peers(): Peer[] {
    return [...this.cache.values()].map((e) => this.cache.toPeer(e));
  }

  /** How many answers from peers were taken so far: a change means some peer's "last seen" moved, if nothing else. */
  get heardCount(): number {
    return this.answersTaken;
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
    // Every query asks for multicast answers (QM), the first of a burst too, though RFC 6762 §5.4
    // would let it ask for unicast ones: when a LAN starts together (a power cut, a boot storm of
    // 50), unicast answers are one packet per pair of hosts (2,450 at 50, each needing a neighbour
    // entry: ARP or ND), while a multicast answer, at most once a second per record, serves every
    // host at once. A newcomer on a quiet LAN waits the shared answers' 20-120 ms for it.
    if (!suppressed) this.queryPtr(now, false);
    this.lastQueryAt = now;
    const interval = this.queryIntervalMs;
    this.queryIntervalMs = Math.min(this.queryIntervalMs * 2, REQUERY_MAX_MS);
    this.queryTimer = setTimeout(() => this.sendQuery(), interval * (1 + Math.random() * REQUERY_JITTER_FRACTION));
  }

  /** The one question for the whole service, with the peers we know as known answers (§7.1) unless `withKnownAnswers` is false. */
  private queryPtr(now: number, unicastResponse: boolean, withKnownAnswers = true): void {
    const packets = encodeQueryPackets([{ name: SERVICE_TYPE, type: 'PTR', unicastResponse }], withKnownAnswers ? this.cache.knownPtrAnswers(now) : []);
    for (const iface of this.transport.interfaces()) for (const packet of packets) void this.transport.multicast(iface.name, packet);
  }

  /**
   * The question that names no peer: the service's PTR with no known answers, so that every peer
   * answers, its SRV, TXT and addresses coming along as additional records (RFC 6763 §12.1).
   * It refreshes everyone's records alike, so it tells a listener nothing of whom we wanted.
   */
  private askWholeService(now: number): void {
    if (now - this.lastWholeServiceQuestionAt < WHOLE_SERVICE_QUESTION_MIN_INTERVAL_MS) return;
    this.lastWholeServiceQuestionAt = now;
    this.queryPtr(now, false, false);
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
    this.answersTaken++;
    if (viaDirectQuery) {
      // Legacy-unicast answers carry TTLs capped at 10 s: proof of life, not cache content.
      for (const r of msg.records) {
        if (r.type !== 'SRV' || r.ttl <= 0) continue;
        const entry = this.cache.entryFor(r.name, now, null);
        if (!entry) continue;
        entry.vouched = true;
        entry.lastSeen = now;
        this.prober.confirmAlive(entry.key, now, source);
        // Alive, but its records may have run out meanwhile (held while a link vouched for it,
        // or nobody looked): ask for them again. Not of the whole service for one that may not be
        // named: only peers without a link are asked directly, so that would say one was missing.
        if (this.mayName(entry.label)) this.askForMissing([entry], now);
      }
      return;
    }
    const before = this.cache.size;
    const { touched, goodbyes, changed } = this.cache.apply(msg.records, iface, source, now);
    const heard: CacheEntry[] = [];
    for (const key of touched) {
      const entry = this.cache.get(key);
      if (!entry) continue;
      this.prober.confirmAlive(key, now, null);
      heard.push(entry);
    }
    this.askForMissing(heard, now);
    for (const key of goodbyes) {
      const entry = this.cache.get(key);
      if (entry && !touched.has(key)) this.prober.verifyGoodbye(entry);
    }
    if (changed || this.cache.size !== before) this.emit('change');
  }

  /** The questions for what a peer left out: SRV, TXT, or the addresses of its SRV's host. */
  private missingQuestions(entry: CacheEntry): MdnsQuestion[] {
    const name = instanceFullName(entry.label);
    const questions: MdnsQuestion[] = [];
    if (!entry.srv) questions.push({ name, type: 'SRV', unicastResponse: false });
    if (!entry.txt) questions.push({ name, type: 'TXT', unicastResponse: false });
    if (entry.srv && !this.cache.hasAddresses(entry)) {
      questions.push({ name: entry.srv.target, type: 'A', unicastResponse: false }, { name: entry.srv.target, type: 'AAAA', unicastResponse: false });
    }
    return questions;
  }

  /**
   * A PTR alone, or an SRV without addresses: the rest is asked for by multicast (QM: only the
   * first question of a burst may ask for a unicast answer, RFC 6762 §5.4, and responders that
   * ignore QU questions must still answer). While nobody looks, only for peers heard for the
   * first time a moment ago. Several peers' questions share a packet.
   */
  private askForMissing(entries: CacheEntry[], now: number): void {
    const byInterface = new Map<string, MdnsQuestion[]>();
    for (const entry of entries) {
      if (!this.prober.isLooking && now - entry.firstSeen > NEW_PEER_COMPLETION_MS) continue;
      const questions = this.missingQuestions(entry);
      if (questions.length === 0) continue;
      if (!this.mayName(entry.label)) {
        this.askWholeService(now);
        continue;
      }
      // At most once a second per peer, whatever a LAN sends us.
      if ((this.askedAt.get(entry.key) ?? 0) > now - ASK_MISSING_MIN_INTERVAL_MS) continue;
      const iface = [...entry.heardOn.entries()].sort((a, b) => b[1].at - a[1].at)[0]?.[0];
      if (iface === undefined) continue;
      this.askedAt.set(entry.key, now);
      let list = byInterface.get(iface);
      if (!list) byInterface.set(iface, (list = []));
      list.push(...questions);
    }
    this.multicastQuestions(byInterface);
  }

  /**
   * Asks for one instance's SRV and TXT by multicast (QM) on every interface: its owner answers,
   * and its cache-flush records replace others it did not send (an impostor's, RFC 6762 §10.2).
   */
  askFor(instanceName: string): void {
    if (!this.running) return;
    if (!this.mayName(instanceLabelOf(instanceName) ?? instanceName)) {
      this.askWholeService(Date.now());
      return;
    }
    const questions: MdnsQuestion[] = [
      { name: instanceName, type: 'SRV', unicastResponse: false },
      { name: instanceName, type: 'TXT', unicastResponse: false },
    ];
    this.multicastQuestions(new Map(this.transport.interfaces().map((i) => [i.name, questions])));
  }

  private multicastQuestions(byInterface: Map<string, MdnsQuestion[]>): void {
    for (const [iface, questions] of byInterface) {
      for (let i = 0; i < questions.length; i += QUESTIONS_PER_PACKET_MAX) {
        void this.transport.multicast(iface, encodeQuery(questions.slice(i, i + QUESTIONS_PER_PACKET_MAX)));
      }
    }
  }

  /**
   * Another mechanism (the P2P link) vouches for this peer's liveness: no direct questions
   * while it does. Turned off, the peer is checked at once (when someone looks).
   */
  setMonitored(key: string, monitored: boolean): void {
    const now = Date.now();
    this.prober.setMonitored(key, monitored, now);
    this.nextWalkAt = 0;
    if (monitored) {
      const entry = this.cache.get(key);
      if (entry) entry.vouched = true;
    } else {
      // Its records were held while the link vouched; now they get what a refresh would leave
      // them (the 80 % point comes at once), rather than vanishing with the link: the port and
      // addresses are what the re-dial that settles whether the peer is gone needs.
      this.cache.renew(key, now, 1 - REFRESH_POINTS[0]);
    }
  }

  /**
   * Cache maintenance (RFC 6762 §5.2): a record still wanted is asked for again at 80, 85, 90
   * and 95 % of its lifetime, by multicast (one answer refreshes every cache on the LAN). Due
   * PTR records need one question for the whole service, whoever looks: without it a peer heard
   * just after a query of the backoff (up to 60 min apart) would drop out when its PTR (75 min)
   * ran out. SRV and TXT records only while someone looks: nobody else is interested in them
   * (their PTR and TXT keep peers listed), and not for peers that a link vouches for (their
   * records are held while it lives). Due questions go out together.
   *
   * For a peer that may not be named, an SRV or TXT record due asks the whole service instead,
   * and such peers' records count alike, linked or not: when we ask must not tell whom we have no
   * link to either (everyone answers, so their records are renewed together and fall due together).
   * Returns when the next refresh point comes (Infinity if none).
   */
  private refreshRecords(now: number): number {
    const due = new Map<string, MdnsQuestion[]>();
    let ptrDue = false;
    let wholeServiceDue = false;
    let nextAt = Infinity;
    for (const entry of this.cache.values()) {
      const named = this.mayName(entry.label);
      if (named && this.prober.isMonitored(entry.key)) continue;
      for (const [type, record] of [['PTR', entry.ptr], ['SRV', entry.srv], ['TXT', entry.txt]] as const) {
        if (!record || record.ttlMs < REFRESH_TTL_MIN_MS || (type !== 'PTR' && !this.prober.isLooking)) continue;
        const id = `${entry.key}|${type}`;
        const passed = this.refreshPointPassed(id, record, now);
        nextAt = Math.min(nextAt, this.nextRefreshPointAt(id, record));
        if (!passed) continue;
        if (type === 'PTR' || !named) {
          ptrDue ||= type === 'PTR';
          wholeServiceDue ||= type !== 'PTR';
          continue;
        }
        const heard = [...entry.heardOn.entries()].sort((a, b) => b[1].at - a[1].at)[0];
        if (!heard) continue;
        let list = due.get(heard[0]);
        if (!list) due.set(heard[0], (list = []));
        list.push({ name: instanceFullName(entry.label), type, unicastResponse: false });
      }
    }
    if (wholeServiceDue) this.askWholeService(now);
    else if (ptrDue) this.queryPtr(now, false);
    this.multicastQuestions(due);
    return nextAt;
  }

  /** Whether one of the record's refresh points (REFRESH_POINTS, plus its jitter) has just passed. */
  private refreshPointPassed(id: string, record: { expiresAt: number; ttlMs: number }, now: number): boolean {
    let r = this.refresh.get(id);
    if (!r || r.expiresAt !== record.expiresAt) this.refresh.set(id, (r = { expiresAt: record.expiresAt, step: 0, jitter: Math.random() * REFRESH_JITTER }));
    const point = REFRESH_POINTS[r.step];
    if (point === undefined) return false;
    const elapsed = 1 - (record.expiresAt - now) / record.ttlMs;
    if (elapsed < point + r.jitter) return false;
    while (r.step < REFRESH_POINTS.length && elapsed >= (REFRESH_POINTS[r.step] ?? 1) + r.jitter) r.step++;
    return true;
  }

  /** When the record's next refresh point comes (Infinity after the last). */
  private nextRefreshPointAt(id: string, record: { expiresAt: number; ttlMs: number }): number {
    const r = this.refresh.get(id);
    const point = r ? REFRESH_POINTS[r.step] : undefined;
    return r && point !== undefined ? record.expiresAt - record.ttlMs * (1 - (point + r.jitter)) : Infinity;
  }

  private drop(key: string): void {
    this.prober.forget(key);
    this.askedAt.delete(key);
    if (this.cache.delete(key)) this.emit('change');
  }

  private tick(): void {
    const now = Date.now();
    if (!this.prober.isLooking && this.cache.version === this.walkedVersion && now < this.nextWalkAt) return;
    const gone = this.cache.expire(now, this.prober.monitoredKeys);
    for (const key of gone) {
      this.prober.forget(key);
      this.askedAt.delete(key);
    }
    if (gone.length > 0) this.emit('change');
    // Entries evicted by the table's caps leave their timers' bookkeeping behind: forget it.
    for (const key of this.askedAt.keys()) if (!this.cache.get(key)) this.askedAt.delete(key);
    for (const key of this.refresh.keys()) if (!this.cache.get(key.slice(0, key.lastIndexOf('|')))) this.refresh.delete(key);
    const nextRefreshAt = this.refreshRecords(now);
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
    const overflowDueAt = this.lastOverflowAt > 0 ? Math.max(this.lastOverflowAt + OVERFLOW_QUIET_MS, this.lastOverflowRequeryAt + OVERFLOW_REQUERY_MIN_INTERVAL_MS) : Infinity;
    this.prober.tick(now);
    this.walkedVersion = this.cache.version;
    this.nextWalkAt = Math.min(this.cache.nextExpiryAt, nextRefreshAt, overflowDueAt);
  }
}
