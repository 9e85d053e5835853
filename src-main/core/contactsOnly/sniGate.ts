// Who may see a Contacts only node's identity certificate (docs/protocol.md). TLS 1.3 encrypts the
// certificates, so a passive observer never sees them; but anyone who connects to the advertised
// port would, and the certificate's key IS the identity. So the server presents its identity
// certificate only to a client whose server name (SNI) proves it holds our broadcast secret
// (privateServerName: a fresh nonce and a MAC over it for this epoch). Every other client gets a
// decoy: a throwaway certificate made for this listener alone, and the connection is closed after
// the handshake. A server name is good once (its nonce is remembered while it could be valid), so
// one seen on the wire cannot be replayed.

import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { createTlsIdentity, tlsOptions, type TlsIdentity } from '../p2p/tlsIdentity.js';
import { EPOCH_DEFAULT_MS, checkPrivateServerName, epochOf, epochWindow } from './broadcastTokens.js';

/** Nonces remembered at most (a flood of valid names needs the secret, so this is generous). */
const NONCES_MAX = 4096;

export interface SniGateOptions {
  /** Our TLS identity (certificate over the identity key). */
  identity: TlsIdentity;
  /** Our broadcast secret now (it rotates). */
  secret: () => Uint8Array;
  epochMs?: number;
  now?: () => number;
}

export type SniDecision = 'identity' | 'decoy';

export class SniGate {
  private readonly identityContext: SecureContext;
  private readonly identityFingerprint: string;
  private readonly usedNonces = new Map<string, number>();
  private readonly epochMs: number;
  private readonly now: () => number;
  /** Counts, for tests and diagnostics. */
  readonly stats = { identity: 0, decoy: 0, replayed: 0 };

  constructor(private readonly opts: SniGateOptions) {
    this.epochMs = opts.epochMs ?? EPOCH_DEFAULT_MS;
    this.now = opts.now ?? Date.now;
    this.identityContext = createSecureContext(tlsOptions(opts.identity));
    this.identityFingerprint = new X509Certificate(opts.identity.cert).fingerprint256;
  }

  /**
   * Options to merge into tls.createServer for one listener: a decoy made for it alone is the
   * default (a client without SNI gets it; decoys never link two listeners, or two epochs), and
   * SNICallback swaps in the identity for a valid server name. One gate serves every listener,
   * so a server name used on one is refused on the next.
   */
  serverOptions(): ReturnType<typeof tlsOptions> & { SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void } {
    const decoy = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
    return {
      ...tlsOptions(decoy),
      SNICallback: (servername, cb) => {
        const decision = this.decide(servername);
        cb(null, decision === 'identity' ? this.identityContext : undefined);
      },
    };
  }

  /** 'identity' for a fresh, valid server name; 'decoy' otherwise. Marks the nonce used. */
  decide(servername: string): SniDecision {
    const now = this.now();
    const epoch = epochOf(now, this.epochMs);
    const ok = checkPrivateServerName(this.opts.secret(), epochWindow(epoch), servername);
    if (!ok) {
      this.stats.decoy++;
      return 'decoy';
    }
    this.forgetOld(epoch);
    if (this.usedNonces.has(ok.nonce)) {
      this.stats.replayed++;
      this.stats.decoy++;
      return 'decoy';
    }
    if (this.usedNonces.size >= NONCES_MAX) {
      const oldest = this.usedNonces.keys().next().value;
      if (oldest !== undefined) this.usedNonces.delete(oldest);
    }
    this.usedNonces.set(ok.nonce, ok.epoch);
    this.stats.identity++;
    return 'identity';
  }

  /** After the handshake: true when this connection was shown our identity (else: close it). */
  presentedIdentity(socket: TLSSocket): boolean {
    try {
      const cert = socket.getX509Certificate();
      return cert !== undefined && cert.fingerprint256 === this.identityFingerprint;
    } catch {
      return false;
    }
  }

  /** A nonce can be valid only while its epoch is within the window: older ones need no memory. */
  private forgetOld(epoch: number): void {
    for (const [nonce, e] of this.usedNonces) if (e < epoch - 1) this.usedNonces.delete(nonce);
  }
}
