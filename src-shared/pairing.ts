// Pairing and contacts as the UIs see them (DESIGN §5): the pairing sessions in progress or just
// ended, and the contacts they produced.

import type { AccountStanding } from './account.js';

export const PAIRING_STAGES = ['waiting-for-peer', 'confirm-code', 'waiting-for-peer-confirmation', 'done', 'rejected', 'timed-out', 'failed'] as const;
export type PairingStage = (typeof PAIRING_STAGES)[number];

/** Stages after which nothing more happens in a session. */
export const PAIRING_FINAL_STAGES: readonly PairingStage[] = ['done', 'rejected', 'timed-out', 'failed'];

export function isFinalPairingStage(stage: PairingStage): boolean {
  return PAIRING_FINAL_STAGES.includes(stage);
}

/** A session's AccountStanding (account.ts) is the account the link to the other device proved: the dialog names it (issue 14). */
export interface PairingSessionState extends ContactStanding, AccountStanding {
  /** This node's id of the session (what confirmPairing / rejectPairing take). */
  id: string;
  /** The identity the link proved for the other device. */
  peerIdentity: string;
  peerName: string;
  /** 'outgoing': this device asked; 'incoming': the other device asked. */
  direction: 'outgoing' | 'incoming';
  stage: PairingStage;
  /** The 6-digit code both screens show; null until both nonces are known. */
  code: string | null;
  /** True once the other user confirmed the code. */
  peerConfirmed: boolean;
  /** Why the session ended other than 'done', in words for the user; else null. */
  reason: string | null;
  startedAt: string;
  /** When the session times out unless it has ended before. */
  expiresAt: string;
}

/** A device this one paired with. */
export interface Contact {
  identity: string;
  name: string;
  addedAt: string;
}

/** A contact as a device is marked with: the name saved at pairing, and its identity's short fingerprint (identity.ts). */
export interface ContactMark {
  name: string;
  fingerprint: string;
}

/**
 * How a device shown to the user stands to the contacts (issue 11): "Verified" says the device
 * holds its own key, not that it is the Bob the user paired with; these say that. Set by the node
 * (ContactStore.standingOf) on every row of the list and every pairing session.
 */
export interface ContactStanding {
  /** Set when the identity proven for this device is a contact's: that contact, under its stored name. */
  contact?: ContactMark;
  /** Set when this device is not a contact but goes by a contact's stored name: the contact it looks like. */
  lookalikeOf?: ContactMark;
}

/** The words that mark a device, the same in every UI and the CLI; null for a device that is neither. */
export function contactStandingText(standing: ContactStanding): string | null {
  if (standing.contact) return `Your contact ${standing.contact.name} (${standing.contact.fingerprint})`;
  if (standing.lookalikeOf) return `Not your contact ${standing.lookalikeOf.name}: a different device using the same name`;
  return null;
}
