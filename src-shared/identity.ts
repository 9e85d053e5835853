// The remote identity format of DESIGN §1: an ed25519 public key, 32 bytes, standard base64
// without padding (43 characters, alphabet A-Z a-z 0-9 + /).

export const IDENTITY_KEY_BYTES = 32;
export const IDENTITY_TEXT_LENGTH = 43;

const IDENTITY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/;

/** True when `text` is a well-formed remote identity (the last character carries only 4 bits). */
export function isRemoteIdentity(text: unknown): text is string {
  return typeof text === 'string' && IDENTITY_PATTERN.test(text);
}

/** Encodes 32 key bytes as a remote identity. */
export function encodeRemoteIdentity(key: Uint8Array): string {
  if (key.length !== IDENTITY_KEY_BYTES) {
    throw new Error(`an identity key is ${IDENTITY_KEY_BYTES} bytes, got ${key.length}`);
  }
  let binary = '';
  for (const byte of key) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, '');
}

/** Decodes a remote identity to its 32 key bytes, or null when it is not well-formed. */
export function decodeRemoteIdentity(text: string): Uint8Array | null {
  if (!isRemoteIdentity(text)) return null;
  const binary = atob(text + '=');
  const key = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) key[i] = binary.charCodeAt(i);
  return key.length === IDENTITY_KEY_BYTES ? key : null;
}

/** A short, human-sized form of an identity, used where a peer gave no name. */
export function shortIdentity(identity: string): string {
  return identity.slice(0, 8);
}

/** Characters of a fingerprint: Crockford's base32 (no I, L, O, U: nothing to misread aloud or on a small screen). */
const FINGERPRINT_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 10 characters of 5 bits: 50 bits of the key. Short enough to compare at a glance, long enough that
 * making a key whose fingerprint matches a given one takes months of a fast machine (about 2^49 keys). */
export const FINGERPRINT_CHARS = 10;

/**
 * The short fingerprint of an identity that the UIs show beside a contact's name ("7Q2KM-XD40H"):
 * the first 50 bits of the key in base32, in two groups of five. The key itself is the input (an
 * ed25519 public key's bytes are uniformly spread), so both sides compute it without hashing.
 * Null when the text is not a well-formed identity.
 */
export function identityFingerprint(identity: string): string | null {
  const key = decodeRemoteIdentity(identity);
  if (key === null) return null;
  let out = '';
  for (let i = 0; i < FINGERPRINT_CHARS; i++) {
    const bit = i * 5;
    const byte = bit >> 3;
    const pair = ((key[byte] ?? 0) << 8) | (key[byte + 1] ?? 0);
    out += FINGERPRINT_ALPHABET[(pair >> (11 - (bit & 7))) & 31];
  }
  return `${out.slice(0, FINGERPRINT_CHARS / 2)}-${out.slice(FINGERPRINT_CHARS / 2)}`;
}
