// The node's identity (DESIGN §1): an ed25519 key pair kept in `<dataDir>/identity.key` (PKCS#8
// PEM, mode 0600); its public key, as a remote identity, names our DNS-SD instance.

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { encodeRemoteIdentity } from '../../../src-shared/identity.js';
import { DIR_MODE } from './dataDirTrust.js';
import { cleanStaleTempFiles, readSmallFile, setAside, writeFileAtomic } from './jsonFile.js';

export const IDENTITY_KEY_FILE = 'identity.key';
/** A PKCS#8 PEM ed25519 key is about 120 bytes; anything far larger is not ours. */
const KEY_FILE_MAX_BYTES = 16 * 1024;

export interface LoadedIdentity {
  /** The remote identity: the raw 32-byte public key, base64 without padding. */
  identity: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** True when a new key was made (first start, or the old file was bad). */
  created: boolean;
  /** One sentence for the user when the old key file was bad and the identity changed. */
  problem: string | null;
}

/** The remote identity of an ed25519 public (or private) key. */
export function identityOfKey(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('an identity key is an ed25519 key');
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('ed25519 public key without x');
  return encodeRemoteIdentity(Buffer.from(jwk.x, 'base64url'));
}

type ReadOutcome = { missing: true } | { key: KeyObject } | { reason: string };

async function readKeyFile(file: string): Promise<ReadOutcome> {
  // Never leave the private key readable by others.
  const read = await readSmallFile(file, { maxBytes: KEY_FILE_MAX_BYTES, tooLarge: 'it is too large to be a key', ownerOnly: true });
  if (!('bytes' in read)) return read;
  const pem = read.bytes.toString('utf8');
  if (pem.trim() === '') return { reason: 'it is empty' };
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return { reason: 'it is not a PEM private key' };
  }
  if (key.asymmetricKeyType !== 'ed25519') return { reason: `it holds a ${key.asymmetricKeyType ?? 'unknown'} key, not an ed25519 key` };
  return { key };
}

/**
 * Loads the node's key from `<dataDir>/identity.key`, or creates it on first start. A bad key
 * file is moved aside (`identity.key.corrupt-<timestamp>`) and a new key made; `problem` then says
 * that the identity changed and where the old file is.
 */
export async function loadOrCreateIdentity(dataDir: string): Promise<LoadedIdentity> {
  await fsp.mkdir(dataDir, { recursive: true, mode: DIR_MODE });
  const file = path.join(dataDir, IDENTITY_KEY_FILE);
  await cleanStaleTempFiles(file);
  const outcome = await readKeyFile(file);
  if ('key' in outcome) {
    const publicKey = createPublicKey(outcome.key);
    return { identity: identityOfKey(publicKey), privateKey: outcome.key, publicKey, created: false, problem: null };
  }

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const identity = identityOfKey(publicKey);
  let problem: string | null = null;
  if ('reason' in outcome) {
    problem = await setAside(
      file,
      IDENTITY_KEY_FILE,
      outcome.reason,
      `a new identity was created (${identity}), so other devices see this one as a new device and pairings must be made again`,
    );
  }
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  await writeFileAtomic(file, typeof pem === 'string' ? pem : pem.toString('utf8'));
  return { identity, privateKey, publicKey, created: true, problem };
}
