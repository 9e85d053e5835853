// Names, timers and limits of wide-area discovery: DNS-SD over unicast DNS (RFC 6763), registered
// by DNS UPDATE (RFC 2136) signed with TSIG (RFC 8945) under a lease (RFC 9664).

/** The service type, under the wide-area domain instead of `.local`. */
export const WIDE_AREA_SERVICE_LABELS = '_sd._udp';
/** RFC 1035: DNS servers listen on port 53 unless told otherwise. */
export const DNS_PORT = 53;

/** The lease asked for (RFC 9664 §4: 2 hours for most; an hour keeps stale records short where servers honour it). */
export const WIDE_AREA_LEASE_S = 3600;
/** Tests shorten the lease through this environment variable (seconds, 10 to 86,400). */
export const WIDE_AREA_LEASE_ENV = 'SD_NEARBY_WIDE_AREA_LEASE_S';
export const WIDE_AREA_LEASE_MIN_S = 10;
export const WIDE_AREA_LEASE_MAX_S = 86_400;
/** RFC 9664 §4.1: refresh at 75 to 80 % of the lease. */
export const LEASE_REFRESH_FRACTION_MIN = 0.75;
export const LEASE_REFRESH_FRACTION_MAX = 0.8;
/** Records live in caches at most this long (and never longer than the lease). */
export const WIDE_AREA_RECORD_TTL_S = 120;

/** After a failed UPDATE (server down): again after 1 s, doubling to 30 s, ±20 %. */
export const REGISTER_RETRY_MIN_MS = 1000;
export const REGISTER_RETRY_MAX_MS = 30_000;
/** After a refused UPDATE (wrong key, update policy): the administrator must act; asked again seldom. */
export const REGISTER_REFUSED_RETRY_MS = 5 * 60_000;
/** Several changes close together (a mode switch, the libraries hook) make one UPDATE. */
export const REGISTER_COALESCE_MS = 50;
/** On shutdown, the removal may take this long (the server may be down: quitting must not hang). */
export const REMOVAL_TIMEOUT_MS = 1500;

/**
 * Leases that end (RFC 9664) where the server does not end them (BIND 9.18 ignores the Update
 * Lease): each registration's TXT carries `lease=<s>` and `renewed=<ms>`, so every refresh changes
 * it. A browsing node that holds a key removes a registration whose TXT has not changed for
 * LEASE_EXPIRY_FACTOR leases by its own clock (a node that stopped refreshing: crashed, or cut off
 * from the server), guarded by a prerequisite on that exact TXT (RFC 2136 §2.4.2): a node that
 * refreshed meanwhile has another TXT, and nothing of it is removed.
 */
export const LEASE_TXT_KEY = 'lease';
export const RENEWED_TXT_KEY = 'renewed';
export const LEASE_EXPIRY_FACTOR = 1.5;

/** Browsing polls the domain: after 1 s, doubling to 30 s while nothing changes, back to 1 s on a change (±10 %). */
export const BROWSE_POLL_MIN_MS = 1000;
export const BROWSE_POLL_MAX_MS = 30_000;
/**
 * DNS Push (RFC 8765), where the zone names a push server: after a failed attempt or a session
 * that ended, push is tried again after 5 s, doubling to 5 minutes (or after the server's RETRY
 * DELAY, if later), polling meanwhile; a zone that names none is asked again every 10 minutes.
 */
export const PUSH_RETRY_MIN_MS = 5000;
export const PUSH_RETRY_MAX_MS = 5 * 60_000;
export const PUSH_DISCOVERY_RECHECK_MS = 10 * 60_000;
/** A new push session's first records (PTR, then each SRV and TXT, then addresses) may take this long: what polls listed stays meanwhile. */
export const PUSH_SETTLE_MS = 2000;
/** Instances read from one PTR answer at most (the discovery table's cap holds for the domain too). */
export const WIDE_AREA_INSTANCES_MAX = 256;
/** Questions in flight at once to the server while one poll reads the instances. */
export const BROWSE_QUERIES_CONCURRENT_MAX = 8;
/**
 * Liveness while someone looks (DESIGN §4's direct questions, over TCP): each listed instance's
 * port is connected to this often; LIVENESS_MISSES_TO_HIDE failed connections in a row (each
 * waiting LIVENESS_TIMEOUT_MS at most) hide it until it answers again: sooner than a crashed node's
 * records leave with its lease (LEASE_EXPIRY_FACTOR).
 */
export const LIVENESS_INTERVAL_MS = 2500;
export const LIVENESS_TIMEOUT_MS = 1000;
export const LIVENESS_MISSES_TO_HIDE = 2;
