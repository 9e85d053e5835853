// What the app knows about a device: the metadata a node advertises (DESIGN §1, peerMetadata.ts)
// and what discovery adds to it (where and when the device was seen).

import type { AccountStanding } from './account.js';
import type { ContactStanding } from './pairing.js';
import type { DeviceMetadata } from './peerMetadata.js';

/**
 * A device seen on the network. Its ContactStanding (pairing.ts) says whether it is a contact, under
 * the name stored at pairing, or uses a contact's name without being it (the directory sets both).
 * Its AccountStanding (account.ts) says which account it proved, if any (issue 14).
 */
export interface Peer extends DeviceMetadata, ContactStanding, AccountStanding {
  /** Stable key of this entry: the lowercased DNS-SD instance name. */
  id: string;
  /** The identity the peer claims (its instance label), or null when the label is not a valid identity. */
  identity: string | null;
  /** The instance label, made safe to display. */
  instance: string;
  /** True only when a P2P link proved the claimed identity (never from mDNS alone). */
  verified: boolean;
  /** Addresses the peer can be reached at; IPv6 link-local ones carry their scope (`fe80::1%eth0`). */
  addresses: string[];
  port: number | null;
  hostname: string | null;
  /** Local interfaces the peer was heard on. */
  interfaces: string[];
  firstSeen: string;
  lastSeen: string;
  /** How it was found: discovery on the LAN, an address the user added, it connected to this device, or a wide-area DNS domain. */
  source: 'mdns' | 'manual' | 'link' | 'wide-area';
  /** Set when the device advertises an identity it could not prove over the P2P link (an impostor). */
  warning?: string;
}

/** A device in one of our libraries (issue 13): its identity, the name it had when it joined, and since when. */
export interface LibraryMember {
  identity: string;
  name: string;
  since: string;
}

/** An invitation this node sent for one of its libraries, not yet accepted or declined. */
export interface LibraryInvitationSent {
  identity: string;
  name: string;
  at: string;
}

/** One of this node's own libraries. */
export interface Library {
  uuid: string;
  name: string;
  active: boolean;
  createdAt: string;
  /**
   * The other devices in the library, as this node knows them (it is not listed itself). A device
   * joins by an invitation a member sent it; members tell each other who joined and who left when
   * their links meet. A device that announces the library's uuid without being listed here only
   * claims it: library ids are public (TXT), membership is not.
   */
  members: LibraryMember[];
  /** Invitations this node sent for it and nobody answered yet. */
  invited: LibraryInvitationSent[];
}

/** An invitation to a library, received from a contact and waiting for the user (NodeState.libraryInvites). */
export interface LibraryInvite {
  /** What acceptLibraryInvite and declineLibraryInvite name. */
  id: string;
  uuid: string;
  name: string;
  /** The contact that sent it: its identity (proven by the link) and the name it was paired under. */
  from: { identity: string; name: string };
  received: string;
}
