// What the responder and the browser need of the sockets: the engine provides it.

import type { MulticastInterface } from './networkInterfaces.js';

/**
 * Why a direct question came to nothing without waiting for its answer: the send failed on this
 * host (e.g. EINVAL when the system cannot resolve the address on the link), or the peer's host
 * said at once that nothing listens on its port 5353 (ICMP port unreachable: the program is gone).
 */
export type DirectQuestionFailure = 'send-failed' | 'port-unreachable';

export interface Transport {
  /** The interfaces discovery currently runs on. */
  interfaces(): MulticastInterface[];
  /** Sends to the mDNS group on one interface (IPv4 and IPv6, where the interface has them). */
  multicast(interfaceName: string, packet: Buffer): Promise<void>;
  /** Sends from port 5353 to one address (a reply to a QU or legacy question). */
  unicast(address: string, port: number, packet: Buffer): Promise<void>;
  /**
   * Sends a one-shot question from an ephemeral port to a peer's port 5353 (RFC 6762 §5.1, §6.7).
   * Its answer arrives as a response heard through a direct question; `onFailure` is called
   * instead when the question could not be sent or the peer's host refused it.
   */
  directQuery(address: string, packet: Buffer, onFailure: (failure: DirectQuestionFailure) => void): void;
}
