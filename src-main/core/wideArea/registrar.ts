// Registration in a wide-area domain: our instance's PTR, SRV, TXT and our host's A/AAAA, set by
// one signed UPDATE (dnsUpdate.ts, tsig.ts) on start and on every change, refreshed before the
// lease ends (RFC 9664 §4.1), removed on shutdown and when the mode stops advertising.
//
// Faults: a server that does not answer is a warning and a retry with backoff (mDNS goes on
// meanwhile); a refused UPDATE (wrong key, update policy) is one line saying why, retried
// seldom. An UPDATE is applied whole or not at all (RFC 2136 §3.7): nothing is half registered.

import { EventEmitter } from 'node:events';
import { Backoff } from '../../../src-shared/backoff.js';
import { SerialQueue } from '../../../src-shared/serialQueue.js';
import { describeServer, DnsUnreachableError, exchange, newMessageId, serverAddress, type DnsServer } from './dnsClient.js';
import { expiryUpdate, registrationUpdate, removalUpdate, type ExpiredRegistration, type Registration } from './dnsUpdate.js';
import { layoutOf, rcodeText } from './dnsWire.js';
import { signMessage, tsigErrorOf, verifyMessage, type TsigKey } from './tsig.js';
import {
  LEASE_REFRESH_FRACTION_MAX,
  LEASE_REFRESH_FRACTION_MIN,
  REGISTER_COALESCE_MS,
  REGISTER_REFUSED_RETRY_MS,
  REGISTER_RETRY_MAX_MS,
  REGISTER_RETRY_MIN_MS,
  REMOVAL_TIMEOUT_MS,
  DNS_PORT,
  LEASE_TXT_KEY,
  RENEWED_TXT_KEY,
  WIDE_AREA_RECORD_TTL_S,
  WIDE_AREA_SERVICE_LABELS,
} from './constants.js';
import { findZone } from './zone.js';
import { sameTxtStrings } from '../../../src-shared/txtCodec.js';

/** What we advertise (the same as on mDNS: modes/ decide it), with the addresses other networks can reach. */
export interface WideAreaAdvertisement {
  instance: string;
  /** Our host label (without a domain). */
  hostLabel: string;
  port: number;
  txt: Uint8Array[];
  addresses: string[];
}

export interface RegistrarOptions {
  domain: string;
  /** The server asked about the zone (and sent the updates, unless `updateThePrimary`). */
  server: DnsServer;
  /** Send the updates to the zone's primary (its SOA's MNAME, RFC 2136 §4) instead of `server`: `server` is the system's resolver, which may be a cache that takes no updates. */
  updateThePrimary?: boolean;
  key: TsigKey | null;
  leaseS: number;
  random?: () => number;
}

export type RegistrationStatus = { kind: 'off' } | { kind: 'registered'; at: number; leaseS: number } | { kind: 'failing'; reason: string };

const RCODE_SERVFAIL = 2;

/** Why an UPDATE failed: the server refused it (an administrator must act), or could not be asked. */
class UpdateRefused extends Error {}

export class WideAreaRegistrar extends EventEmitter<{ warning: [string]; status: [RegistrationStatus] }> {
  private wanted: WideAreaAdvertisement | null = null;
  /** What the server holds for us as far as we know (to remove it): the names of the last registration. */
  private registered: Registration | null = null;
  private zone: string | null = null;
  /** Where the UPDATEs go: `server`, or the zone's primary (updateThePrimary). */
  private updateServer: DnsServer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly queue = new SerialQueue();
  private readonly backoff: Backoff;
  private stopped = false;
  private lastStatus: RegistrationStatus = { kind: 'off' };

  constructor(private readonly opts: RegistrarOptions) {
    super();
    this.backoff = new Backoff({ minMs: REGISTER_RETRY_MIN_MS, maxMs: REGISTER_RETRY_MAX_MS, jitter: [0.8, 1.2], random: opts.random });
  }

  get status(): RegistrationStatus {
    return this.lastStatus;
  }

  /** What to advertise now; null removes the registration (Disabled, Contacts only). */
  set(advertisement: WideAreaAdvertisement | null): void {
    if (this.stopped) return;
    // The same advertisement again (a mode re-applied, an interface change that moved no address):
    // registered, or on its way there, it needs no UPDATE; the refresh timer stays as it is.
    if (sameAdvertisement(advertisement, this.wanted) && this.lastStatus.kind !== 'failing') return;
    this.wanted = advertisement;
    this.schedule(REGISTER_COALESCE_MS);
  }

  /** Removes the registration (at most REMOVAL_TIMEOUT_MS) and stops. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wanted = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue.run(() => this.sync(REMOVAL_TIMEOUT_MS));
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.queue.run(() => this.sync());
    }, delayMs);
  }

  /** Brings the server in line with `wanted`; schedules the refresh or the retry. */
  private async sync(timeoutMs?: number): Promise<void> {
    const wanted = this.wanted;
    try {
      if (wanted) {
        const registration = await this.registrationOf(wanted);
        await this.send(registrationUpdate(newMessageId(), registration), 'register', timeoutMs);
        this.registered = registration;
        this.setStatus({ kind: 'registered', at: Date.now(), leaseS: this.opts.leaseS });
        this.backoff.reset();
        const fraction = LEASE_REFRESH_FRACTION_MIN + (this.opts.random ?? Math.random)() * (LEASE_REFRESH_FRACTION_MAX - LEASE_REFRESH_FRACTION_MIN);
        if (!this.stopped) this.schedule(this.opts.leaseS * 1000 * fraction);
      } else if (this.registered) {
        await this.send(removalUpdate(newMessageId(), this.registered), 'remove', timeoutMs);
        this.registered = null;
        this.setStatus({ kind: 'off' });
      }
    } catch (err) {
      const refused = err instanceof UpdateRefused;
      const message = (err as Error).message;
      this.setStatus({ kind: 'failing', reason: message });
      this.emit('warning', refused || this.stopped ? message : `${message}: wide-area registration is retried until it answers; discovery on the LAN goes on`);
      if (!this.stopped) this.schedule(refused ? REGISTER_REFUSED_RETRY_MS : this.backoff.next());
    }
  }

  /** The primary's address (the system resolver looks its name up); the server asked when it has none. */
  private async primaryServer(name: string): Promise<DnsServer> {
    try {
      return await serverAddress({ host: name.replace(/\.$/, ''), port: DNS_PORT });
    } catch {
      return this.opts.server;
    }
  }

  private setStatus(status: RegistrationStatus): void {
    this.lastStatus = status;
    this.emit('status', status);
  }

  /** The zone of our domain, and where its UPDATEs go (found once). */
  private async ensureZone(): Promise<string> {
    if (this.zone === null) {
      const found = await findZone(this.opts.server, this.opts.domain);
      this.updateServer = found.primary !== null && this.opts.updateThePrimary ? await this.primaryServer(found.primary) : this.opts.server;
      this.zone = found.zone;
    }
    return this.zone;
  }

  /**
   * Removes another node's registration whose lease ended (constants.ts LEASE_EXPIRY_FACTOR), if
   * its TXT is still `txt`; false when we hold no key, it was refreshed meanwhile, or the server
   * could not be asked (the next poll tries again).
   */
  expire(victim: { instanceName: string; hostName: string | null; txt: Uint8Array[] }): Promise<boolean> {
    if (this.opts.key === null || this.stopped) return Promise.resolve(false);
    return this.queue.run(async () => {
      try {
        const expired: ExpiredRegistration = { zone: await this.ensureZone(), serviceName: `${WIDE_AREA_SERVICE_LABELS}.${this.opts.domain}`, ...victim };
        await this.send(expiryUpdate(newMessageId(), expired), 'expire');
        return true;
      } catch {
        return false;
      }
    });
  }

  private async registrationOf(ad: WideAreaAdvertisement): Promise<Registration> {
    const domain = this.opts.domain;
    const zone = await this.ensureZone();
    // The lease and when it was renewed: each refresh changes the TXT, so peers can tell a registration nobody renews (LEASE_EXPIRY_FACTOR).
    const lease = [`${LEASE_TXT_KEY}=${this.opts.leaseS}`, `${RENEWED_TXT_KEY}=${Date.now()}`].map((s) => new TextEncoder().encode(s));
    return {
      zone,
      serviceName: `${WIDE_AREA_SERVICE_LABELS}.${domain}`,
      instanceName: `${ad.instance}.${WIDE_AREA_SERVICE_LABELS}.${domain}`,
      hostName: `${ad.hostLabel}.${domain}`,
      port: ad.port,
      txt: [...ad.txt, ...lease],
      addresses: ad.addresses,
      ttlS: Math.min(WIDE_AREA_RECORD_TTL_S, this.opts.leaseS),
      leaseS: this.opts.leaseS,
    };
  }

  /** Signs (when we have a key), sends, and checks the answer: its code and its signature. */
  private async send(message: Buffer, what: 'register' | 'remove' | 'expire', timeoutMs?: number): Promise<void> {
    const key = this.opts.key;
    const { signed, mac } = key ? signMessage(message, key) : { signed: message, mac: null };
    const attempts = timeoutMs === undefined ? undefined : 1;
    const target = this.updateServer ?? this.opts.server;
    const answer = await exchange(target, signed, attempts, timeoutMs);
    const server = describeServer(target);
    const action = what === 'register' ? `register this device in ${this.opts.domain}` : what === 'remove' ? `remove this device from ${this.opts.domain}` : `remove a registration whose lease ended from ${this.opts.domain}`;
    let rcode: number;
    try {
      rcode = layoutOf(answer).rcode;
    } catch {
      throw new DnsUnreachableError(`the DNS server ${server} sent an answer that cannot be read`);
    }
    // SERVFAIL is the server failing on its side (a zone being loaded, a journal it could not write):
    // asked again with backoff, as when it does not answer, not left for 5 minutes as a refusal.
    if (rcode === RCODE_SERVFAIL) throw new DnsUnreachableError(`the DNS server ${server} could not ${action}: ${rcodeText(rcode)}`);
    if (rcode !== 0) {
      const tsigError = tsigErrorOf(answer);
      const keyHint = key ? ` with key "${key.name}"` : ' without a key (give --tsig-key FILE)';
      throw new UpdateRefused(`the DNS server ${server} refused to ${action}${keyHint}: ${tsigError ?? rcodeText(rcode)}`);
    }
    if (key && mac) {
      const check = verifyMessage(answer, key, mac);
      if (!check.ok) throw new UpdateRefused(`the DNS server ${server} answered our update, but ${check.reason}: is another server answering in its place?`);
    }
  }
}

function sameAdvertisement(a: WideAreaAdvertisement | null, b: WideAreaAdvertisement | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.instance === b.instance &&
    a.hostLabel === b.hostLabel &&
    a.port === b.port &&
    a.addresses.join() === b.addresses.join() &&
    sameTxtStrings(a.txt, b.txt)
  );
}
