// Browsing a wide-area domain (RFC 6763 over unicast DNS): PTR `_sd._udp.<domain>` lists the
// instances, SRV and TXT describe each, A/AAAA give the SRV target's addresses. Where the zone
// names a DNS Push server (RFC 8765, pushedDomain.ts), the same questions are subscriptions and
// every change arrives as it happens; otherwise (BIND 9.18, Knot and PowerDNS offer no push), and
// whenever the push session ends, the server is polled with backoff (1 s, doubling to 30 s while
// nothing changes, back to 1 s on a change), and push is tried again later.
//
// Answers are capped like mDNS ones (instances, addresses, TXT through the same codec), and each
// entry becomes a Peer with `source: 'wide-area'` for the peer directory, which verifies it like
// any other (an endpoint that proves another key is an impostor). BIND ignores leases, so a
// browser given `expire` (a node holding the domain's key) removes a registration whose lease
// ended: its TXT unchanged for LEASE_EXPIRY_FACTOR leases (constants.ts), so nobody renewed it.
// Sooner, while someone looks, each entry's port is connected to (liveness), and an entry that
// stops answering is hidden until it answers again.

import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { isIPv4, isIPv6 } from 'node:net';
import { Backoff } from '../../../src-shared/backoff.js';
import { inBatches } from '../../../src-shared/inBatches.js';
import { toDisplayText } from '../../../src-shared/displayText.js';
import { shortIdentity } from '../../../src-shared/identity.js';
import type { Peer } from '../../../src-shared/peer.js';
import { emptyDeviceMetadata, type DeviceMetadata } from '../../../src-shared/peerMetadata.js';
import { decodeTxt, sameTxtStrings } from '../../../src-shared/txtCodec.js';
import { ADDRESSES_PER_PEER_MAX } from '../discovery/constants.js';
import { isIpv6LinkLocal } from '../discovery/networkInterfaces.js';
import { claimedIdentity, UNNAMED_PEER } from '../discovery/peerCache.js';
import type { MdnsRecord } from '../discovery/dnsMessage.js';
import { describeServer, type DnsServer } from './dnsClient.js';
import { canonicalName, rcodeText } from './dnsWire.js';
import { DnsPushSession, describePushServer, type PushServer } from './dnsPush.js';
import { findPushServer, PushedDomain } from './pushedDomain.js';
import { query, type QueryAnswer } from './zone.js';
import {
  BROWSE_POLL_MAX_MS,
  BROWSE_POLL_MIN_MS,
  BROWSE_QUERIES_CONCURRENT_MAX,
  LIVENESS_INTERVAL_MS,
  LIVENESS_MISSES_TO_HIDE,
  LIVENESS_TIMEOUT_MS,
  LEASE_EXPIRY_FACTOR,
  LEASE_TXT_KEY,
  PUSH_DISCOVERY_RECHECK_MS,
  PUSH_RETRY_MAX_MS,
  PUSH_RETRY_MIN_MS,
  PUSH_SETTLE_MS,
  WIDE_AREA_INSTANCES_MAX,
  WIDE_AREA_LEASE_MAX_S,
  WIDE_AREA_SERVICE_LABELS,
} from './constants.js';

/** RFC 1035 §4.1.1: no error; RFC 2136 §2.2: the name does not exist. */
const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;

interface Instance {
  label: string;
  port: number;
  target: string;
  addresses: string[];
  txt: DeviceMetadata;
  /** The TXT strings as the server holds them, and the lease they announce (s; null: none, or out of range). */
  txtRaw: Uint8Array[];
  leaseS: number | null;
}

interface Entry extends Instance {
  id: string;
  firstSeen: number;
  lastSeen: number;
  misses: number;
  hidden: boolean;
  /** When this browser first saw the TXT as it is now (its own clock): a renewal changes it. */
  txtSince: number;
  /** When removing it as expired last failed (the server away, or it refused): tried again a lease later. */
  expireFailedAt: number | null;
}

/** A registration whose lease ended, as `expire` is asked to remove it. */
export interface StaleRegistration {
  instanceName: string;
  hostName: string | null;
  txt: Uint8Array[];
}

export interface WideAreaBrowserOptions {
  domain: string;
  server: DnsServer;
  /** Our own instance label: never listed. */
  ownInstance: string;
  /** Removes a registration whose lease ended (true: removed); absent without a key. */
  expire?: (stale: StaleRegistration) => Promise<boolean>;
  /** Certificate authorities to trust for the DNS Push server besides the system's (tests; users: NODE_EXTRA_CA_CERTS). */
  pushCa?: string | Buffer;
  random?: () => number;
}

/** How the browser learns of changes: pushed by the server (RFC 8765), or by asking it (polls). */
export type WideAreaUpdates = 'push' | 'poll';

/** Whether one TCP connection to `address`:`port` opens within LIVENESS_TIMEOUT_MS (closed at once). */
function portAnswers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: LIVENESS_TIMEOUT_MS });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

export class WideAreaBrowser extends EventEmitter<{ peers: []; warning: [string]; updates: [] }> {
  private readonly entries = new Map<string, Entry>();
  private readonly backoff: Backoff;
  private readonly pushBackoff: Backoff;
  private pollTimer: NodeJS.Timeout | null = null;
  /** The domain as the push server shows it, while a session is open (polling rests meanwhile). */
  private pushed: PushedDomain | null = null;
  private pushTimer: NodeJS.Timeout | null = null;
  /** While pushed: when the first lease ends unrenewed (polls look at it otherwise). */
  private expiryTimer: NodeJS.Timeout | null = null;
  /** The last push problem said (each said once, until push works again). */
  private pushProblem: string | null = null;
  /** Until then (a new session's first pushes still coming), what the polls listed stays listed. */
  private pushSettlesAt = 0;
  private settleTimer: NodeJS.Timeout | null = null;
  private livenessTimer: NodeJS.Timeout | null = null;
  private running = false;
  /** Whether someone looks (kept while stopped: browsing that starts again checks liveness at once). */
  private looking = false;
  private serverDown = false;
  /** Changes whenever an instance was heard from (a poll that changed something, a liveness answer). */
  heardCount = 0;

  constructor(private readonly opts: WideAreaBrowserOptions) {
    super();
    this.backoff = new Backoff({ minMs: BROWSE_POLL_MIN_MS, maxMs: BROWSE_POLL_MAX_MS, jitter: [1, 1.1], random: opts.random });
    this.pushBackoff = new Backoff({ minMs: PUSH_RETRY_MIN_MS, maxMs: PUSH_RETRY_MAX_MS, jitter: [1, 1.2], random: opts.random });
  }

  /** How changes reach this browser now (null: not browsing). */
  get updates(): WideAreaUpdates | null {
    return !this.running ? null : this.pushed ? 'push' : 'poll';
  }

  /** The push server in use, in words (null: none). */
  get pushServer(): string | null {
    return this.pushed ? describePushServer(this.pushed.session.server) : null;
  }

  get domain(): string {
    return this.opts.domain;
  }

  private get serviceName(): string {
    return `${WIDE_AREA_SERVICE_LABELS}.${this.opts.domain}`;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.backoff.reset();
    this.pushBackoff.reset();
    this.schedulePoll(0);
    this.schedulePushAttempt(0);
    this.syncLiveness();
  }

  stop(): void {
    this.running = false;
    for (const timer of [this.pollTimer, this.pushTimer, this.expiryTimer, this.settleTimer]) if (timer) clearTimeout(timer);
    this.pollTimer = this.pushTimer = this.expiryTimer = this.settleTimer = null;
    const pushed = this.pushed;
    this.pushed = null;
    pushed?.close();
    this.syncLiveness();
    this.entries.clear();
  }

  /** While someone looks, each listed instance is checked for life (see the top). */
  setLooking(looking: boolean): void {
    this.looking = looking;
    this.syncLiveness();
  }

  private syncLiveness(): void {
    const wanted = this.looking && this.running;
    if (wanted && !this.livenessTimer) this.livenessTimer = setInterval(() => void this.checkLiveness(), LIVENESS_INTERVAL_MS);
    else if (!wanted && this.livenessTimer) {
      clearInterval(this.livenessTimer);
      this.livenessTimer = null;
    }
  }

  peers(): Peer[] {
    return [...this.entries.values()].filter((e) => !e.hidden).map((e) => this.toPeer(e));
  }

  private schedulePoll(delayMs: number): void {
    if (!this.running || this.pushed) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.poll().then((changed) => {
        if (changed) this.backoff.reset();
        // A lease about to end is looked at when it ends, not at the next backed-off poll.
        this.schedulePoll(Math.min(this.backoff.next(), Math.max(BROWSE_POLL_MIN_MS, this.nextExpiryAt() - Date.now())));
      });
    }, delayMs);
  }

  private schedulePushAttempt(delayMs: number): void {
    if (!this.running || this.pushed) return;
    if (this.pushTimer) clearTimeout(this.pushTimer);
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      void this.attemptPush();
    }, delayMs);
  }

  private pushFailed(problem: string): void {
    if (problem !== this.pushProblem) this.emit('warning', problem);
    this.pushProblem = problem;
    this.schedulePushAttempt(this.pushBackoff.next());
  }

  /** Finds the zone's push server and subscribes there; polling goes on until that worked, and whenever it fails. */
  private async attemptPush(): Promise<void> {
    if (!this.running || this.pushed) return;
    let server: PushServer | null;
    try {
      server = await findPushServer(this.opts.server, this.opts.domain);
    } catch {
      // The DNS server is away: polling says so; push is looked for again later.
      this.schedulePushAttempt(this.pushBackoff.next());
      return;
    }
    if (!this.running || this.pushed) return;
    if (!server) return this.schedulePushAttempt(PUSH_DISCOVERY_RECHECK_MS);
    const view = new PushedDomain(new DnsPushSession({ server, ca: this.opts.pushCa }), (v) => this.wantedNames(v));
    try {
      await view.session.open();
      await view.start();
    } catch (err) {
      view.close();
      return this.pushFailed(`DNS Push from ${describePushServer(server)} cannot be used (${(err as Error).message}); polling instead`);
    }
    if (!this.running || this.pushed || !view.session.isOpen) {
      view.close();
      if (this.running && !this.pushed) this.schedulePushAttempt(this.pushBackoff.next());
      return;
    }
    this.pushed = view;
    this.pushProblem = null;
    this.pushBackoff.reset();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    // A subscription's records come in PUSHes after its answer, and each instance's SRV after its PTR:
    // until they had time to arrive, nothing the polls listed is taken for gone.
    this.pushSettlesAt = Date.now() + PUSH_SETTLE_MS;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      this.applyPushed();
    }, PUSH_SETTLE_MS);
    view.session.on('closed', (reason, retryDelayMs) => this.pushEnded(view, reason, retryDelayMs));
    view.on('changed', () => this.applyPushed());
    view.on('warning', (w) => this.emit('warning', `DNS Push: ${w}`));
    this.applyPushed();
    this.emit('updates');
  }

  /** The session ended: polling at once, push again after the server's RETRY DELAY or the backoff, whichever is later. */
  private pushEnded(view: PushedDomain, reason: string, retryDelayMs: number | null): void {
    if (this.pushed !== view) return;
    this.pushed = null;
    for (const timer of [this.expiryTimer, this.settleTimer]) if (timer) clearTimeout(timer);
    this.expiryTimer = this.settleTimer = null;
    this.pushProblem = `DNS Push from ${describePushServer(view.session.server)} ended: ${reason}; polling instead`;
    this.emit('warning', this.pushProblem);
    this.backoff.reset();
    this.schedulePoll(0);
    this.schedulePushAttempt(Math.max(retryDelayMs ?? 0, this.pushBackoff.next()));
    this.emit('updates');
  }

  /** The names and types the browser follows, given what the push server told so far (its questions when polling). */
  private wantedNames(view: PushedDomain): Array<{ name: string; type: 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA' }> {
    const out: Array<{ name: string; type: 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA' }> = [{ name: this.serviceName, type: 'PTR' }];
    for (const label of this.labelsIn(view.records(this.serviceName, 'PTR'))) {
      const name = this.instanceName(label);
      out.push({ name, type: 'SRV' }, { name, type: 'TXT' });
      const target = this.srvIn(name, view.records(name, 'SRV'))?.data.target.replace(/\.$/, '');
      if (target) out.push({ name: target, type: 'A' }, { name: target, type: 'AAAA' });
    }
    return out;
  }

  /** What the push server shows, as the listed entries (and leases that ended looked at when they end). */
  private applyPushed(): void {
    const view = this.pushed;
    if (!view) return;
    const instances: Instance[] = [];
    for (const label of this.labelsIn(view.records(this.serviceName, 'PTR'))) {
      const name = this.instanceName(label);
      const srv = view.records(name, 'SRV');
      const target = this.srvIn(name, srv)?.data.target.replace(/\.$/, '');
      const addressRecords = target === undefined ? [] : [...view.records(target, 'A'), ...view.records(target, 'AAAA')];
      const instance = this.instanceFrom(label, srv, view.records(name, 'TXT'), addressRecords);
      if (instance) instances.push(instance);
    }
    if (Date.now() < this.pushSettlesAt) {
      const pushed = new Set(instances.map((i) => this.idOf(i.label)));
      for (const e of this.entries.values()) if (!pushed.has(e.id)) instances.push(e);
    }
    this.apply(instances);
    void this.expireStale().then(() => this.scheduleExpiry());
  }

  private scheduleExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const at = this.nextExpiryAt();
    if (!this.pushed || at === Infinity) return;
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      void this.expireStale().then(() => this.scheduleExpiry());
    }, Math.max(BROWSE_POLL_MIN_MS, at - Date.now()));
  }

  /** One look at the domain; true when what it lists changed. */
  private async poll(): Promise<boolean> {
    let instances: Instance[];
    try {
      instances = await this.readDomain();
      this.serverDown = false;
    } catch (err) {
      // What was listed stays listed (liveness and verification still judge it): the server is away, not the devices.
      if (!this.serverDown) this.emit('warning', `browsing ${this.opts.domain}: ${(err as Error).message}; asked again with backoff`);
      this.serverDown = true;
      return false;
    }
    // Push took over while this poll was out: what the session shows is newer than this answer.
    if (!this.running || this.pushed) return false;
    const changed = this.apply(instances);
    return (await this.expireStale()) || changed;
  }

  /** When the first listed registration's lease ends without a renewal (Infinity: none, or no key). */
  private nextExpiryAt(): number {
    if (!this.opts.expire) return Infinity;
    let at = Infinity;
    for (const e of this.entries.values()) if (e.leaseS !== null) at = Math.min(at, expiryOf(e));
    return at;
  }

  /** Removes the registrations nobody renewed (see the top); true when the list changed. */
  private async expireStale(): Promise<boolean> {
    const expire = this.opts.expire;
    if (!expire) return false;
    const now = Date.now();
    const stale = [...this.entries.values()].filter((e) => e.leaseS !== null && now >= expiryOf(e));
    let changed = false;
    for (const e of stale) {
      const hostName = canonicalName(e.target).endsWith(`.${canonicalName(this.opts.domain)}`) ? e.target : null;
      if (!(await expire({ instanceName: `${e.label}.${this.serviceName}`, hostName, txt: e.txtRaw }))) {
        e.expireFailedAt = Date.now();
        continue;
      }
      if (this.entries.get(e.id) !== e) continue;
      this.entries.delete(e.id);
      changed = true;
    }
    if (changed) {
      this.heardCount++;
      this.emit('peers');
    }
    return changed;
  }

  /** The instances the domain lists now, each with its SRV, TXT and addresses (those whose records are incomplete left out). */
  private async readDomain(): Promise<Instance[]> {
    const ptr = this.answered(await query(this.opts.server, this.serviceName, 'PTR'));
    const found = await inBatches(this.labelsIn(ptr.records), BROWSE_QUERIES_CONCURRENT_MAX, (label) => this.readInstance(label).catch(() => this.known(label)));
    return found.filter((i): i is Instance => i !== null);
  }

  /** The instance labels the service's PTR records name (ours, foreign names and bad labels left out), capped. */
  private labelsIn(records: readonly MdnsRecord[]): string[] {
    const suffix = `.${canonicalName(this.serviceName)}`;
    const labels = new Set<string>();
    for (const r of records) {
      if (r.type !== 'PTR' || canonicalName(r.name) !== canonicalName(this.serviceName)) continue;
      const full = r.data.replace(/\.$/, '');
      if (!full.toLowerCase().endsWith(suffix)) continue;
      const label = full.slice(0, -suffix.length);
      if (label === '' || label.includes('.') || Buffer.byteLength(label) > 63 || label === this.opts.ownInstance) continue;
      labels.add(label);
      if (labels.size >= WIDE_AREA_INSTANCES_MAX) break; // a hostile zone's thousands of names cost a bounded poll
    }
    return [...labels];
  }

  /** `answer`, if it is one: a name that does not exist is an empty one; a failure (SERVFAIL, REFUSED) throws, so that what was known stays. */
  private answered(answer: QueryAnswer): QueryAnswer {
    if (answer.rcode === RCODE_NOERROR || answer.rcode === RCODE_NXDOMAIN) return answer;
    throw new Error(`the DNS server ${describeServer(this.opts.server)} answered ${rcodeText(answer.rcode)}`);
  }

  /** What a previous poll learnt of `label` (kept when one question of this poll failed). */
  private known(label: string): Instance | null {
    return this.entries.get(this.idOf(label)) ?? null;
  }

  private async readInstance(label: string): Promise<Instance | null> {
    const name = this.instanceName(label);
    const [srvQuestion, txtQuestion] = await Promise.all([query(this.opts.server, name, 'SRV'), query(this.opts.server, name, 'TXT')]);
    const [srvAnswer, txtAnswer] = [this.answered(srvQuestion), this.answered(txtQuestion)];
    const target = this.srvIn(name, srvAnswer.records)?.data.target.replace(/\.$/, '');
    let addressRecords: MdnsRecord[] = srvAnswer.records;
    if (target !== undefined && this.addressesOf(target, addressRecords).length === 0) {
      const [a, aaaa] = await Promise.all([query(this.opts.server, target, 'A'), query(this.opts.server, target, 'AAAA')]);
      addressRecords = [...a.records, ...aaaa.records];
    }
    return this.instanceFrom(label, srvAnswer.records, txtAnswer.records, addressRecords);
  }

  private instanceName(label: string): string {
    return `${label}.${this.serviceName}`;
  }

  /** The SRV of `name` among `records`, if one gives a port. */
  private srvIn(name: string, records: readonly MdnsRecord[]): Extract<MdnsRecord, { type: 'SRV' }> | undefined {
    const srv = records.find((r) => r.type === 'SRV' && canonicalName(r.name) === canonicalName(name));
    return srv?.type === 'SRV' && srv.data.port !== 0 ? srv : undefined;
  }

  /** The instance `label` as `records` describe it (its SRV, TXT, and the A and AAAA of the SRV's target); null without an SRV. */
  private instanceFrom(label: string, srvRecords: readonly MdnsRecord[], txtRecords: readonly MdnsRecord[], addressRecords: readonly MdnsRecord[]): Instance | null {
    const name = this.instanceName(label);
    const srv = this.srvIn(name, srvRecords);
    if (!srv) return null;
    const txt = txtRecords.find((r) => r.type === 'TXT' && canonicalName(r.name) === canonicalName(name));
    const target = srv.data.target.replace(/\.$/, '');
    const txtRaw = txt?.type === 'TXT' ? txt.data : [];
    return { label, port: srv.data.port, target, addresses: this.addressesOf(target, addressRecords), txt: txt?.type === 'TXT' ? decodeTxt(txt.data) : emptyDeviceMetadata(), txtRaw, leaseS: leaseOf(txtRaw) };
  }

  /** The A and AAAA of `target` among `records`: IPv4 first, link-local ones left out (no other network reaches them), capped. */
  private addressesOf(target: string, records: readonly MdnsRecord[]): string[] {
    const out = new Set<string>();
    for (const r of records) {
      if ((r.type !== 'A' && r.type !== 'AAAA') || canonicalName(r.name) !== canonicalName(target)) continue;
      if (r.type === 'A' ? isIPv4(r.data) : isIPv6(r.data) && !isIpv6LinkLocal(r.data)) out.add(r.data.toLowerCase());
    }
    return [...out].sort((a, b) => Number(isIPv6(a)) - Number(isIPv6(b))).slice(0, ADDRESSES_PER_PEER_MAX);
  }

  private idOf(label: string): string {
    return `${label}.${this.serviceName}`.toLowerCase();
  }

  private apply(instances: Instance[]): boolean {
    const now = Date.now();
    const seen = new Set<string>();
    let changed = false;
    for (const i of instances) {
      const id = this.idOf(i.label);
      seen.add(id);
      const old = this.entries.get(id);
      const txtSince = old && sameTxtStrings(old.txtRaw, i.txtRaw) ? old.txtSince : now;
      if (old && old.port === i.port && old.target === i.target && old.addresses.join() === i.addresses.join() && JSON.stringify(old.txt) === JSON.stringify(i.txt)) {
        // The same device as listed; a renewal (a new `renewed=`) only moves when its lease ends.
        if (txtSince !== old.txtSince) Object.assign(old, { txtRaw: i.txtRaw, leaseS: i.leaseS, txtSince, expireFailedAt: null });
        continue;
      }
      // A new endpoint or advertisement is a new chance: shown until liveness says otherwise.
      this.entries.set(id, { ...i, id, firstSeen: old?.firstSeen ?? now, lastSeen: now, misses: 0, hidden: false, txtSince, expireFailedAt: txtSince === old?.txtSince ? old.expireFailedAt : null });
      changed = true;
    }
    for (const id of [...this.entries.keys()]) {
      if (seen.has(id)) continue;
      this.entries.delete(id);
      changed = true;
    }
    if (changed) {
      this.heardCount++;
      this.emit('peers');
    }
    return changed;
  }

  private async checkLiveness(): Promise<void> {
    const entries = [...this.entries.values()].filter((e) => e.addresses.length > 0);
    const results = await inBatches(entries, BROWSE_QUERIES_CONCURRENT_MAX, (e) => portAnswers(e.addresses[e.misses % e.addresses.length] as string, e.port));
    let changed = false;
    entries.forEach((e, i) => {
      if (this.entries.get(e.id) !== e) return; // replaced by a poll meanwhile
      if (results[i]) {
        changed ||= e.hidden;
        e.misses = 0;
        e.hidden = false;
        e.lastSeen = Date.now();
        this.heardCount++;
      } else if (++e.misses >= LIVENESS_MISSES_TO_HIDE && !e.hidden) {
        e.hidden = true;
        changed = true;
        this.reconfirm(e);
      }
    });
    if (changed) this.emit('peers');
  }

  /** A device hidden for silence: the push server is told its SRV and addresses seem stale (once per hiding). */
  private reconfirm(e: Entry): void {
    const view = this.pushed;
    if (!view) return;
    view.reconfirm(this.instanceName(e.label), 'SRV');
    const target = e.target.replace(/\.$/, '');
    if (target) for (const type of ['A', 'AAAA'] as const) view.reconfirm(target, type);
  }

  private toPeer(e: Entry): Peer {
    const identity = claimedIdentity(e.label);
    const instance = toDisplayText(e.label);
    return {
      id: e.id,
      identity,
      instance,
      verified: false,
      ...e.txt,
      name: e.txt.name || (identity ? shortIdentity(identity) : instance || UNNAMED_PEER),
      addresses: e.addresses,
      port: e.port,
      hostname: toDisplayText(e.target, 255),
      interfaces: [],
      firstSeen: new Date(e.firstSeen).toISOString(),
      lastSeen: new Date(e.lastSeen).toISOString(),
      source: 'wide-area',
    };
  }
}

/** When `e`'s lease ends without a renewal (by this browser's clock); a lease after a failed removal. */
function expiryOf(e: Entry): number {
  const leaseMs = (e.leaseS ?? Infinity) * 1000;
  return e.expireFailedAt === null ? e.txtSince + leaseMs * LEASE_EXPIRY_FACTOR : e.expireFailedAt + leaseMs;
}

/** The lease a registration's TXT announces (`lease=<s>`), when it is a number of seconds in range. */
function leaseOf(strings: readonly Uint8Array[]): number | null {
  const prefix = `${LEASE_TXT_KEY}=`;
  for (const raw of strings) {
    const text = Buffer.from(raw).toString('latin1');
    if (!text.toLowerCase().startsWith(prefix)) continue;
    const s = /^\d{1,6}$/.test(text.slice(prefix.length)) ? Number(text.slice(prefix.length)) : NaN;
    // Any lease a registration announces for itself is its own to keep (a short one only ends its own records sooner).
    return s >= 1 && s <= WIDE_AREA_LEASE_MAX_S ? s : null;
  }
  return null;
}
