// What the responder and the browser need of the sockets: the engine provides it.

import type { MulticastInterface } from './networkInterfaces.js';

export interface Transport {
  /** The interfaces discovery currently runs on. */
  interfaces(): MulticastInterface[];
  /** Sends to the mDNS group on one interface (IPv4 and IPv6, where the interface has them). */
  multicast(interfaceName: string, packet: Buffer): Promise<void>;
  /** Sends from port 5353 to one address (a reply to a QU or legacy question). */
  unicast(address: string, port: number, packet: Buffer): Promise<void>;
  /** Sends a one-shot question from an ephemeral port to a peer's port 5353 (RFC 6762 §5.1, §6.7). */
  directQuery(address: string, packet: Buffer): Promise<void>;
}
