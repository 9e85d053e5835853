// What presence reads as "discovery" (peers/presence.ts DiscoveryControl): the mDNS engine and,
// when configured, the wide-area domain, side by side. Each entry keeps its own id (the mDNS one
// ends in `.local`, the wide-area one in the domain); the peer directory groups them by the
// identity they claim, so a device heard both ways is one row.

import type { Peer } from '../../../src-shared/peer.js';
import type { DiscoveryControl } from '../peers/presence.js';
import type { WideArea } from './wideArea.js';

export class CombinedDiscovery implements DiscoveryControl {
  private looking = false;

  constructor(
    private readonly mdns: DiscoveryControl,
    private readonly wideArea: () => WideArea | null,
  ) {}

  peers(): Peer[] {
    const wide = this.wideArea()?.peers() ?? [];
    return wide.length === 0 ? this.mdns.peers() : [...this.mdns.peers(), ...wide];
  }

  get heardCount(): number {
    return this.mdns.heardCount + (this.wideArea()?.heardCount ?? 0);
  }

  setLooking(looking: boolean): void {
    this.looking = looking;
    this.mdns.setLooking(looking);
    this.wideArea()?.setLooking(looking);
  }

  /** A wide-area area opened while someone looks starts looking too. */
  get isLooking(): boolean {
    return this.looking;
  }

  setMonitored(entryId: string, monitored: boolean): void {
    this.mdns.setMonitored(entryId, monitored);
  }

  askFor(instanceName: string): void {
    this.mdns.askFor(instanceName);
  }
}
