// A discovery mode (DESIGN §2) as one policy object (issue 10): what the node advertises, who may
// link with it, whom it links with, and what it lists. The node holds the policy of the current
// mode and asks it; nothing else tests a mode's name. Adding a mode: its policy file in this
// folder, its entry in policies.ts, and its label in the UI (src-renderer/components/settings/ModeSettings.tsx).

import type { DiscoveryMode } from '../../../src-shared/discoveryModes.js';
import type { Advertisement } from '../discovery/ownRecords.js';
import type { DeviceMetadata } from '../../../src-shared/peerMetadata.js';

/** What a policy may ask of the node. */
export interface ModeContext {
  /** Our advertisement with everything in it (Everyone). */
  openAdvertisement(): Advertisement;
  /** This epoch's token, host name and port, nothing else (Contacts only). */
  privateAdvertisement(): Advertisement;
  /** Everything we say about ourselves over a link. */
  fullMetadata(): DeviceMetadata;
  isContact(identity: string): boolean;
  /** An identity an address the user added proved (a manual peer). */
  isPinned(identity: string): boolean;
}

export interface ModePolicy {
  readonly mode: DiscoveryMode;
  /** Whether discovery (mDNS), links and manual peers run at all. */
  readonly discovers: boolean;
  /**
   * Whether the fixed P2P port is open (listening, taking links). Closed, a port scan finds
   * nothing there: a Contacts only node would show its identity on it, and a port open in every
   * epoch and on every network would link them. A switch back opens the usual port again.
   */
  readonly listensOnPublicPort: boolean;
  /** Whether the gated per-epoch port of Contacts only is open (docs/protocol.md). */
  readonly privateEndpoint: boolean;
  /** Whether a new epoch changes what we advertise (a new token, host name and port). */
  readonly rotatesEachEpoch: boolean;
  /**
   * Whether discovery may ask the LAN about this peer by name (a multicast question naming its
   * instance or host: missing records, cache maintenance, an impostor's records). Where not, the
   * whole service is asked instead, so that a listener cannot tell whom we asked about: in
   * Contacts only those would be the peers we have no link to, everyone but our contacts.
   */
  mayNameInQuestions(instanceLabel: string): boolean;
  /** Why the list is empty by choice, in words for the user; null when the mode lists peers. */
  readonly note: string | null;
  /** What we advertise; null: nothing. */
  advertisement(ctx: ModeContext): Advertisement | null;
  /** Our metadata in a hello to `remote` (proven by the handshake). */
  helloMetadata(remote: string, ctx: ModeContext): DeviceMetadata;
  /**
   * Whether our account credentials (issue 14) may go to `remote` (proven by the handshake; null:
   * a verification, whose client shows no identity): in a hello, or in the answer to a verification.
   */
  sharesAccount(remote: string | null, ctx: ModeContext): boolean;
  /** Whether a standing link with `identity` may exist (one we dial, or one it opened). */
  linksWith(identity: string, ctx: ModeContext): boolean;
}
