// Pairing and contacts as the UIs see them (DESIGN §5): the pairing sessions in progress or just
// ended, and the contacts they produced.

export const PAIRING_STAGES = ['waiting-for-peer', 'confirm-code', 'waiting-for-peer-confirmation', 'done', 'rejected', 'timed-out', 'failed'] as const;
export type PairingStage = (typeof PAIRING_STAGES)[number];

/** Stages after which nothing more happens in a session. */
export const PAIRING_FINAL_STAGES: readonly PairingStage[] = ['done', 'rejected', 'timed-out', 'failed'];

export function isFinalPairingStage(stage: PairingStage): boolean {
  return PAIRING_FINAL_STAGES.includes(stage);
}

export interface PairingSessionState {
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
