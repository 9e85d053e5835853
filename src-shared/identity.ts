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
