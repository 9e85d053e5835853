// One UDP socket per interface and address family, bound to port 5353 and joined to the mDNS
// group on that interface only; sending through it leaves by that interface (DESIGN §4: a
// multicast socket sends on one interface, so one per interface).

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { MDNS_IPV4_GROUP, MDNS_IPV6_GROUP, MDNS_PORT } from './constants.js';

export type Family = 4 | 6;

export interface MdnsSocketEvents {
  message: [buffer: Buffer, rinfo: RemoteInfo];
  error: [error: Error];
}

export class MdnsSocket extends EventEmitter<MdnsSocketEvents> {
  private readonly socket: Socket;
  private closed = false;

  /**
   * @param interfaceName  OS name of the interface (`eth0`)
   * @param family         4 or 6
   * @param localAddress   for IPv4 the interface's address (selects the interface)
   * @param listensTo      'any': every datagram to the port (the engine: multicast, and the unicast
   *                       questions and answers sent to this host); 'group': only the group's, so
   *                       that a second program on the port (the network check beside a node) takes
   *                       none of the unicast the first one waits for (Linux hands a unicast
   *                       datagram to one of the sockets sharing a port: the last bound).
   */
  constructor(
    readonly interfaceName: string,
    readonly family: Family,
    private readonly localAddress: string,
    private readonly port = MDNS_PORT,
    private readonly listensTo: 'any' | 'group' = 'any',
  ) {
    super();
    this.socket = createSocket(
      family === 4 ? { type: 'udp4', reuseAddr: true } : { type: 'udp6', reuseAddr: true, ipv6Only: true },
    );
    this.socket.on('message', (buf, rinfo) => this.emit('message', buf, rinfo));
    this.socket.on('error', (err) => {
      if (!this.closed) this.emit('error', err);
    });
  }

  get group(): string {
    return this.family === 4 ? MDNS_IPV4_GROUP : MDNS_IPV6_GROUP;
  }

  private get bindAddress(): string {
    if (this.listensTo === 'any') return this.family === 4 ? '0.0.0.0' : '::';
    return this.family === 4 ? MDNS_IPV4_GROUP : `${MDNS_IPV6_GROUP}%${this.interfaceName}`;
  }

  /** The multicast interface argument Node expects: an IPv4 address, or `::%eth0`. */
  private get multicastInterface(): string {
    return this.family === 4 ? this.localAddress : `::%${this.interfaceName}`;
  }

  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.socket.once('error', onError);
      this.socket.bind({ port: this.port, address: this.bindAddress, exclusive: false }, () => {
        this.socket.off('error', onError);
        resolve();
      });
    });
    this.socket.addMembership(this.group, this.multicastInterface);
    this.socket.setMulticastInterface(this.multicastInterface);
    this.socket.setMulticastTTL(255);
    this.socket.setMulticastLoopback(true);
  }

  /**
   * Sends to the mDNS group on this interface, or to `to` (unicast). Resolves with the error
   * when the system refused the packet (the caller reports it once per kind, not per packet).
   */
  send(buffer: Buffer, to?: { address: string; port: number }): Promise<NodeJS.ErrnoException | null> {
    if (this.closed) return Promise.resolve(null);
    const address = to?.address ?? (this.family === 4 ? MDNS_IPV4_GROUP : `${MDNS_IPV6_GROUP}%${this.interfaceName}`);
    const port = to?.port ?? this.port;
    return new Promise((resolve) => {
      this.socket.send(buffer, port, address, (err) => resolve(err && !this.closed ? (err as NodeJS.ErrnoException) : null));
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      try {
        this.socket.dropMembership(this.group, this.multicastInterface);
      } catch {
        // The interface may be gone already; closing the socket is what matters.
      }
      this.socket.close(() => resolve());
    });
  }
}
