// Account credentials (issue 14, docs/protocol.md §5): who owns a device, proved offline. An
// issuer (in production the accounts service; here any key the node trusts) signs an account
// credential: account id, display name, verified email, the account's public key, not-after. The
// account key signs a device credential: the device's identity, its name, not-after. A receiver
// checks both against the issuers it trusts and the identity the TLS handshake proved; nothing is
// asked of any server.
//
// Encoding v1, canonical (one byte string per credential, so that a signature covers exactly what
// is read): fixed fields in a fixed order, texts as a length byte and UTF-8, integers big-endian,
// then the Ed25519 signature (RFC 8032, through node:crypto) of a label and everything before it.
// Text form: base64url without padding (RFC 4648 §5). A decoder rejects trailing bytes, unknown
// versions and texts over their limits; nothing in a credential is trusted before its signature.

import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeRemoteIdentity, encodeRemoteIdentity } from '../../../src-shared/identity.js';
import { identityOfKey } from '../storage/identityKey.js';

export const CREDENTIAL_VERSION = 1;
const KIND_ACCOUNT = 1;
const KIND_DEVICE = 2;
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const NOT_AFTER_BYTES = 8;
/** Domain separation: a signature made for one kind of credential never verifies as another. */
const ACCOUNT_SIGNING_LABEL = Buffer.from('sd-nearby account credential v1\0', 'utf8');
const DEVICE_SIGNING_LABEL = Buffer.from('sd-nearby device credential v1\0', 'utf8');

/** Limits of the texts, in UTF-8 bytes (each is one length byte on the wire). */
export const ACCOUNT_ID_MAX_BYTES = 64;
export const ACCOUNT_NAME_MAX_BYTES = 128;
/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets, an address 254. */
export const ACCOUNT_EMAIL_MAX_BYTES = 254;
export const DEVICE_NAME_MAX_BYTES = 128;
/** The longest credential in text form: the account credential with every text at its limit is about 780 characters. */
export const CREDENTIAL_MAX_CHARS = 1024;

export type CredentialProblem =
  | 'truncated' // cut short
  | 'oversize' // longer than any credential, or a text over its limit
  | 'malformed' // not base64url, another kind, trailing bytes, a text that is not clean UTF-8
  | 'unsupported-version'
  | 'bad-signature' // forged or damaged
  | 'unknown-issuer' // signed by an issuer this node does not trust
  | 'other-account' // the device credential was signed by another account's key
  | 'other-device' // made for another device (copied): its identity is not the one the handshake proved
  | 'expired';

/** A credential that cannot be used, and why. */
export class CredentialError extends Error {
  constructor(readonly problem: CredentialProblem, message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

export interface AccountClaims {
  /** The issuer's public key (identity format: 32 bytes, base64 without padding). */
  issuer: string;
  /** The account's public key, same format. */
  accountKey: string;
  /** Unix time in seconds after which the credential is void. */
  notAfter: number;
  accountId: string;
  name: string;
  email: string;
}

export interface DeviceClaims {
  accountKey: string;
  /** The device's identity (its TLS key). */
  device: string;
  notAfter: number;
  deviceName: string;
}

export interface Signed<T> {
  claims: T;
  /** The bytes the signature covers (label excluded) and the signature. */
  body: Buffer;
  signature: Buffer;
}

/** Control and format characters have no place in a name or an address shown to a person. */
const UNCLEAN_TEXT = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

/** Why `text` cannot be a field of a credential; null when it can. */
export function textProblem(what: string, text: string, maxBytes: number): string | null {
  if (text.trim() === '' || text !== text.trim()) return `${what} is empty or starts or ends with spaces`;
  if (UNCLEAN_TEXT.test(text)) return `${what} contains control characters`;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) return `${what} is ${bytes} bytes long, at most ${maxBytes}`;
  return null;
}

export function emailProblem(email: string): string | null {
  return textProblem('the email address', email, ACCOUNT_EMAIL_MAX_BYTES) ?? (EMAIL_SHAPE.test(email) ? null : `${JSON.stringify(email)} is not an email address like oscar@example.com`);
}

// ---------------------------------------------------------------------------------------------
// writing

class Writer {
  private readonly parts: Buffer[] = [];
  byte(n: number): this {
    this.parts.push(Buffer.from([n]));
    return this;
  }
  key(identity: string): this {
    const bytes = decodeRemoteIdentity(identity);
    if (bytes === null) throw new Error(`not a public key: ${identity}`);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  seconds(n: number): this {
    const b = Buffer.alloc(NOT_AFTER_BYTES);
    b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(n))));
    this.parts.push(b);
    return this;
  }
  text(what: string, value: string, maxBytes: number): this {
    const problem = textProblem(what, value, maxBytes);
    if (problem) throw new Error(problem);
    const bytes = Buffer.from(value, 'utf8');
    this.parts.push(Buffer.from([bytes.length]), bytes);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function accountBody(c: AccountClaims): Buffer {
  return new Writer()
    .byte(CREDENTIAL_VERSION).byte(KIND_ACCOUNT)
    .key(c.issuer).key(c.accountKey).seconds(c.notAfter)
    .text('the account id', c.accountId, ACCOUNT_ID_MAX_BYTES)
    .text('the name', c.name, ACCOUNT_NAME_MAX_BYTES)
    .text('the email address', c.email, ACCOUNT_EMAIL_MAX_BYTES)
    .done();
}

function deviceBody(c: DeviceClaims): Buffer {
  return new Writer()
    .byte(CREDENTIAL_VERSION).byte(KIND_DEVICE)
    .key(c.accountKey).key(c.device).seconds(c.notAfter)
    .text('the device name', c.deviceName, DEVICE_NAME_MAX_BYTES)
    .done();
}

/** The public key (identity format) of an ed25519 key, private or public: written as a device's identity is. */
export const publicKeyText: (key: KeyObject) => string = identityOfKey;

/** The issuer signs an account credential; its text form. */
export function issueAccountCredential(issuerKey: KeyObject, claims: Omit<AccountClaims, 'issuer'>): string {
  const body = accountBody({ ...claims, issuer: publicKeyText(issuerKey) });
  return Buffer.concat([body, sign(null, Buffer.concat([ACCOUNT_SIGNING_LABEL, body]), issuerKey)]).toString('base64url');
}

/** The account key signs a device credential; its text form. */
export function issueDeviceCredential(accountKey: KeyObject, claims: Omit<DeviceClaims, 'accountKey'>): string {
  const body = deviceBody({ ...claims, accountKey: publicKeyText(accountKey) });
  return Buffer.concat([body, sign(null, Buffer.concat([DEVICE_SIGNING_LABEL, body]), accountKey)]).toString('base64url');
}

// ---------------------------------------------------------------------------------------------
// reading

class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer, private readonly what: string) {}
  private take(n: number): Buffer {
    if (this.at + n > this.bytes.length) throw new CredentialError('truncated', `the ${this.what} is cut short`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  byte(): number {
    return this.take(1)[0] as number;
  }
  key(): string {
    return encodeRemoteIdentity(this.take(KEY_BYTES));
  }
  seconds(): number {
    const n = this.take(NOT_AFTER_BYTES).readBigUInt64BE();
    return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  }
  text(field: string, maxBytes: number): string {
    const length = this.byte();
    if (length > maxBytes) throw new CredentialError('oversize', `${field} in the ${this.what} is ${length} bytes long, at most ${maxBytes}`);
    const raw = this.take(length);
    const text = raw.toString('utf8');
    // Invalid UTF-8 decodes to U+FFFD and does not encode back to the same bytes.
    if (!Buffer.from(text, 'utf8').equals(raw) || textProblem(field, text, maxBytes) !== null) throw new CredentialError('malformed', `${field} in the ${this.what} is not clean text`);
    return text;
  }
  /** The bytes read so far (the signed body) and the signature, which must end the credential. */
  signature(): { body: Buffer; signature: Buffer } {
    const body = this.bytes.subarray(0, this.at);
    const signature = this.take(SIGNATURE_BYTES);
    if (this.at !== this.bytes.length) throw new CredentialError('malformed', `the ${this.what} has ${this.bytes.length - this.at} bytes after its signature`);
    return { body, signature };
  }
}

function bytesOf(text: unknown, what: string): Buffer {
  if (typeof text !== 'string') throw new CredentialError('malformed', `the ${what} is not text`);
  if (text.length > CREDENTIAL_MAX_CHARS) throw new CredentialError('oversize', `the ${what} is ${text.length} characters long, at most ${CREDENTIAL_MAX_CHARS}`);
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new CredentialError('malformed', `the ${what} is not base64url text`);
  return Buffer.from(text, 'base64url');
}

function header(r: Reader, kind: number, what: string): void {
  const version = r.byte();
  if (version !== CREDENTIAL_VERSION) throw new CredentialError('unsupported-version', `the ${what} is of version ${version}; this app reads version ${CREDENTIAL_VERSION}`);
  if (r.byte() !== kind) throw new CredentialError('malformed', `this is not an ${what}`);
}

/** Reads an account credential (no signature checked yet: see verifyAccount). Throws CredentialError. */
export function decodeAccountCredential(text: unknown): Signed<AccountClaims> {
  const what = 'account credential';
  const r = new Reader(bytesOf(text, what), what);
  header(r, KIND_ACCOUNT, what);
  const issuer = r.key();
  const accountKey = r.key();
  const notAfter = r.seconds();
  const claims: AccountClaims = { issuer, accountKey, notAfter, accountId: r.text('the account id', ACCOUNT_ID_MAX_BYTES), name: r.text('the name', ACCOUNT_NAME_MAX_BYTES), email: r.text('the email address', ACCOUNT_EMAIL_MAX_BYTES) };
  return { claims, ...r.signature() };
}

/** Reads a device credential (no signature checked yet). Throws CredentialError. */
export function decodeDeviceCredential(text: unknown): Signed<DeviceClaims> {
  const what = 'device credential';
  const r = new Reader(bytesOf(text, what), what);
  header(r, KIND_DEVICE, what);
  const accountKey = r.key();
  const device = r.key();
  const notAfter = r.seconds();
  const claims: DeviceClaims = { accountKey, device, notAfter, deviceName: r.text('the device name', DEVICE_NAME_MAX_BYTES) };
  return { claims, ...r.signature() };
}

function publicKeyOf(identity: string): KeyObject {
  const bytes = decodeRemoteIdentity(identity);
  if (bytes === null) throw new CredentialError('malformed', 'a key in the credentials is not well-formed');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes).toString('base64url') }, format: 'jwk' });
}

function signatureHolds(label: Buffer, signed: Signed<unknown>, key: string): boolean {
  try {
    return verify(null, Buffer.concat([label, signed.body]), publicKeyOf(key), signed.signature);
  } catch {
    return false;
  }
}

/** What both credentials prove together, before the caller's own checks (trusted issuer, proven identity, dates). */
export interface CheckedCredentials {
  account: AccountClaims;
  device: DeviceClaims;
}

/**
 * Reads both credentials and checks their signatures: the account's by the issuer it names, the
 * device's by that account's key. Which issuers are trusted, whose device it is and the dates are
 * the caller's (they change with time and settings; this does not). Throws CredentialError.
 */
export function checkSignatures(accountText: unknown, deviceText: unknown): CheckedCredentials {
  const account = decodeAccountCredential(accountText);
  const device = decodeDeviceCredential(deviceText);
  if (!signatureHolds(ACCOUNT_SIGNING_LABEL, account, account.claims.issuer)) throw new CredentialError('bad-signature', 'the signature of its account credential does not verify (forged or damaged)');
  if (device.claims.accountKey !== account.claims.accountKey) throw new CredentialError('other-account', 'its device credential was signed by another account');
  if (!signatureHolds(DEVICE_SIGNING_LABEL, device, account.claims.accountKey)) throw new CredentialError('bad-signature', 'the signature of its device credential does not verify (forged or damaged)');
  return { account: account.claims, device: device.claims };
}

/** The date (UTC, yyyy-mm-dd) of a Unix time in seconds, as the CLI and the reasons say it. */
export function day(seconds: number): string {
  return new Date(Math.min(seconds, 8.64e12) * 1000).toISOString().slice(0, 10);
}

/**
 * The checks that depend on who asks and when: a trusted issuer, the device credential made for
 * the identity the TLS handshake proved (copied credentials, a relay in the middle), and both
 * credentials within their dates. Throws CredentialError.
 */
export function checkStanding(checked: CheckedCredentials, provenIdentity: string, trustedIssuers: ReadonlySet<string>, nowMs: number): void {
  const { account, device } = checked;
  if (!trustedIssuers.has(account.issuer)) throw new CredentialError('unknown-issuer', `its account was signed by an issuer this device does not trust (${account.issuer.slice(0, 8)}…)`);
  if (device.device !== provenIdentity) throw new CredentialError('other-device', 'its credentials were made for another device (copied, or relayed by another device)');
  const now = Math.floor(nowMs / 1000);
  if (now > account.notAfter) throw new CredentialError('expired', `its account credential expired on ${day(account.notAfter)}`);
  if (now > device.notAfter) throw new CredentialError('expired', `its device credential expired on ${day(device.notAfter)}`);
}

/** An issuer's or account's private key from PKCS#8 PEM; throws when it is not an ed25519 private key. */
export function privateKeyFromPem(pem: string): KeyObject {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`it holds a ${key.asymmetricKeyType ?? 'unknown'} key, not an ed25519 key`);
  return key;
}

