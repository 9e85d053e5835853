// Why a listed device is not verified (issue 15): the check dials its advertised endpoint once,
// with the handshake a verification makes (no certificate of ours, closed at once), and says
// what happened there in words.

import type { DeviceReport } from '../../../src-shared/networkCheck.js';
import type { Peer } from '../../../src-shared/peer.js';
import { DialError, type DialFailure } from '../p2p/linkServer.js';
import { isPrivateToken } from '../contactsOnly/broadcastTokens.js';
import { inBatches } from '../../../src-shared/inBatches.js';

/** How long one device's check may take (TCP, then TLS), all its addresses together. */
export const DEVICE_CHECK_TIMEOUT_MS = 2500;
/** Devices checked at once: the most a run checks in two rounds, so that a check answers within its window and 2 x DEVICE_CHECK_TIMEOUT_MS. */
export const DEVICE_CHECKS_CONCURRENT_MAX = 16;
/** Devices checked at most per run (the closest to the top of the list first). */
export const DEVICE_CHECKS_MAX = 32;

/** Dials `addresses` on `port` for a verification; resolves with the identity proven there, rejects with a DialError. */
export type DeviceDial = (addresses: readonly string[], port: number, timeoutMs: number) => Promise<{ identity: string; address: string }>;

const FAILURE_RESULT: Record<DialFailure, DeviceReport['result']> = {
  refused: 'refused',
  'timed-out': 'timed-out',
  unreachable: 'unreachable',
  'not-nearby': 'not-nearby',
  'name-not-found': 'unreachable',
  other: 'other',
};

function failureDetail(result: DeviceReport['result'], where: string, message: string): string {
  switch (result) {
    case 'refused':
      return `its P2P port refused the connection at ${where} (nothing listens there, or a firewall rejects it)`;
    case 'timed-out':
      return `no answer from its P2P port at ${where} within ${DEVICE_CHECK_TIMEOUT_MS / 1000} s (a firewall drops it)`;
    case 'unreachable':
      return `${where} cannot be reached from here (${message})`;
    case 'not-nearby':
      return `something at ${where} answered, but not with a Nearby identity`;
    default:
      // EPERM on connect is this host's firewall refusing the outgoing connection, not the peer.
      if (/\bE(PERM|ACCES)\b/.test(message)) return `this device's firewall refused the outgoing connection to ${where} (${message})`;
      return `the connection to ${where} failed: ${message}`;
  }
}

async function checkOne(peer: Peer, dial: DeviceDial): Promise<DeviceReport> {
  const base = { name: peer.contact?.name ?? peer.name, identity: peer.identity, addresses: [...peer.addresses], port: peer.port };
  const where = `${peer.addresses.join(', ')} port ${peer.port}`;
  if (peer.addresses.length === 0 || peer.port === null || peer.port <= 0) {
    return { ...base, result: 'no-address', detail: 'it announced no address or port yet (its records are incomplete)' };
  }
  if (isPrivateToken(peer.instance)) {
    return { ...base, result: 'other', detail: 'a contact in Contacts only mode: its port opens to its contacts\' own links only, not to a check' };
  }
  if (peer.identity === null) {
    return { ...base, result: 'not-nearby', detail: 'its name is not a Nearby identity, so there is nothing its P2P port could prove' };
  }
  try {
    const { identity, address } = await dial(peer.addresses, peer.port, DEVICE_CHECK_TIMEOUT_MS);
    if (identity === peer.identity) return { ...base, result: 'verified', detail: `its P2P port at ${address} port ${peer.port} proved its identity` };
    return { ...base, result: 'another-key', detail: `at ${address} port ${peer.port} another key answered (${identity.slice(0, 12)}…, not the ${String(peer.identity).slice(0, 12)}… it claims)` };
  } catch (err) {
    const result = err instanceof DialError ? FAILURE_RESULT[err.kind] : 'other';
    return { ...base, result, detail: failureDetail(result, where, (err as Error).message) };
  }
}

/**
 * Checks each device heard on the LAN (mDNS) that is not verified, a few at once. Those of a
 * wide-area domain are on other networks, where a NAT or a router may stand between (not this
 * LAN's fault), and manual ones have their own status: neither is checked here.
 */
export async function checkDevices(peers: readonly Peer[], dial: DeviceDial): Promise<DeviceReport[]> {
  const todo = peers.filter((p) => !p.verified && p.source === 'mdns').slice(0, DEVICE_CHECKS_MAX);
  return inBatches(todo, DEVICE_CHECKS_CONCURRENT_MAX, (p) => checkOne(p, dial));
}
