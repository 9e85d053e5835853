// Contacts only mode, the parts that sit between discovery, the links and the contacts
// (docs/protocol.md, DESIGN §2, §5):
// - what we advertise: a per-epoch token, host name and port, and a TXT record with nothing in it;
// - which of the tokens we hear are contacts (TokenResolver), and the TLS server name that gets
//   a contact our identity certificate (SniGate);
// - the secrets: ours goes to each contact over every authenticated link to it (`contact-secret`),
//   theirs are stored when they come; removing a contact rotates ours, and the remaining
//   contacts get the new one the next time a link to them is up;
// - full metadata only to a contact, on request (`metadata-request`), and in the hello.

import { EventEmitter } from 'node:events';
import { isRemoteIdentity } from '../../../src-shared/identity.js';
import type { Peer } from '../../../src-shared/peer.js';
import { SerialQueue } from '../../../src-shared/serialQueue.js';
import { emptyDeviceMetadata, type DeviceMetadata } from '../../../src-shared/peerMetadata.js';
import type { Advertisement } from '../discovery/ownRecords.js';
import { ChannelListeners, type LinkMessage, type PeerChannel } from '../p2p/messages.js';
import type { TlsIdentity } from '../p2p/tlsIdentity.js';
import type { BroadcastSecretStore } from './broadcastSecret.js';
import { EPOCH_DEFAULT_MS, epochOf, isPrivateToken, privateHostname, privateServerName, privateToken } from './broadcastTokens.js';
import type { ContactSecretStore } from './contactSecrets.js';
import { SniGate } from './sniGate.js';
import { TokenResolver } from './tokenResolver.js';

/** A secret from a device that is not (yet) a contact waits this long for the pairing to finish. */
export const PENDING_SECRET_MS = 120_000;

/** The metadata a non-contact gets in a hello from a Contacts only node: nothing (no name, OS `other`, no model, version or libraries). */
export const WITHHELD_METADATA: DeviceMetadata = emptyDeviceMetadata();

/** What the service needs of the contact list (ContactStore). */
export interface ContactList {
  has(identity: string): boolean;
  list(): Array<{ identity: string; name: string }>;
  on(event: 'change', listener: () => void): unknown;
  off(event: 'change', listener: () => void): unknown;
}

export interface ContactsOnlyOptions {
  tls: TlsIdentity;
  secret: BroadcastSecretStore;
  contactSecrets: ContactSecretStore;
  contacts: ContactList;
  /** Our full metadata (what a contact gets). */
  metadata: () => DeviceMetadata;
  epochMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

export interface ContactsOnlyEvents {
  /** Our secret changed: re-announce (new token now), then the contacts get it over their links. */
  rotated: [];
  /** The secrets we hold changed: tokens resolve differently. */
  resolving: [];
}

/** How the peers discovery heard split in Contacts only terms. */
export interface PeerSplit {
  /** Peers that are not private tokens (identities, foreign names). */
  open: Peer[];
  /** Private tokens that resolve to a contact: `identity` set to the contact's (claimed, not yet proven). */
  resolved: Peer[];
  /** Private tokens we cannot resolve: somebody's, not ours to know whose. */
  unresolved: Peer[];
}

export class ContactsOnlyService extends EventEmitter<ContactsOnlyEvents> {
  readonly resolver: TokenResolver;
  readonly gate: SniGate;
  readonly epochMs: number;
  private readonly now: () => number;
  private readonly channels = new ChannelListeners();
  private readonly pending = new Map<string, { secret: Buffer; at: number }>();
  private known: Set<string>;
  private readonly onContactsChange = () => void this.contactsChanged();
  /** Secret and contact bookkeeping, one step at a time. */
  private readonly work = new SerialQueue();
  private closed = false;

  constructor(private readonly opts: ContactsOnlyOptions) {
    super();
    this.epochMs = opts.epochMs ?? EPOCH_DEFAULT_MS;
    this.now = opts.now ?? Date.now;
    this.resolver = new TokenResolver({ secrets: () => this.resolvableSecrets(), epochMs: this.epochMs, now: this.now });
    this.gate = new SniGate({ identity: opts.tls, secret: () => opts.secret.secret, epochMs: this.epochMs, now: this.now });
    this.known = new Set(opts.contacts.list().map((c) => c.identity));
    opts.contacts.on('change', this.onContactsChange);
    // Secrets of devices that are no longer contacts (removed while the file was elsewhere) go.
    this.enqueue(async () => {
      if (await opts.contactSecrets.retainOnly(this.known)) this.secretsChanged();
    });
  }

  get epoch(): number {
    return epochOf(this.now(), this.epochMs);
  }

  /** Waits for the secret and contact bookkeeping in progress (tests, shutdown). */
  settled(): Promise<void> {
    return this.work.idle();
  }

  close(): void {
    this.closed = true;
    this.opts.contacts.off('change', this.onContactsChange);
    this.channels.detachAll();
  }

  // --- what we advertise --------------------------------------------------------------------

  /** Our advertisement in `epoch`: token, host name and `port` of that epoch; a TXT record of one empty string. */
  advertisement(port: number, epoch: number = this.epoch): Advertisement {
    const secret = this.opts.secret.secret;
    // RFC 6763 §6.1: a TXT record with nothing to say holds a single empty string.
    return { instance: privateToken(secret, epoch), hostname: privateHostname(secret, epoch), port, txt: [new Uint8Array(0)] };
  }

  // --- recognising contacts -------------------------------------------------------------------

  /** Splits discovered peers: open ones, private tokens of our contacts, and the others' tokens. */
  split(peers: readonly Peer[]): PeerSplit {
    const out: PeerSplit = { open: [], resolved: [], unresolved: [] };
    for (const p of peers) {
      if (p.identity !== null || !isPrivateToken(p.instance)) {
        out.open.push(p);
        continue;
      }
      const hit = this.resolver.resolve(p.instance);
      if (hit && this.opts.contacts.has(hit.identity)) {
        const name = this.opts.contacts.list().find((c) => c.identity === hit.identity)?.name ?? p.name;
        out.resolved.push({ ...p, identity: hit.identity, name });
      } else {
        out.unresolved.push(p);
      }
    }
    return out;
  }

  /** A fresh TLS server name for dialling contact `identity`'s private port; null without its secret. */
  serverNameFor(identity: string): string | null {
    const secret = this.opts.contactSecrets.get(identity);
    return secret ? privateServerName(secret, this.epoch) : null;
  }

  private resolvableSecrets(): Array<{ identity: string; secret: Buffer }> {
    return this.opts.contactSecrets.all().filter((s) => this.opts.contacts.has(s.identity));
  }

  // --- links ----------------------------------------------------------------------------------

  /** What we tell `remoteIdentity` about ourselves: everything to a contact (or in Everyone mode), nothing otherwise. */
  metadataFor(remoteIdentity: string, everyone: boolean): DeviceMetadata {
    return everyone || this.opts.contacts.has(remoteIdentity) ? this.opts.metadata() : WITHHELD_METADATA;
  }

  /** A new authenticated link: our secret goes to it if it is a contact; its messages are heard. */
  attach(channel: PeerChannel): void {
    if (this.closed || !this.channels.attach(channel, (m) => this.receive(channel, m), () => {})) return;
    if (this.opts.contacts.has(channel.remoteIdentity)) this.sendSecret(channel);
  }

  /** The ready links to `identity` we know of. */
  channelsTo(identity: string): PeerChannel[] {
    return this.channels.all().filter((c) => c.remoteIdentity === identity);
  }

  private sendSecret(channel: PeerChannel): void {
    try {
      channel.send({ type: 'contact-secret', secret: this.opts.secret.secret.toString('base64') });
    } catch (err) {
      this.opts.log?.(`could not give a contact the broadcast secret: ${(err as Error).message}`);
    }
  }

  private receive(channel: PeerChannel, message: LinkMessage): void {
    try {
      if (this.closed) return;
      const from = channel.remoteIdentity;
      if (message.type === 'metadata-request') {
        // Only a contact, proven by the link's handshake, learns who we are.
        if (this.opts.contacts.has(from)) channel.send({ type: 'metadata', metadata: this.opts.metadata() });
        else channel.send({ type: 'error', message: 'not available' });
        return;
      }
      if (message.type !== 'contact-secret' || !isRemoteIdentity(from)) return;
      const secret = Buffer.from(message.secret, 'base64');
      if (this.opts.contacts.has(from)) this.enqueue(() => this.storeSecret(from, secret));
      else {
        // Pairing just finished on its side and not yet on ours: kept until ours does (or not at all).
        this.prunePending();
        this.pending.set(from, { secret, at: this.now() });
      }
    } catch (err) {
      this.opts.log?.(`a contacts message from a peer could not be handled: ${(err as Error).message}`);
    }
  }

  private async storeSecret(identity: string, secret: Buffer): Promise<void> {
    if (!this.opts.contacts.has(identity)) return;
    if (await this.opts.contactSecrets.set(identity, secret)) this.secretsChanged();
  }

  private prunePending(): void {
    const now = this.now();
    for (const [id, p] of this.pending) if (now - p.at > PENDING_SECRET_MS) this.pending.delete(id);
  }

  private secretsChanged(): void {
    this.resolver.invalidate();
    this.emit('resolving');
  }

  // --- contacts added and removed -----------------------------------------------------------

  private contactsChanged(): void {
    const current = new Set(this.opts.contacts.list().map((c) => c.identity));
    const added = [...current].filter((id) => !this.known.has(id));
    const removed = [...this.known].filter((id) => !current.has(id));
    this.known = current;
    this.prunePending();
    for (const id of added) {
      const p = this.pending.get(id);
      this.pending.delete(id);
      if (p) this.enqueue(() => this.storeSecret(id, p.secret));
      for (const channel of this.channelsTo(id)) this.sendSecret(channel);
    }
    if (removed.length > 0) {
      this.enqueue(async () => {
        await this.opts.contactSecrets.retainOnly(this.known);
        // The removed device knows our secret: a new one, so that it cannot follow us any more.
        await this.opts.secret.rotate();
        this.secretsChanged();
        this.emit('rotated');
        for (const channel of this.channels.all()) if (this.opts.contacts.has(channel.remoteIdentity)) this.sendSecret(channel);
      });
    }
    if (added.length > 0 || removed.length > 0) this.secretsChanged();
  }

  private enqueue(task: () => Promise<void>): void {
    this.work.run(task).catch((err: unknown) => this.opts.log?.(`contacts only: ${(err as Error).message}`));
  }
}
