// Where account keys and credentials are kept (issue 14), each file 0600, written atomically
// (storage/jsonFile.ts), read without following links and only when it is the user's own:
//
// - an issuer's folder: `issuer.key`, its ed25519 private key (PKCS#8 PEM);
// - an account file (`account issue --out FILE`): the account credential and the account's
//   private key, which signs the account's devices;
// - a node's data directory: `account-credentials.json`, the account and device credentials it
//   presents (never the account's private key).
//
// Errors are one sentence that says what to do.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DIR_MODE } from '../storage/dataDirTrust.js';
import { readSmallFile, writeFileAtomic, writeJsonFileAtomic } from '../storage/jsonFile.js';
import { CREDENTIAL_MAX_CHARS, decodeAccountCredential, decodeDeviceCredential, privateKeyFromPem, publicKeyText, CredentialError } from './credentials.js';
import type { AccountPresentation } from './accountTrust.js';

export const ISSUER_KEY_FILE = 'issuer.key';
export const DEVICE_CREDENTIALS_FILE = 'account-credentials.json';
const ACCOUNT_FILE_FORMAT = 'sd-nearby account v1';
/** A key, or a JSON file of two credentials and a key, is a few kilobytes at most. */
const ACCOUNT_FILES_MAX_BYTES = 16 * 1024;

/** A problem with an account file or folder, in one sentence a person can act on. */
export class AccountFileError extends Error {
  override name = 'AccountFileError';
}

function pemOf(key: KeyObject): string {
  const pem = key.export({ format: 'pem', type: 'pkcs8' });
  return typeof pem === 'string' ? pem : pem.toString('utf8');
}

/** Writes through `write`, turning a failure into one sentence about `file` (not the temp file beside it). */
async function writing(file: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new AccountFileError(`cannot write ${file} (${code}); choose a folder that exists and that you own`);
  }
}

async function readOwnFile(file: string, what: string, fix: string): Promise<string> {
  const read = await readSmallFile(file, { maxBytes: ACCOUNT_FILES_MAX_BYTES, tooLarge: `it is too large to be ${what}`, ownerOnly: true });
  if ('missing' in read) throw new AccountFileError(`${file} does not exist; ${fix}`);
  if ('reason' in read) throw new AccountFileError(`${file} cannot be used as ${what}: ${read.reason}`);
  return read.bytes.toString('utf8');
}

/** Makes a new issuer key in `dir` (created 0700 if missing); returns its public key. Refuses to replace one. */
export async function createIssuer(dir: string): Promise<string> {
  const file = path.join(dir, ISSUER_KEY_FILE);
  await writing(dir, () => fsp.mkdir(dir, { recursive: true, mode: DIR_MODE }).then(() => undefined));
  const exists = await fsp.lstat(file).then(() => true, () => false);
  if (exists) throw new AccountFileError(`${file} already exists: its accounts would no longer verify if it were replaced; use another folder`);
  const { privateKey } = generateKeyPairSync('ed25519');
  await writing(file, () => writeFileAtomic(file, pemOf(privateKey)));
  return publicKeyText(privateKey);
}

export async function loadIssuerKey(dir: string): Promise<KeyObject> {
  const file = path.join(dir, ISSUER_KEY_FILE);
  const pem = await readOwnFile(file, 'an issuer key', `make an issuer with sd-nearby account create-issuer ${dir}`);
  try {
    return privateKeyFromPem(pem);
  } catch (err) {
    throw new AccountFileError(`${file} is not an issuer key: ${(err as Error).message}`);
  }
}

const accountFileSchema = z.object({ format: z.literal(ACCOUNT_FILE_FORMAT), credential: z.string().max(CREDENTIAL_MAX_CHARS), accountKey: z.string().max(4096) }).strict();

export interface AccountFile {
  credential: string;
  accountKey: KeyObject;
}

export async function writeAccountFile(file: string, account: AccountFile): Promise<void> {
  await writing(file, () => writeJsonFileAtomic(file, { format: ACCOUNT_FILE_FORMAT, credential: account.credential, accountKey: pemOf(account.accountKey) }));
}

export async function readAccountFile(file: string): Promise<AccountFile> {
  const text = await readOwnFile(file, 'an account file', 'make one with sd-nearby account issue --issuer DIR --name NAME --email EMAIL --out FILE');
  const notOurs = `${file} is not an account file made by sd-nearby account issue`;
  let parsed;
  try {
    parsed = accountFileSchema.safeParse(JSON.parse(text));
  } catch {
    throw new AccountFileError(notOurs);
  }
  if (!parsed.success) throw new AccountFileError(notOurs);
  let accountKey: KeyObject;
  try {
    decodeAccountCredential(parsed.data.credential);
    accountKey = privateKeyFromPem(parsed.data.accountKey);
  } catch (err) {
    throw new AccountFileError(`${notOurs} (${(err as Error).message})`);
  }
  if (publicKeyText(accountKey) !== decodeAccountCredential(parsed.data.credential).claims.accountKey) throw new AccountFileError(`${file}: its key is not the key of its account credential; issue the account again`);
  return { credential: parsed.data.credential, accountKey };
}

const deviceCredentialsSchema = z.object({ version: z.literal(1), account: z.string().max(CREDENTIAL_MAX_CHARS), device: z.string().max(CREDENTIAL_MAX_CHARS) }).strict();

export async function writeDeviceCredentials(dataDir: string, presentation: AccountPresentation): Promise<string> {
  const file = path.join(dataDir, DEVICE_CREDENTIALS_FILE);
  await writing(file, () => writeJsonFileAtomic(file, { version: 1, ...presentation }));
  return file;
}

/**
 * The credentials a node presents, from its data directory: none when there are none; a file that
 * cannot be read gives none and a sentence for the node's warnings (the node runs on without an
 * account; nothing is deleted).
 */
export async function loadDeviceCredentials(dataDir: string): Promise<{ presentation: AccountPresentation | null; problem: string | null }> {
  const file = path.join(dataDir, DEVICE_CREDENTIALS_FILE);
  const read = await readSmallFile(file, { maxBytes: ACCOUNT_FILES_MAX_BYTES });
  if ('missing' in read) return { presentation: null, problem: null };
  const unusable = (why: string) => ({ presentation: null, problem: `${file} cannot be used (${why}); this device shows no account. Add it again with sd-nearby account add-device.` });
  if ('reason' in read) return unusable(read.reason);
  let parsed;
  try {
    parsed = deviceCredentialsSchema.safeParse(JSON.parse(read.bytes.toString('utf8')));
  } catch {
    return unusable('it is not JSON');
  }
  if (!parsed.success) return unusable('it does not hold two credentials');
  try {
    decodeAccountCredential(parsed.data.account);
    decodeDeviceCredential(parsed.data.device);
  } catch (err) {
    if (err instanceof CredentialError) return unusable(err.message);
    throw err;
  }
  return { presentation: { account: parsed.data.account, device: parsed.data.device }, problem: null };
}
