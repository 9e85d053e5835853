// Manual peers (DESIGN §5): addresses the user typed, for networks multicast does not reach.
// Each is connected over the P2P link (TLS 1.3, identity proven) and retried with backoff. The
// identity it proves the first time is pinned (saved in the settings); a later connection that
// proves another key is refused with "identity changed". Its state says how it goes, in words.

import { EventEmitter } from 'node:events';
import { Backoff } from '../../src-shared/backoff.js';
import type { ManualPeerState } from '../../src-shared/contract.js';
import { shortIdentity } from '../../src-shared/identity.js';
import { parseManualPeer, type ManualPeerAddress } from '../../src-shared/manualPeer.js';
import { DialError, LINK_DIAL_TIMEOUT_MS } from './p2p/linkServer.js';
import type { LinkManager } from './p2p/linkManager.js';

export const MANUAL_RETRY_MIN_MS = 1000;
export const MANUAL_RETRY_MAX_MS = 60_000;
/** Each retry waits 80 % to 120 % of its step, so that peers restarted together do not dial in step. */
export const MANUAL_RETRY_JITTER: readonly [number, number] = [0.8, 1.2];
/** After an online peer's link drops, it is dialled again this soon. */
export const MANUAL_REDIAL_DELAY_MS = 250;
const DISABLED_REASON = 'discovery is off on this device: choose Everyone to connect';

/** Where pins are kept (the settings). */
export interface PinStore {
  get(address: string): string | null;
  set(address: string, identity: string): Promise<void>;
}

interface Entry {
  address: ManualPeerAddress;
  state: ManualPeerState;
  retry: Backoff;
  timer: NodeJS.Timeout | null;
  attempting: boolean;
}

export function describeDialError(err: DialError, address: ManualPeerAddress): string {
  switch (err.kind) {
    case 'name-not-found':
      return `name not found: "${address.host}" does not resolve on this network`;
    case 'refused':
      return `refused: nothing listens on port ${address.port} there (is Nearby running with that port?)`;
    case 'timed-out':
      return `timed out after ${LINK_DIAL_TIMEOUT_MS / 1000} s: a firewall, or the device is off`;
    case 'unreachable':
      return 'no route to that address from this device';
    case 'not-nearby':
      return `not a Nearby device: something else answers on port ${address.port}`;
    default:
      return `could not connect: ${err.message}`;
  }
}

export function identityChangedReason(pinned: string, proven: string): string {
  return `identity changed: this address proved identity ${shortIdentity(pinned)}… before and now proves ${shortIdentity(proven)}…; remove it and add it again if that device was reset`;
}

export class ManualPeers extends EventEmitter<{ change: [] }> {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;
  private enabled = true;

  constructor(private readonly links: LinkManager, private readonly pins: PinStore) {
    super();
    links.on('change', () => this.refresh());
  }

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
      const pin = this.pins.get(key);
      const entry: Entry = {
        address,
        state: { address: key, status: this.enabled ? 'connecting' : 'unreachable', reason: this.enabled ? null : DISABLED_REASON, lastAttempt: null, name: null, identity: pin },
        retry: new Backoff({ minMs: MANUAL_RETRY_MIN_MS, maxMs: MANUAL_RETRY_MAX_MS, jitter: MANUAL_RETRY_JITTER }),
        timer: null,
        attempting: false,
      };
      this.entries.set(key, entry);
      this.schedule(entry, 0);
    }
    this.refresh();
    this.emit('change');
  }

  list(): ManualPeerState[] {
    return [...this.entries.values()].map((e) => ({ ...e.state }));
  }

  /** Pinned identity -> address, for the entries that are online. */
  onlineIdentities(): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.entries.values()) if (e.state.status === 'online' && e.state.identity) out.set(e.state.identity, e.state.address);
    return out;
  }

  /** Disabled mode: nothing is dialled; entries say why. */
  setEnabled(enabled: boolean): void {
    if (this.enabled === enabled) return;
    this.enabled = enabled;
    for (const e of this.entries.values()) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = null;
      e.retry.reset();
      if (enabled) {
        e.state = { ...e.state, status: 'connecting', reason: null };
        this.schedule(e, 0);
      } else {
        e.state = { ...e.state, status: 'unreachable', reason: DISABLED_REASON };
      }
    }
    this.emit('change');
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
  }

  private schedule(entry: Entry, delayMs: number): void {
    if (this.stopped || !this.enabled) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      void this.attempt(entry);
    }, delayMs);
  }

  private retryLater(entry: Entry): void {
    this.schedule(entry, entry.retry.next());
  }

  private isCurrent(entry: Entry): boolean {
    return !this.stopped && this.enabled && this.entries.get(entry.state.address) === entry;
  }

  /** Follows the links: an entry is online while a ready link to its pinned identity exists. */
  private refresh(): void {
    let changed = false;
    for (const e of this.entries.values()) {
      const pin = e.state.identity;
      const link = pin ? this.links.linkTo(pin) : null;
      if (link && link.remoteMetadata) {
        const name = link.remoteMetadata.name || shortIdentity(pin as string);
        if (e.state.status !== 'online' || e.state.name !== name) {
          e.state = { ...e.state, status: 'online', reason: null, name };
          changed = true;
        }
        e.retry.reset();
        if (e.timer) clearTimeout(e.timer);
        e.timer = null;
      } else if (e.state.status === 'online') {
        // Its link dropped: connect again (the first retry at once).
        e.state = { ...e.state, status: 'connecting', reason: null };
        changed = true;
        this.schedule(e, MANUAL_REDIAL_DELAY_MS);
      }
    }
    if (changed) this.emit('change');
  }

  private async attempt(entry: Entry): Promise<void> {
    if (!this.isCurrent(entry) || entry.attempting) return;
    const pinned = entry.state.identity;
    if (pinned && this.links.linkTo(pinned)) return this.refresh();
    entry.attempting = true;
    let reason: string | null = null;
    try {
      const { socket, identity } = await this.links.dial(entry.address.host, entry.address.port);
      if (!this.isCurrent(entry)) {
        socket.destroy();
        return;
      }
      const pin = entry.state.identity;
      if (identity === this.links.localIdentity) {
        socket.destroy();
        reason = 'that address is this device itself';
      } else if (pin !== null && identity !== pin) {
        socket.destroy();
        reason = identityChangedReason(pin, identity);
      } else {
        if (pin === null) {
          entry.state = { ...entry.state, identity };
          await this.pins.set(entry.state.address, identity).catch(() => {});
        }
        const link = this.links.adopt(socket, identity, true, 'manual');
        if (!link) reason = 'this device refused the link (too many links, or discovery is off)';
        else if (!link.ready) reason = await new Promise<string | null>((resolve) => {
          const onReady = () => {
            link.off('close', onClose);
            resolve(null);
          };
          const onClose = () => {
            link.off('ready', onReady);
            resolve(link.closeReason === 'duplicate' ? null : 'the device closed the connection before saying hello');
          };
          link.on('ready', onReady);
          link.on('close', onClose);
        });
      }
    } catch (err) {
      reason = err instanceof DialError ? describeDialError(err, entry.address) : `could not connect: ${(err as Error).message}`;
    } finally {
      entry.attempting = false;
    }
    if (!this.isCurrent(entry)) return;
    entry.state = { ...entry.state, lastAttempt: new Date().toISOString() };
    if (reason !== null) {
      entry.state = { ...entry.state, status: 'unreachable', reason };
      this.retryLater(entry);
      this.emit('change');
      return;
    }
    this.refresh();
    // Not online after all (e.g. the link closed as a duplicate and no other came): try again.
    if (entry.state.status !== 'online') this.retryLater(entry);
    this.emit('change');
  }
}
