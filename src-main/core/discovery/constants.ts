// Names, timers and limits of the discovery engine, gathered here (DESIGN §4).
// RFC 6762 = Multicast DNS, RFC 6763 = DNS-Based Service Discovery.

export const MDNS_PORT = 5353;
export const MDNS_IPV4_GROUP = '224.0.0.251';
export const MDNS_IPV6_GROUP = 'ff02::fb';

export const SERVICE_TYPE = '_sd._udp.local';
/** RFC 6763 §9: the meta-query that lists service types. */
export const SERVICE_ENUMERATION_NAME = '_services._dns-sd._udp.local';

/** RFC 6762 §10: 120 s for records that carry a host name, 75 min for the others. */
export const HOST_RECORD_TTL_S = 120;
export const OTHER_RECORD_TTL_S = 4500;
/** RFC 6762 §6.7: legacy unicast answers carry a TTL of at most 10 s. */
export const LEGACY_UNICAST_TTL_S = 10;

/** RFC 6762 §8.3: at least two announcements, one second apart. */
export const ANNOUNCE_COUNT = 2;
export const ANNOUNCE_INTERVAL_MS = 1000;

/** RFC 6762 §5.2: the first query after 20-120 ms, then intervals doubling from 1 s. */
export const QUERY_FIRST_DELAY_MIN_MS = 20;
export const QUERY_FIRST_DELAY_MAX_MS = 120;
export const REQUERY_MIN_MS = 1000;
/** RFC 6762 §5.2 allows a cap of 60 min; the known answers keep the PTR records (75 min) fresh. */
export const REQUERY_MAX_MS = 60 * 60 * 1000;
/** Random extra delay added to each re-query, as a fraction of its interval. */
export const REQUERY_JITTER_FRACTION = 0.1;

/** RFC 6762 §6: answers to shared (PTR) questions wait 20-120 ms, to aggregate. */
export const SHARED_ANSWER_DELAY_MIN_MS = 20;
export const SHARED_ANSWER_DELAY_MAX_MS = 120;
/** RFC 6762 §7.2: a query with TC set is answered after 400-500 ms, with the known answers
 *  of the packets that follow it from the same sender. */
export const TRUNCATED_QUERY_DELAY_MIN_MS = 400;
export const TRUNCATED_QUERY_DELAY_MAX_MS = 500;
/** Senders whose truncated queries we hold at once, and the known answers kept for one: a flood
 *  of TC queries costs bounded memory (past these, a query is answered without waiting). */
export const TRUNCATED_QUERIES_PENDING_MAX = 64;
export const TRUNCATED_QUERY_KNOWN_ANSWERS_MAX = 1024;
/** Packets one of our queries may take with its known answers (~16 each): 8 carry ~128 peers. */
export const KNOWN_ANSWER_PACKETS_MAX = 8;
/** RFC 6762 §6: a record is not multicast again within one second (probe defence aside). */
export const MULTICAST_RECORD_MIN_INTERVAL_MS = 1000;

/**
 * Direct questions (DESIGN §4, issue 9): an SRV question sent from an ephemeral port to one of a
 * peer's addresses (legacy unicast, RFC 6762 §6.7: no QU bit, the answer comes to that port). An
 * answer proves the peer alive. Asked only while someone looks at the peer list, of the peers no
 * P2P link vouches for: every PROBE_INTERVAL_MS, give or take PROBE_INTERVAL_JITTER_FRACTION;
 * PROBE_MISSES_TO_DROP unanswered in a row (each a PROBE_TIMEOUT_MS wait, the next one to the
 * peer's next address) drop it. A SIGKILLed peer is then gone within about 1.3 + 1.5 s on
 * average, at most 3 + 1.5 s (its host answers "port unreachable" at once, which is sooner still),
 * and a silent host within 4.5 s; a question and its answer every 2.5 s are 0.8 packets a second
 * per peer.
 */
export const PROBE_INTERVAL_MS = 2500;
/**
 * How often the browser looks at its table (records that ran out, questions due): often while
 * someone looks (direct questions start within this), seldom while nobody does (only lifetimes of
 * minutes to check): an idle node wakes up as little as it can.
 */
export const BROWSER_TICK_LOOKING_MS = 250;
export const BROWSER_TICK_IDLE_MS = 1000;
export const PROBE_INTERVAL_JITTER_FRACTION = 0.2;
export const PROBE_TIMEOUT_MS = 750;
export const PROBE_MISSES_TO_DROP = 2;
/** When someone starts looking, every peer is asked within this long, spread over it, not at once. */
export const PROBE_SWEEP_SPREAD_MS = 1000;
/** New direct questions started per second at most (a flood of fake services is asked slowly). */
export const PROBES_PER_SECOND_MAX = 50;
/** A direct question's socket waits this long for its answer or an error, longer than any timeout. */
export const DIRECT_QUESTION_SOCKET_MS = 1000;
/** A goodbye removes a peer only when direct questions then go unanswered (goodbyes can be
 *  spoofed); verified looking or not: the peer's own goodbye caused the question. */
export const GOODBYE_VERIFY_TIMEOUT_MS = 250;
export const GOODBYE_VERIFY_MISSES_TO_DROP = 2;

/** A peer that announced part of its records is asked for the rest at most this often. */
export const ASK_MISSING_MIN_INTERVAL_MS = 1000;
/**
 * Nobody looking: a peer is asked for the records it left out only while it is new, for this
 * long after it was first heard; later its PTR and TXT (75 min) keep it listed, and whatever ran
 * out (SRV, addresses: 120 s) is asked for again when someone looks.
 */
export const NEW_PEER_COMPLETION_MS = 5000;
/**
 * RFC 6762 §5.2 cache maintenance: a record we still want is asked for again at 80, 85, 90 and
 * 95 % of its lifetime (plus up to 2 % at random, so that one querier goes first and its answer
 * refreshes everyone else's cache). Only while someone looks (nobody else is interested in
 * them), and not for peers the P2P link vouches for: their records are held while the link lives.
 */
export const REFRESH_POINTS = [0.8, 0.85, 0.9, 0.95] as const;
export const REFRESH_JITTER = 0.02;
/** Records with shorter lifetimes (legacy-unicast style 10 s) are not worth refreshing. */
export const REFRESH_TTL_MIN_MS = 20_000;
/**
 * Where questions may not name a peer (Contacts only, issue 11), what one peer would be asked is
 * asked of the whole service, with no known answers: every peer answers it, whole. At most this
 * often, so that a LAN cannot make us draw an answer from every host every second.
 */
export const WHOLE_SERVICE_QUESTION_MIN_INTERVAL_MS = 5000;
/** Questions in one query of ours for peers' records (about 60 bytes each: well within one frame). */
export const QUESTIONS_PER_PACKET_MAX = 16;

/** How often the interface list is read again (address or link changes). */
export const INTERFACE_POLL_MS = 1000;
/** The peer list is reported at most this often while it keeps changing (DiscoveryEngine 'peers'). */
export const PEERS_EVENT_MIN_INTERVAL_MS = 100;
/** An identical packet received on several sockets within this window is handled once. */
export const DUPLICATE_PACKET_WINDOW_MS = 100;

/** Caps on what a LAN can make us hold. */
export const PEERS_MAX = 512;
/**
 * When the table has turned nothing away for this long after an overflow (a flood is over), the
 * queries start a new burst, so that real peers pushed out meanwhile are found again; at most
 * this often.
 */
export const OVERFLOW_QUIET_MS = 2000;
export const OVERFLOW_REQUERY_MIN_INTERVAL_MS = 30_000;
/** Instances one sender address may announce (a real host has one, a NAS with containers a few). */
export const PEERS_PER_SOURCE_MAX = 32;
export const ADDRESSES_PER_PEER_MAX = 8;
export const ADDRESSES_PER_INTERFACE_ADVERTISED_MAX = 4;
/** RFC 6762 §17: an mDNS message may be up to 9000 bytes; anything larger is not ours to parse. */
export const PACKET_MAX_BYTES = 9000;
/**
 * RFC 6762 §17: what we send fits one Ethernet frame (1500 bytes less the IPv6 and UDP headers);
 * a larger set of records is split over several packets, never sent as IP fragments.
 */
export const PACKET_SEND_MAX_BYTES = 1452;
