// The numbers of pairing (DESIGN §5): fresh nonces, the initiator's commitment to its nonce, and
// the 6-digit code both screens show. The initiator commits before it sees the responder's nonce
// and the responder reveals first, so neither side (nor a relay in between) can choose a nonce
// that makes two different pairs of identities give the same code. node:crypto only.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const PAIRING_NONCE_BYTES = 32;
export const PAIRING_CODE_DIGITS = 6;
const PAIRING_CODE_MODULUS = 10 ** PAIRING_CODE_DIGITS;

/** Domain-separation prefixes: a hash made for one purpose never serves another. */
export const PAIRING_CODE_DOMAIN = 'sd-nearby pairing v1';
export const PAIRING_COMMIT_DOMAIN = 'sd-nearby commit v1';

/** 32 random bytes, new for every pairing attempt. */
export function newPairingNonce(): Buffer {
  return randomBytes(PAIRING_NONCE_BYTES);
}

/** SHA-256('sd-nearby commit v1' || nonce). */
export function pairingCommitment(nonce: Uint8Array): Buffer {
  return createHash('sha256').update(PAIRING_COMMIT_DOMAIN, 'utf8').update(nonce).digest();
}

/** True when `nonce` is the one `commitment` was made to (compared in constant time). */
export function commitmentMatches(commitment: Uint8Array, nonce: Uint8Array): boolean {
  const expected = pairingCommitment(nonce);
  return commitment.length === expected.length && timingSafeEqual(commitment, expected);
}

export interface PairingCodeInputs {
  /** The identity of the side that sent pair-request (as the link proved it). */
  initiatorIdentity: string;
  responderIdentity: string;
  initiatorNonce: Uint8Array;
  responderNonce: Uint8Array;
}

/** A 4-byte big-endian length, then the bytes: no two different inputs hash the same text. */
function lengthPrefixed(bytes: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * SHA-256 over the prefix, both identities (UTF-8 of their text form) and both nonces, each
 * length-prefixed; the first 4 bytes as a big-endian uint32, mod 1,000,000, zero-padded to 6 digits.
 */
export function pairingCode(inputs: PairingCodeInputs): string {
  if (inputs.initiatorNonce.length !== PAIRING_NONCE_BYTES || inputs.responderNonce.length !== PAIRING_NONCE_BYTES) {
    throw new Error(`a pairing nonce is ${PAIRING_NONCE_BYTES} bytes`);
  }
  const digest = createHash('sha256')
    .update(lengthPrefixed(Buffer.from(PAIRING_CODE_DOMAIN, 'utf8')))
    .update(lengthPrefixed(Buffer.from(inputs.initiatorIdentity, 'utf8')))
    .update(lengthPrefixed(Buffer.from(inputs.responderIdentity, 'utf8')))
    .update(lengthPrefixed(inputs.initiatorNonce))
    .update(lengthPrefixed(inputs.responderNonce))
    .digest();
  return String(digest.readUInt32BE(0) % PAIRING_CODE_MODULUS).padStart(PAIRING_CODE_DIGITS, '0');
}

/** Nonces and commitments travel as standard base64 with padding (44 characters for 32 bytes). */
export function encodePairingBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** The 32 bytes of a message field the schema already checked (`[A-Za-z0-9+/]{43}=`). */
export function decodePairingBytes(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === PAIRING_NONCE_BYTES ? bytes : null;
}
