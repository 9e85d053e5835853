// What travels over the P2P link (DESIGN §5): framed JSON messages, each validated with these
// schemas before anything acts on it. Identities never travel in messages: the link's TLS
// handshake proves them.

import { z } from 'zod';
import { deviceMetadataLinkSchema } from '../../../src-shared/peerMetadata.js';
import { accountPresentationSchema } from '../accounts/accountTrust.js';

export const LINK_PROTOCOL_VERSION = 1;
/** A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. */
export const FRAME_MAX_BYTES = 64 * 1024;

const base64Bytes32 = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'expected 32 bytes in base64');
const requestId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

// Shared libraries (issue 13). Loose limits here (what a frame may carry); the sharing service
// cleans each field as it takes it (storage/libraries.ts schemas) and drops what does not fit.
const libraryUuid = z.string().uuid();
const wireMember = z.object({ identity: z.string().max(64), name: z.string().max(256), since: z.string().max(40) }).strict();
const wireDeparture = z.object({ identity: z.string().max(64), at: z.string().max(40) }).strict();
/** Members a message may name: a library's most (32) and the sender. */
const WIRE_MEMBERS_MAX = 33;
/** Libraries one `library-sync` may carry; more go in further messages. */
export const LIBRARY_SYNC_BATCH_MAX = 64;
const wireLibraryState = z
  .object({ uuid: libraryUuid, name: z.string().max(256), renamedAt: z.string().max(40).optional(), members: z.array(wireMember).max(WIRE_MEMBERS_MAX), departed: z.array(wireDeparture).max(WIRE_MEMBERS_MAX), inviteId: requestId.optional() })
  .strict();
export type WireLibraryState = z.infer<typeof wireLibraryState>;
export const LIBRARY_INVITE_STATUSES = ['listed', 'already-member', 'refused', 'declined'] as const;

export const linkMessageSchema = z.discriminatedUnion('type', [
  /**
   * First message each way after the handshake; `port` is the sender's own P2P port (where it
   * listens). The metadata (in `metadata` too) is cleaned as it is parsed (peerMetadata.ts).
   * `account`: the sender's account credentials (docs/protocol.md §5), where its mode shares them
   * with us; checked by the receiver against the identity the handshake proved.
   */
  z.object({ type: z.literal('hello'), version: z.number().int(), metadata: deviceMetadataLinkSchema, port: z.number().int().min(1).max(65535).optional(), account: accountPresentationSchema.nullish() }).strict(),
  z.object({ type: z.literal('metadata'), metadata: deviceMetadataLinkSchema }).strict(),
  z.object({ type: z.literal('ping'), n: z.number().int().nonnegative() }).strict(),
  z.object({ type: z.literal('pong'), n: z.number().int().nonnegative() }).strict(),
  // Pairing (DESIGN §5): the initiator commits to its nonce before seeing the responder's.
  z.object({ type: z.literal('pair-request'), requestId, commitment: base64Bytes32 }).strict(),
  z.object({ type: z.literal('pair-nonce'), requestId, nonce: base64Bytes32 }).strict(),
  z.object({ type: z.literal('pair-reveal'), requestId, nonce: base64Bytes32 }).strict(),
  z.object({ type: z.literal('pair-confirm'), requestId }).strict(),
  z.object({ type: z.literal('pair-reject'), requestId, reason: z.string().max(200) }).strict(),
  // Contacts only (docs/protocol.md): a contact's broadcast secret, sent to each contact over the
  // authenticated link (after pairing, and again after a rotation); and the explicit request for
  // full metadata, answered with 'metadata' only to a contact (else 'error').
  z.object({ type: z.literal('contact-secret'), secret: base64Bytes32 }).strict(),
  z.object({ type: z.literal('metadata-request') }).strict(),
  // Shared libraries (issue 13, docs/protocol.md): an invitation to a contact, its answer (listed
  // for the user, already a member, refused, declined later), what members know of each library
  // they share (when their links meet, and after a change), and a member leaving.
  z.object({ type: z.literal('library-invite'), inviteId: requestId, library: z.object({ uuid: libraryUuid, name: z.string().max(256) }).strict(), members: z.array(wireMember).max(WIRE_MEMBERS_MAX) }).strict(),
  z.object({ type: z.literal('library-invite-reply'), inviteId: requestId, status: z.enum(LIBRARY_INVITE_STATUSES), message: z.string().max(200).optional() }).strict(),
  z.object({ type: z.literal('library-sync'), libraries: z.array(wireLibraryState).min(1).max(LIBRARY_SYNC_BATCH_MAX) }).strict(),
  z.object({ type: z.literal('library-leave'), uuid: libraryUuid }).strict(),
  /** Sent when the other side is unknown to us or a request is malformed; the link stays up. */
  z.object({ type: z.literal('error'), message: z.string().max(200) }).strict(),
]);
export type LinkMessage = z.infer<typeof linkMessageSchema>;
export type LinkMessageType = LinkMessage['type'];

/**
 * One authenticated link to one peer, as the pairing and contacts code sees it. The link module
 * implements it over TLS 1.3; tests may implement it in memory.
 */
export interface PeerChannel {
  /** Our identity, as proven to the peer. */
  readonly localIdentity: string;
  /** The peer's identity, proven in the TLS handshake (the key of its certificate). */
  readonly remoteIdentity: string;
  /** True when we opened the connection. */
  readonly outgoing: boolean;
  /** The peer's IP address (IPv4-mapped made plain): limits per address and prefix count it. */
  readonly remoteAddress: string;
  send(message: LinkMessage): void;
  on(event: 'message', listener: (message: LinkMessage) => void): this;
  on(event: 'close', listener: () => void): this;
  off(event: 'message', listener: (message: LinkMessage) => void): this;
  off(event: 'close', listener: () => void): this;
}

/**
 * The links a service listens to (pairing, Contacts only): its handlers on each, added once and
 * taken off when the link closes or the service stops listening.
 */
export class ChannelListeners {
  private readonly channels = new Map<PeerChannel, { onMessage: (m: LinkMessage) => void; onClose: () => void }>();

  /** Listens to `channel` (once: false when it already did); `onClose` runs after the handlers are off. */
  attach(channel: PeerChannel, onMessage: (message: LinkMessage) => void, onClose: () => void): boolean {
    if (this.channels.has(channel)) return false;
    const closed = () => {
      this.detach(channel);
      onClose();
    };
    this.channels.set(channel, { onMessage, onClose: closed });
    channel.on('message', onMessage);
    channel.on('close', closed);
    return true;
  }

  detach(channel: PeerChannel): void {
    const listeners = this.channels.get(channel);
    if (!listeners) return;
    this.channels.delete(channel);
    channel.off('message', listeners.onMessage);
    channel.off('close', listeners.onClose);
  }

  detachAll(): void {
    for (const channel of [...this.channels.keys()]) this.detach(channel);
  }

  all(): PeerChannel[] {
    return [...this.channels.keys()];
  }
}
