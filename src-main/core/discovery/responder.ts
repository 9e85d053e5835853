// Answers questions about our instance and announces it (RFC 6762 §6, §8.3, §10.1).

import { ANNOUNCE_COUNT, ANNOUNCE_INTERVAL_MS, LEGACY_UNICAST_TTL_S, MDNS_PORT, MULTICAST_RECORD_MIN_INTERVAL_MS, SERVICE_ENUMERATION_NAME, SERVICE_TYPE, SHARED_ANSWER_DELAY_MAX_MS, SHARED_ANSWER_DELAY_MIN_MS, TRUNCATED_QUERIES_PENDING_MAX, TRUNCATED_QUERY_DELAY_MAX_MS, TRUNCATED_QUERY_DELAY_MIN_MS, TRUNCATED_QUERY_KNOWN_ANSWERS_MAX } from './constants.js';
import { encodeResponses, sameName, type MdnsMessage, type MdnsRecord } from './dnsMessage.js';
import { buildOwnRecords, hostFullName, recordKey, type Advertisement, type OwnRecords } from './ownRecords.js';
import type { MulticastInterface } from './networkInterfaces.js';
import type { Transport } from './transport.js';

function randomBetween(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

export class Responder {
  private ad: Advertisement | null = null;
  /** Per interface: record key -> when it was last multicast there. */
  private readonly lastMulticast = new Map<string, Map<string, number>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Records waiting for their one-second multicast interval to pass: `${iface}|${recordKey}`. */
  private readonly deferred = new Set<string>();
  /** Truncated queries held for the rest of their known answers: `${iface}|${address}|${port}`. */
  private readonly truncated = new Map<string, { msg: MdnsMessage }>();

  constructor(private readonly transport: Transport) {}

  get advertisement(): Advertisement | null {
    return this.ad;
  }

  setAdvertisement(ad: Advertisement | null): void {
    this.ad = ad;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private allRecords(r: OwnRecords): MdnsRecord[] {
    return [r.ptr, r.srv, r.txt, ...r.addresses];
  }

  /** Unsolicited announcements on every interface (or the ones given): RFC 6762 §8.3. */
  announce(interfaces: MulticastInterface[] = this.transport.interfaces()): void {
    const ad = this.ad;
    if (!ad) return;
    for (let i = 0; i < ANNOUNCE_COUNT; i++) {
      const send = () => {
        for (const iface of interfaces) this.announceOn(ad, iface, this.allRecords(buildOwnRecords(ad, iface)));
      };
      if (i === 0) send();
      else this.later(ANNOUNCE_INTERVAL_MS * 2 ** (i - 1), send);
    }
  }

  /**
   * One announcement on one interface. No record goes out twice within a second (RFC 6762 §6):
   * what did not go out in the last second goes now (a changed TXT, a new address: a library
   * turned on and off again within the second still reaches peers at once), and the records that
   * did follow when their second is over. A record changed back to data it had less than a
   * second ago goes at once too: the peers hold the other data now.
   */
  private announceOn(ad: Advertisement, iface: MulticastInterface, records: MdnsRecord[]): void {
    if (this.ad !== ad) return; // superseded by a newer announcement or a goodbye
    const sent = this.lastMulticast.get(iface.name);
    const now = Date.now();
    const sinceSent = (r: MdnsRecord) => now - (sent?.get(recordKey(r)) ?? -Infinity);
    // A record whose name and type went out since with other data is a change back (a library
    // turned on, off and on again): news to every peer, not a repeat.
    const changedBack = (r: MdnsRecord) => {
      const key = recordKey(r);
      const nameAndType = key.slice(0, key.indexOf('|', key.indexOf('|') + 1) + 1);
      const at = sent?.get(key) ?? -Infinity;
      for (const [other, otherAt] of sent ?? []) if (other !== key && other.startsWith(nameAndType) && otherAt > at) return true;
      return false;
    };
    const isDue = (r: MdnsRecord) => sinceSent(r) >= MULTICAST_RECORD_MIN_INTERVAL_MS || changedBack(r);
    const recent = records.filter((r) => !isDue(r));
    const due = records.filter(isDue);
    for (const r of due) if (changedBack(r)) sent?.delete(recordKey(r)); // multicast() must not hold it as a repeat
    if (due.length > 0) this.multicast(iface, due, []);
    if (recent.length > 0) this.later(Math.max(...recent.map((r) => MULTICAST_RECORD_MIN_INTERVAL_MS - sinceSent(r))), () => this.announceOn(ad, iface, recent));
  }

  /** Goodbye packets (TTL 0, RFC 6762 §10.1) for every record, awaited; then nothing is answered. */
  async goodbye(): Promise<void> {
    const ad = this.ad;
    this.ad = null;
    this.cancelTimers();
    if (!ad) return;
    await Promise.all(
      this.transport.interfaces().map((iface) => {
        const records = buildOwnRecords(ad, iface, 0);
        return Promise.all(encodeResponses(this.allRecords(records)).map((p) => this.transport.multicast(iface.name, p)));
      }),
    );
  }

  cancelTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.deferred.clear();
    this.truncated.clear();
  }

  /**
   * Multicasts answers on one interface. No record goes out there twice within a second (RFC
   * 6762 §6), whether it went as an answer, an additional record or an announcement: an answer
   * multicast less than a second ago waits until the second is over, so a querier that started
   * just after an announcement still gets it, and is not sent at all when something else
   * multicast it meanwhile (the querier has it then). Additional records sent within the second
   * are left out: they are extras. When a record goes out is taken when the send is done too, so
   * that a packet held up on a busy host does not leave less than a second before the next.
   */
  private multicast(iface: MulticastInterface, answers: MdnsRecord[], additionals: MdnsRecord[]): void {
    const now = Date.now();
    let sent = this.lastMulticast.get(iface.name);
    if (!sent) this.lastMulticast.set(iface.name, (sent = new Map()));
    const sinceSent = (r: MdnsRecord) => now - (sent.get(recordKey(r)) ?? -Infinity);
    const ready = answers.filter((r) => sinceSent(r) >= MULTICAST_RECORD_MIN_INTERVAL_MS);
    const waiting = answers.filter((r) => sinceSent(r) < MULTICAST_RECORD_MIN_INTERVAL_MS && !this.deferred.has(`${iface.name}|${recordKey(r)}`));
    if (waiting.length > 0) this.multicastLater(iface, sent, waiting, additionals, Math.max(...waiting.map((r) => MULTICAST_RECORD_MIN_INTERVAL_MS - sinceSent(r))));
    if (ready.length === 0) return;
    const answerKeys = new Set(ready.map(recordKey));
    const extra = additionals.filter((r) => !answerKeys.has(recordKey(r)) && sinceSent(r) >= MULTICAST_RECORD_MIN_INTERVAL_MS);
    const keys = [...answerKeys, ...extra.map(recordKey)];
    for (const key of keys) sent.set(key, now);
    const markDone = () => {
      const done = Date.now();
      for (const key of keys) if ((sent.get(key) ?? 0) < done) sent.set(key, done);
    };
    for (const p of encodeResponses(ready, extra)) void this.transport.multicast(iface.name, p).then(markDone);
  }

  /** Answers that must wait for their second to pass; dropped if they went out meanwhile. */
  private multicastLater(iface: MulticastInterface, sent: Map<string, number>, waiting: MdnsRecord[], additionals: MdnsRecord[], waitMs: number): void {
    const ad = this.ad;
    const sentBefore = new Map(waiting.map((r) => [recordKey(r), sent.get(recordKey(r))]));
    for (const r of waiting) this.deferred.add(`${iface.name}|${recordKey(r)}`);
    this.later(waitMs, () => {
      for (const r of waiting) this.deferred.delete(`${iface.name}|${recordKey(r)}`);
      const stillDue = waiting.filter((r) => sent.get(recordKey(r)) === sentBefore.get(recordKey(r)));
      if (this.ad === ad && stillDue.length > 0) this.multicast(iface, stillDue, additionals);
    });
  }

  /**
   * A query that arrived on `iface` from `source`. One with TC set is held for 400-500 ms, and
   * the known answers of the packets that follow from the same sender are added to it (RFC 6762
   * §7.2): a querier that knows 30 peers lists them over two packets, and without waiting, the
   * peers in the second would all answer.
   */
  handleQuery(msg: MdnsMessage, source: { address: string; port: number }, iface: MulticastInterface): void {
    if (!this.ad) return;
    const key = `${iface.name}|${source.address}|${source.port}`;
    const pending = this.truncated.get(key);
    if (pending) {
      const room = TRUNCATED_QUERY_KNOWN_ANSWERS_MAX - pending.msg.knownAnswers.length;
      pending.msg.knownAnswers.push(...msg.knownAnswers.slice(0, Math.max(0, room)));
      pending.msg.questions.push(...msg.questions.slice(0, Math.max(0, 16 - pending.msg.questions.length)));
      return;
    }
    if (msg.truncated && msg.questions.length > 0 && source.port === MDNS_PORT && this.truncated.size < TRUNCATED_QUERIES_PENDING_MAX) {
      const held = { msg: { ...msg, questions: [...msg.questions], knownAnswers: msg.knownAnswers.slice(0, TRUNCATED_QUERY_KNOWN_ANSWERS_MAX) } };
      this.truncated.set(key, held);
      this.later(randomBetween(TRUNCATED_QUERY_DELAY_MIN_MS, TRUNCATED_QUERY_DELAY_MAX_MS), () => {
        this.truncated.delete(key);
        this.answer(held.msg, source, iface, false);
      });
      return;
    }
    this.answer(msg, source, iface, true);
  }

  /** Answers a (whole) query; `delayShared`: shared answers still wait their 20-120 ms. */
  private answer(msg: MdnsMessage, source: { address: string; port: number }, iface: MulticastInterface, delayShared: boolean): void {
    const ad = this.ad;
    if (!ad || msg.questions.length === 0) return;
    const own = buildOwnRecords(ad, iface);
    const instance = own.srv.name;
    const host = hostFullName(ad);
    const answers: MdnsRecord[] = [];
    const additionals: MdnsRecord[] = [];
    let shared = false;
    for (const q of msg.questions) {
      const any = q.type === 'ANY';
      if (sameName(q.name, SERVICE_TYPE) && (any || q.type === 'PTR')) {
        answers.push(own.ptr);
        additionals.push(own.srv, own.txt, ...own.addresses);
        shared = true;
      } else if (sameName(q.name, SERVICE_ENUMERATION_NAME) && (any || q.type === 'PTR')) {
        answers.push(own.serviceEnumeration);
        shared = true;
      } else if (sameName(q.name, instance)) {
        if (any || q.type === 'SRV') answers.push(own.srv);
        if (any || q.type === 'TXT') answers.push(own.txt);
        if (any || q.type === 'SRV') additionals.push(...own.addresses);
      } else if (sameName(q.name, host)) {
        answers.push(...own.addresses.filter((r) => any || r.type === q.type));
      }
    }
    // Known-answer suppression (RFC 6762 §7.1): skip what the querier holds with at least half our TTL.
    const known = new Map(msg.knownAnswers.map((r) => [recordKey(r), r.ttl]));
    const unique = (list: MdnsRecord[]) => [...new Map(list.map((r) => [recordKey(r), r])).values()];
    const toSend = unique(answers).filter((r) => (known.get(recordKey(r)) ?? -1) < r.ttl / 2);
    if (toSend.length === 0) return;
    const answerKeys = new Set(toSend.map(recordKey));
    const extra = unique(additionals).filter((r) => !answerKeys.has(recordKey(r)) && !known.has(recordKey(r)));

    if (source.port !== MDNS_PORT) {
      // Legacy unicast (RFC 6762 §6.7): echo id and questions, TTLs of at most 10 s, to the source port.
      const cap = (r: MdnsRecord): MdnsRecord => ({ ...r, ttl: Math.min(r.ttl, LEGACY_UNICAST_TTL_S), flush: false });
      for (const p of encodeResponses(toSend.map(cap), extra.map(cap), { id: msg.id, questions: msg.questions })) void this.transport.unicast(source.address, source.port, p);
      return;
    }
    if (msg.questions.every((q) => q.unicastResponse)) {
      for (const p of encodeResponses(toSend, extra)) void this.transport.unicast(source.address, source.port, p);
      return;
    }
    if (shared && delayShared) {
      this.later(randomBetween(SHARED_ANSWER_DELAY_MIN_MS, SHARED_ANSWER_DELAY_MAX_MS), () => {
        if (this.ad === ad) this.multicast(iface, toSend, extra);
      });
    } else {
      this.multicast(iface, toSend, extra);
    }
  }
}
