// The API's credential on this machine (issue 11): any user of the machine, and any process that
// shares its network namespace, can reach 127.0.0.1, so loopback proves nothing. The token lives
// in the data directory, in a file only its owner can read (0600), made at the first start and
// kept: the web UI's address and the owner's scripts keep working across restarts, and whoever
// can read the file is the owner (or root, who can read anything anyway).

import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const API_TOKEN_FILE = 'api-token';
/** 256 bits of randomness, as 43 base64url characters. */
const API_TOKEN_BYTES = 32;
const STORED_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43,}$/;
/** Mode bits that let anyone but the owner at the file. */
const OTHERS_MODE_BITS = 0o077;

export function apiTokenPath(dataDir: string): string {
  return join(dataDir, API_TOKEN_FILE);
}

/** The stored token, or null when there is none that only this user could have read or written. */
function readOwnToken(file: string): string | null {
  let fd: number;
  try {
    // Never through a symlink: a link planted in the data directory would point us elsewhere.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK); // nor a planted FIFO that would hang the start
  } catch {
    return null; // missing, a symlink (ELOOP), unreadable: made anew
  }
  try {
    const st = fstatSync(fd);
    const ownUid = process.getuid?.();
    if (!st.isFile() || (ownUid !== undefined && st.uid !== ownUid) || (process.platform !== 'win32' && (st.mode & OTHERS_MODE_BITS) !== 0)) return null;
    const token = readFileSync(fd, 'utf8').trim();
    return STORED_TOKEN_PATTERN.test(token) ? token : null;
  } finally {
    closeSync(fd);
  }
}

/**
 * The API token of the node whose data is in `dataDir`: the stored one, else a new one written
 * there (0600, atomically). A token file someone else could have read or planted (another owner,
 * group or world bits, a symlink, not a token) is replaced.
 */
export function loadOrCreateApiToken(dataDir: string): string {
  const file = apiTokenPath(dataDir);
  const stored = readOwnToken(file);
  if (stored !== null) return stored;
  const token = randomBytes(API_TOKEN_BYTES).toString('base64url');
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // 'wx' is O_CREAT|O_EXCL: never opens what is there already, a symlink included.
    writeFileSync(temp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file); // replaces a symlink itself, never its target
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
    throw new Error(`cannot write the API token to ${file}: ${(err as Error).message}; check that the data directory belongs to you and is writable`, { cause: err });
  }
  return token;
}
