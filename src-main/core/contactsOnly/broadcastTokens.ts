// What a node in Contacts only mode puts on the air (DESIGN §2, §5; docs/protocol.md): values
// derived with HMAC-SHA256 from its broadcast secret and the current time epoch. Without the
// secret they are indistinguishable from random and unrelated from one epoch to the next; with it
// (a contact), they name the node. Every value has its own label (domain separation), so one never
// tells anything about another: the token seen in mDNS says nothing about the host name or the
// TLS server name.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const BROADCAST_SECRET_BYTES = 32;
/** An epoch: how long one token lives (DESIGN §5 suggests 15 minutes). */
export const EPOCH_DEFAULT_MS = 15 * 60_000;
/** Tests shorten epochs (SD_NEARBY_EPOCH_MS); below this the re-announcements would flood the LAN. */
export const EPOCH_MIN_MS = 1000;
/** Tokens accepted around the current epoch: clocks of two devices differ (one epoch either way). */
export const EPOCH_SKEW_EPOCHS = 1;

/** Bytes of HMAC output kept for a token: 128 bits, 26 base32 characters. */
export const TOKEN_BYTES = 16;
export const TOKEN_CHARS = 26;
const HOSTNAME_BYTES = 8;
const SNI_NONCE_BYTES = 10;
const SNI_MAC_BYTES = 16;

const TOKEN_LABEL = 'sd-nearby token v1';
const HOSTNAME_LABEL = 'sd-nearby host v1';
const SNI_LABEL = 'sd-nearby sni v1';

/** RFC 4648 base32 alphabet, lowercase: DNS labels compare case-insensitively, so one case only. */
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN_PATTERN = new RegExp(`^[a-z2-7]{${TOKEN_CHARS}}$`);

/** RFC 4648 §6 base32, lowercase, without padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** The epoch a moment falls in: whole epochs since the Unix epoch. */
export function epochOf(nowMs: number, epochMs: number = EPOCH_DEFAULT_MS): number {
  return Math.floor(nowMs / epochMs);
}

/** When `epoch` ends (the next one starts), in ms since the Unix epoch. */
export function epochEndsAt(epoch: number, epochMs: number = EPOCH_DEFAULT_MS): number {
  return (epoch + 1) * epochMs;
}

/** The epochs whose tokens a contact accepts at `epoch`: the current one and its neighbours. */
export function epochWindow(epoch: number, skew: number = EPOCH_SKEW_EPOCHS): number[] {
  const out: number[] = [];
  for (let e = epoch - skew; e <= epoch + skew; e++) out.push(e);
  return out;
}

/** A valid epoch length from a setting or an environment variable; the default otherwise. */
export function epochMsFrom(raw: string | number | undefined | null): number {
  const ms = Number(raw);
  return Number.isSafeInteger(ms) && ms >= EPOCH_MIN_MS && ms <= 7 * 24 * 3600_000 ? ms : EPOCH_DEFAULT_MS;
}

function epochBytes(epoch: number): Buffer {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`not an epoch: ${epoch}`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(epoch));
  return b;
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length !== BROADCAST_SECRET_BYTES) throw new Error(`a broadcast secret is ${BROADCAST_SECRET_BYTES} bytes, got ${secret.length}`);
}

/** HMAC-SHA256(secret, label || 0x00 || epoch as 8 bytes big-endian || extra). */
function mac(secret: Uint8Array, label: string, epoch: number, extra?: Uint8Array): Buffer {
  checkSecret(secret);
  const h = createHmac('sha256', secret).update(label).update(Buffer.of(0)).update(epochBytes(epoch));
  if (extra) h.update(extra);
  return h.digest();
}

/** A fresh broadcast secret (32 random bytes). */
export function newBroadcastSecret(): Buffer {
  return randomBytes(BROADCAST_SECRET_BYTES);
}

/** The instance label of a Contacts only node in `epoch`: 26 lowercase base32 characters. */
export function privateToken(secret: Uint8Array, epoch: number): string {
  return base32(mac(secret, TOKEN_LABEL, epoch).subarray(0, TOKEN_BYTES));
}

/** Its host name (without `.local`) in `epoch`: never the identity-derived one. */
export function privateHostname(secret: Uint8Array, epoch: number): string {
  return `sd-${mac(secret, HOSTNAME_LABEL, epoch).subarray(0, HOSTNAME_BYTES).toString('hex')}`;
}

/** True when an instance label has the shape of a private token (not who it is: only a contact can tell). */
export function isPrivateToken(label: string): boolean {
  return TOKEN_PATTERN.test(label);
}

/**
 * The TLS server name a contact sends when it connects to a Contacts only node (RFC 6066 SNI,
 * sent in clear): a fresh nonce and a MAC over it with the node's secret and epoch. Only a holder
 * of the secret can make one; the nonce makes each one single-use (see SniGate), so one seen on
 * the wire is worth nothing to an observer.
 */
export function privateServerName(secret: Uint8Array, epoch: number, nonce: Uint8Array = randomBytes(SNI_NONCE_BYTES)): string {
  if (nonce.length !== SNI_NONCE_BYTES) throw new Error(`an SNI nonce is ${SNI_NONCE_BYTES} bytes`);
  return `${base32(nonce)}-${base32(mac(secret, SNI_LABEL, epoch, nonce).subarray(0, SNI_MAC_BYTES))}`;
}

const SNI_PATTERN = /^([a-z2-7]{16})-([a-z2-7]{26})$/;

function base32Decode(text: string): Buffer | null {
  let buffer = 0;
  let bits = 0;
  const out: number[] = [];
  for (const ch of text) {
    const v = BASE32_ALPHABET.indexOf(ch);
    if (v < 0) return null;
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return Buffer.from(out);
}

/**
 * Checks a server name against our secret for the epochs given (the current one and its
 * neighbours). Returns the nonce (to refuse a replay) and the epoch, or null. Constant-time compare.
 */
export function checkPrivateServerName(secret: Uint8Array, epochs: number[], serverName: string): { nonce: string; epoch: number } | null {
  const m = SNI_PATTERN.exec(serverName.toLowerCase());
  if (!m) return null;
  const nonce = base32Decode(m[1] as string);
  const given = base32Decode(m[2] as string);
  if (!nonce || nonce.length !== SNI_NONCE_BYTES || !given || given.length !== SNI_MAC_BYTES) return null;
  for (const epoch of epochs) {
    if (epoch < 0) continue;
    const expected = mac(secret, SNI_LABEL, epoch, nonce).subarray(0, SNI_MAC_BYTES);
    if (timingSafeEqual(expected, given)) return { nonce: m[1] as string, epoch };
  }
  return null;
}
