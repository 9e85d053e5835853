// A wide-area domain as DNS Push (RFC 8765) shows it: the browser's questions (PTR of the service,
// SRV and TXT of each instance, A and AAAA of each host) become subscriptions on one session, and
// the records the server pushes are kept here, by name and type, until it says they are gone.
// Which subscriptions are wanted follows the records: an instance that appears is subscribed to,
// one that leaves is unsubscribed and forgotten. findPushServer() says whether a zone offers push.

import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import type { MdnsRecord, RecordType } from '../discovery/dnsMessage.js';
import type { DnsServer } from './dnsClient.js';
import { canonicalName, DNS_CLASS, DNS_TYPE, readableRecord, RECORD_TYPE_NAMES } from './dnsWire.js';
import { DnsPushSession, type PushServer } from './dnsPush.js';
import type { PushChange, Subscription } from './dso.js';
import { findZone, query } from './zone.js';

/** RFC 8765 §6.1: the SRV a zone names its push server with (TLS). */
export const PUSH_SERVICE_LABELS = '_dns-push-tls._tcp';
/** Records kept for one name and type at most (a hostile server cannot grow the store without bound). */
export const PUSHED_RECORDS_PER_NAME_MAX = 512;
/** Records of one name and type named in RECONFIRMs when a device goes silent, at most. */
export const RECONFIRMS_PER_NAME_MAX = 8;


function keyOf(name: string, type: RecordType): string {
  return `${canonicalName(name)}|${type}`;
}

function subscriptionOf(name: string, type: RecordType): Subscription {
  return { name, type: DNS_TYPE[type], klass: DNS_CLASS.IN };
}

/**
 * The push server the zone of `domain` names (RFC 8765 §6.1: the zone by an SOA question, then its
 * `_dns-push-tls._tcp` SRV, the lowest priority first), with the target's address; null when the
 * zone names none (most servers: BIND, Knot and PowerDNS offer no push).
 */
export async function findPushServer(server: DnsServer, domain: string): Promise<PushServer | null> {
  const { zone } = await findZone(server, domain);
  const srvName = `${PUSH_SERVICE_LABELS}.${zone}`;
  const answer = await query(server, srvName, 'SRV');
  const srv = answer.records
    .filter((r): r is Extract<MdnsRecord, { type: 'SRV' }> => r.type === 'SRV' && canonicalName(r.name) === canonicalName(srvName))
    .filter((r) => r.data.port !== 0 && canonicalName(r.data.target) !== '')
    .sort((a, b) => a.data.priority - b.data.priority)[0];
  if (!srv) return null;
  const hostname = canonicalName(srv.data.target);
  const addressIn = (records: readonly MdnsRecord[]) => records.find((r) => (r.type === 'A' || r.type === 'AAAA') && canonicalName(r.name) === hostname)?.data as string | undefined;
  let address = addressIn(answer.records);
  if (!address) address = addressIn((await query(server, hostname, 'A')).records) ?? addressIn((await query(server, hostname, 'AAAA')).records);
  if (!address) address = (await lookup(hostname).catch(() => null))?.address;
  if (!address) throw new Error(`the DNS Push server ${hostname} that ${zone} names has no address`);
  return { address, port: srv.data.port, hostname };
}

export class PushedDomain extends EventEmitter<{ changed: []; warning: [string] }> {
  private readonly store = new Map<string, Map<string, MdnsRecord>>();
  /** The subscriptions open (or being opened), by key. */
  private readonly subscribed = new Map<string, Subscription>();
  private closed = false;

  /** `wanted(records)` says which names and types to follow, given what is known now (the browser's questions). */
  constructor(
    readonly session: DnsPushSession,
    private readonly wanted: (records: PushedDomain) => Array<{ name: string; type: RecordType }>,
  ) {
    super();
    session.on('changes', (changes) => this.applyChanges(changes));
  }

  /** Subscribes to what is wanted with nothing known yet (the service's PTR); throws when the server refuses it. */
  async start(): Promise<void> {
    const first = this.wanted(this);
    await Promise.all(first.map(({ name, type }) => this.subscribe(name, type, true)));
  }

  /** The records of `name` and `type` the server pushed and has not removed. */
  records(name: string, type: RecordType): MdnsRecord[] {
    return [...(this.store.get(keyOf(name, type))?.values() ?? [])];
  }

  /**
   * Tells the server that the records of `name` and `type` seem stale (RFC 8765 §6.5 RECONFIRM):
   * one that learns them from elsewhere (a Discovery Proxy, from mDNS) checks them and pushes their
   * removal to every client. At most RECONFIRMS_PER_NAME_MAX records (a device uses one SRV and a
   * few addresses; a hostile server's 512 are not echoed back).
   */
  reconfirm(name: string, type: RecordType): void {
    const keys = [...(this.store.get(keyOf(name, type))?.keys() ?? [])].slice(0, RECONFIRMS_PER_NAME_MAX);
    const s = subscriptionOf(name, type);
    // A record's key is its RDATA (base64), as the server sent it.
    for (const rdata of keys) this.session.reconfirm({ ...s, rdata: Buffer.from(rdata, 'base64') });
  }

  close(): void {
    this.closed = true;
    this.session.close();
  }

  private async subscribe(name: string, type: RecordType, mustSucceed = false): Promise<void> {
    const key = keyOf(name, type);
    if (this.subscribed.has(key)) return;
    const s = subscriptionOf(name, type);
    this.subscribed.set(key, s);
    this.store.set(key, new Map());
    try {
      await this.session.subscribe(s);
    } catch (err) {
      if (mustSucceed) throw err;
      // The session's end is handled by its owner; a refused name is left unfollowed (the entry stays incomplete).
      if (this.session.isOpen && !this.closed) this.emit('warning', (err as Error).message);
    }
  }

  private applyChanges(changes: PushChange[]): void {
    let changed = false;
    for (const c of changes) {
      if (c.kind === 'remove-all') {
        if (c.klass !== DNS_CLASS.IN && c.klass !== DNS_CLASS.ANY) continue;
        for (const [key, records] of this.store) {
          const [name, type] = key.split('|') as [string, RecordType];
          if (name !== canonicalName(c.name) || (c.type !== DNS_TYPE.ANY && RECORD_TYPE_NAMES[c.type] !== type) || records.size === 0) continue;
          records.clear();
          changed = true;
        }
        continue;
      }
      const typeName = RECORD_TYPE_NAMES[c.record.type];
      if (!typeName || c.record.klass !== DNS_CLASS.IN) continue;
      const records = this.store.get(keyOf(c.record.name, typeName));
      if (!records) continue; // not subscribed (any more): nothing to keep
      const id = c.record.rdata.toString('base64');
      if (c.kind === 'remove') {
        changed = records.delete(id) || changed;
        continue;
      }
      if (records.has(id) || records.size >= PUSHED_RECORDS_PER_NAME_MAX) continue;
      const record = readableRecord(c.record);
      if (!record) continue; // data the discovery code would not take from mDNS either
      records.set(id, record);
      changed = true;
    }
    if (!changed) return;
    this.follow();
    this.emit('changed');
  }

  /** Subscribes to what became wanted, unsubscribes from (and forgets) what no longer is. */
  private follow(): void {
    const wanted = new Map(this.wanted(this).map(({ name, type }) => [keyOf(name, type), { name, type }]));
    for (const [key, s] of [...this.subscribed]) {
      if (wanted.has(key)) continue;
      this.subscribed.delete(key);
      this.store.delete(key);
      this.session.unsubscribe(s);
    }
    for (const { name, type } of wanted.values()) void this.subscribe(name, type);
  }
}
