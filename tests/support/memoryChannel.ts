// PeerChannel pairs in memory, for unit tests of what runs over the P2P link (pairing). Messages
// are copied through JSON and delivered asynchronously, in order, like over a socket; each end
// records what it sent. `identityFromSeed` gives well-formed identities.

import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import type { LinkMessage, PeerChannel } from '../../src-main/core/p2p/messages.js';

export function identityFromSeed(seed: string): string {
  return encodeRemoteIdentity(createHash('sha256').update(seed).digest());
}

export class MemoryChannel extends EventEmitter implements PeerChannel {
  peer: MemoryChannel | null = null;
  closed = false;
  readonly sent: LinkMessage[] = [];
  /** When set, called instead of delivering to `peer` (a relay in the middle). */
  intercept: ((message: LinkMessage) => void) | null = null;

  /** Where the peer's end seems to be: its own /24 per identity unless a test says otherwise. */
  readonly remoteAddress: string;

  constructor(readonly localIdentity: string, readonly remoteIdentity: string, readonly outgoing: boolean, remoteAddress?: string) {
    super();
    const h = createHash('sha256').update(remoteIdentity).digest();
    this.remoteAddress = remoteAddress ?? `10.${h[0]}.${h[1]}.${(h[2] ?? 0) % 250 + 1}`;
  }

  send(message: LinkMessage): void {
    if (this.closed) throw new Error('the link is closed');
    this.sent.push(message);
    const copy = JSON.parse(JSON.stringify(message)) as LinkMessage;
    setImmediate(() => {
      if (this.intercept) this.intercept(copy);
      else if (this.peer && !this.peer.closed) this.peer.emit('message', copy);
    });
  }

  /** Delivers anything (also what no schema allows) to this end, as if the peer sent it. */
  inject(message: unknown): void {
    this.emit('message', message);
  }

  close(): void {
    for (const end of [this, this.peer]) {
      if (end && !end.closed) {
        end.closed = true;
        setImmediate(() => end.emit('close'));
      }
    }
  }
}

/** Two connected ends: `a` opened the link to `b`. Each end's remoteIdentity is the other's identity. */
export function channelPair(identityA: string, identityB: string, addresses: { a?: string; b?: string } = {}): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel(identityA, identityB, true, addresses.b);
  const b = new MemoryChannel(identityB, identityA, false, addresses.a);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Resolves after queued deliveries (setImmediate hops) have run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
