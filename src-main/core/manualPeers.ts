// Manual peers (DESIGN §5): addresses the user typed, for networks multicast does not reach.
// Each is tried over TCP and retried with backoff; its state says how it goes, in words.
// (The P2P link will add the identity check on top of the plain reachability kept here.)

import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { ManualPeerState } from '../../src-shared/contract.js';
import { parseManualPeer, type ManualPeerAddress } from '../../src-shared/manualPeer.js';

export const MANUAL_CONNECT_TIMEOUT_MS = 5000;
export const MANUAL_RETRY_MIN_MS = 2000;
export const MANUAL_RETRY_MAX_MS = 60_000;
/** A reachable peer is checked again this often. */
export const MANUAL_RECHECK_MS = 30_000;

interface Entry {
  address: ManualPeerAddress;
  state: ManualPeerState;
  retryMs: number;
  timer: NodeJS.Timeout | null;
}

function describeError(err: NodeJS.ErrnoException, address: ManualPeerAddress): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `name not found: "${address.host}" does not resolve on this network`;
    case 'ECONNREFUSED':
      return `refused: nothing listens on port ${address.port} there (is Nearby running with that port?)`;
    case 'ETIMEDOUT':
      return `timed out after ${MANUAL_CONNECT_TIMEOUT_MS / 1000} s: a firewall, or the device is off`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to that address from this device';
    default:
      return `could not connect: ${err.message}`;
  }
}

export class ManualPeers extends EventEmitter<{ change: [] }> {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  /** Makes the tried set equal to `addresses` (canonical texts from the settings). */
  sync(addresses: string[]): void {
    const wanted = new Map<string, ManualPeerAddress>();
    for (const a of addresses) {
      const parsed = parseManualPeer(a);
      if (parsed.ok) wanted.set(parsed.value.text, parsed.value);
    }
    for (const [key, e] of this.entries) {
      if (!wanted.has(key)) {
        if (e.timer) clearTimeout(e.timer);
        this.entries.delete(key);
      }
    }
    for (const [key, address] of wanted) {
      if (this.entries.has(key)) continue;
      const entry: Entry = { address, state: { address: key, status: 'connecting', reason: null, lastAttempt: null }, retryMs: MANUAL_RETRY_MIN_MS, timer: null };
      this.entries.set(key, entry);
      void this.attempt(entry);
    }
    this.emit('change');
  }

  list(): ManualPeerState[] {
    return [...this.entries.values()].map((e) => ({ ...e.state }));
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
  }

  private async attempt(entry: Entry): Promise<void> {
    if (this.stopped || this.entries.get(entry.state.address) !== entry) return;
    entry.timer = null;
    let reason: string | null = null;
    try {
      const { address } = await lookup(entry.address.host);
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host: address, port: entry.address.port, timeout: MANUAL_CONNECT_TIMEOUT_MS });
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('timeout', () => {
          socket.destroy();
          reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
        });
        socket.once('error', reject);
      });
    } catch (err) {
      reason = describeError(err as NodeJS.ErrnoException, entry.address);
    }
    if (this.stopped || this.entries.get(entry.state.address) !== entry) return;
    entry.state = { address: entry.state.address, status: reason ? 'unreachable' : 'reachable', reason, lastAttempt: new Date().toISOString() };
    const delay = reason ? entry.retryMs : MANUAL_RECHECK_MS;
    entry.retryMs = reason ? Math.min(entry.retryMs * 2, MANUAL_RETRY_MAX_MS) : MANUAL_RETRY_MIN_MS;
    entry.timer = setTimeout(() => void this.attempt(entry), delay);
    this.emit('change');
  }
}
