// The P2P port a Contacts only node advertises (docs/protocol.md): a fresh TLS listener on a
// random port for every epoch, so that the SRV record's port never links two epochs either. Its
// certificate is gated (SniGate): only a client whose server name proves it holds our broadcast
// secret sees our identity and gets a link; everyone else gets a throwaway certificate and a closed
// connection. Connections of an epoch that ended stay up (they are authenticated links); only
// new ones go to the new port. A client that proves an identity we do not hold as a contact (it
// has our secret, but we removed it, or never paired) is closed before anything is said.

import type { TLSSocket } from 'node:tls';
import { LinkServer, type LinkServerLimits } from '../p2p/linkServer.js';
import type { TlsIdentity } from '../p2p/tlsIdentity.js';
import type { SniGate } from './sniGate.js';

export class PrivateEndpoint {
  private server: LinkServer | null = null;
  /** Connections refused after the handshake because they were shown the decoy. */
  decoyConnections = 0;

  constructor(
    private readonly tls: TlsIdentity,
    private readonly gate: SniGate,
    private readonly onPeer: (socket: TLSSocket, identity: string) => void,
    /** Whether a proven identity may have a link here: our contacts only (a one-sided contact gets nothing). */
    private readonly allow: (identity: string) => boolean,
    private readonly limits: Partial<LinkServerLimits> = {},
  ) {}

  /** The port of the current epoch's listener; 0 when closed. */
  get port(): number {
    return this.server?.listeningPort ?? 0;
  }

  get isOpen(): boolean {
    return this.server !== null;
  }

  /** Listens on a new random port (the previous listener stops taking connections); returns it. */
  async renew(): Promise<number> {
    const next = new LinkServer(this.tls, (socket, identity) => this.accept(socket, identity), this.limits, this.gate.serverOptions());
    const port = await next.listen(0);
    const previous = this.server;
    this.server = next;
    // Not awaited: close() resolves only once the links it accepted have ended.
    void previous?.close();
    return port;
  }

  async close(): Promise<void> {
    const previous = this.server;
    this.server = null;
    await previous?.close();
  }

  private accept(socket: TLSSocket, identity: string): void {
    if (!this.gate.presentedIdentity(socket)) {
      // Shown the decoy: it learnt nothing, and gets nothing more.
      this.decoyConnections++;
      socket.destroy();
      return;
    }
    if (!this.allow(identity)) {
      socket.destroy();
      return;
    }
    this.onPeer(socket, identity);
  }
}
