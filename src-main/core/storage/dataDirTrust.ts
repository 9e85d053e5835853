// Whom the data directory and its files belong to. Nearby believes what it reads there (its
// identity key, its contacts, their secrets, its settings), so nobody but the user may be able to
// write any of it: the directory and each file must be the user's own and writable by nobody else,
// and no file is reached through a symbolic link (one planted there would make Nearby read, or
// chmod, a file elsewhere). Otherwise the node refuses to start, with the fix in one line.
// Windows has no POSIX owner or mode bits (ACLs instead): there only links are refused.

import type { Stats } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';

export const DIR_MODE = 0o700;
/** Group- and world-writable bits: set, someone else can change what Nearby believes. */
const WRITABLE_BY_OTHERS = 0o022;

/** Nearby will not use something in its data directory; the message ends with the fix. */
export class UntrustedDataError extends Error {
  override name = 'UntrustedDataError';
}

/** `path` as a shell word: bare when it is plain, else in single quotes. */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/** The user's id; null where files have no POSIX owner (Windows). */
function currentUid(): number | null {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}

/** What the user must run so that `path` (a directory, or a file) is theirs and theirs alone; null when it is. */
function ownershipFix(path: string, stat: Stats, kind: 'directory' | 'file'): string | null {
  const uid = currentUid();
  if (uid === null) return null;
  const where = shellQuote(path);
  const privateMode = kind === 'directory' ? '700' : '600';
  if (stat.uid !== uid) {
    const why = kind === 'directory' ? 'who could plant files Nearby would believe; make it yours' : 'who may have planted it; if it is yours, take it back';
    // A directory of ours that root made (a `sudo` run) holds root's files too: -R takes them back as well.
    const recursive = kind === 'directory' ? '-R ' : '';
    return `it belongs to another user (uid ${stat.uid}), ${why}: sudo chown ${recursive}${uid} ${where} && chmod ${privateMode} ${where}`;
  }
  if ((stat.mode & WRITABLE_BY_OTHERS) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    return `other users can write to it (mode ${mode}), and could plant files Nearby would believe; fix it with: chmod ${privateMode} ${where}`;
  }
  return null;
}

/**
 * Makes `dir` (0700) and its missing parents. Not `mkdir -p` (Node's recursive mkdir): where the
 * parent exists and still nothing can be made in it (/proc, a read-only place), that loops forever
 * at full CPU instead of failing.
 */
async function makeDirectory(dir: string, notADirectory: () => Error): Promise<void> {
  try {
    await fsp.mkdir(dir, { mode: DIR_MODE });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return; // what it is, is checked next
    if (code === 'ENOTDIR') throw notADirectory();
    if (code !== 'ENOENT') throw err;
  }
  const parent = dirname(dir);
  const parentExists = await fsp.stat(parent).then(
    () => true,
    () => false,
  );
  if (parent === dir || parentExists) {
    throw new UntrustedDataError(`Nearby cannot make its data directory ${dir}: nothing can be created in ${parent}; choose another place with --data-dir`);
  }
  await makeDirectory(parent, notADirectory);
  await makeDirectory(dir, notADirectory);
}

/**
 * Creates the data directory (0700) when missing, then checks that it is a directory of the
 * user's, writable by nobody else. It may itself be a link to such a directory (a data directory
 * kept on another disk): what counts is the directory it leads to.
 */
export async function ensurePrivateDataDir(dir: string): Promise<void> {
  const notADirectory = () => new UntrustedDataError(`Nearby cannot use ${dir} as its data directory: it is not a directory; move it away or choose another data directory`);
  await makeDirectory(dir, notADirectory);
  const stat = await fsp.stat(dir);
  if (!stat.isDirectory()) throw notADirectory();
  const fix = ownershipFix(dir, stat, 'directory');
  if (fix !== null) throw new UntrustedDataError(`Nearby will not use its data directory ${dir}: ${fix}`);
}

/** Throws when an open file of the data directory (its fstat) is not the user's alone. */
export function checkFileOwnership(file: string, stat: Stats): void {
  const fix = ownershipFix(file, stat, 'file');
  if (fix !== null) throw new UntrustedDataError(`Nearby will not open ${file}: ${fix}`);
}

/** The refusal for a file of the data directory that is a symbolic link (not followed). */
export function symbolicLinkError(file: string): UntrustedDataError {
  const where = shellQuote(file);
  return new UntrustedDataError(
    `Nearby will not open ${file}: it is a symbolic link, and Nearby follows none in its data directory (a planted one would make it read or change another file); ` +
      `if you made it, put the file itself there; if not, remove it: rm ${where}`,
  );
}
