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
  /** How it was found: discovery, an address the user added, or it connected to this device. */
  source: 'mdns' | 'manual' | 'link';
  /** Set when the device advertises an identity it could not prove over the P2P link (an impostor). */
  warning?: string;
}

/** One of this node's own libraries. */
export interface Library {
  uuid: string;
  name: string;
  active: boolean;
  createdAt: string;
}
