// Small state files (settings, libraries, keys) written so that a crash or power cut leaves either
// the old or the new content, never a mix; read so that a bad file never stops the node: it is set
// aside (never deleted), the defaults are used, and the user is told in one sentence. A file that
// someone else could have written (dataDirTrust.ts) is neither read nor set aside: the node refuses.

import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { SerialQueue } from '../../../src-shared/serialQueue.js';
import { DIR_MODE, UntrustedDataError, checkFileOwnership, symbolicLinkError } from './dataDirTrust.js';

/** Files larger than this are not read (they are not ours, or something went badly wrong). */
export const JSON_FILE_MAX_BYTES = 1024 * 1024;
export const FILE_MODE = 0o600;
/**
 * How a state file is opened for reading: never through a symbolic link (O_NOFOLLOW: the link
 * itself fails with ELOOP), and without waiting for a writer should a FIFO sit in its place
 * (O_NONBLOCK; no effect on a regular file). Windows has neither flag.
 */
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

const isWindows = process.platform === 'win32';

/** Writes in flight per absolute path; each write waits for the previous one on the same path. */
const writeQueues = new Map<string, SerialQueue>();

/** `.name.<pid>-<random>.tmp` in the target's directory. */
function tempPathFor(file: string): string {
  const dir = path.dirname(file);
  return path.join(dir, `.${path.basename(file)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

function tempPattern(base: string): RegExp {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${escaped}\\.(\\d+)-[0-9a-f]+\\.tmp$`);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

async function fsyncDirectory(dir: string): Promise<void> {
  if (isWindows) return; // directories cannot be opened for fsync there; rename is durable enough
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeNow(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
  const temp = tempPathFor(file);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(temp, 'wx', FILE_MODE);
    await handle.writeFile(data);
    if (!isWindows) await handle.chmod(FILE_MODE); // the umask may have narrowed it; never widened
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(temp, file);
  } catch (error) {
    if (handle) await handle.close().catch(() => {});
    await fsp.rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  await fsyncDirectory(dir);
}

/**
 * Writes `data` to `file` atomically: a unique temp file in the same directory, fsync, rename over
 * the target, fsync the directory. Mode 0600; the directory is created (0700) when missing. Writes
 * to the same path are serialised, in call order.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const key = path.resolve(file);
  const queue = writeQueueFor(key);
  const written = queue.run(() => writeNow(key, data));
  // Forgotten once it runs dry: cleanStaleTempFiles then knows no write of ours is in flight.
  void queue.idle().then(() => {
    if (queue.size === 0 && writeQueues.get(key) === queue) writeQueues.delete(key);
  });
  return written;
}

function writeQueueFor(key: string): SerialQueue {
  let queue = writeQueues.get(key);
  if (queue === undefined) {
    queue = new SerialQueue();
    writeQueues.set(key, queue);
  }
  return queue;
}

/**
 * Writes `value` as JSON (2-space indented, trailing newline) with writeFileAtomic. The value is
 * serialised at call time, so later changes to it do not affect a queued write.
 */
export function writeJsonFileAtomic(file: string, value: unknown): Promise<void> {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (error) {
    return Promise.reject(new Error(`cannot write ${path.basename(file)}: ${errorText(error)}`));
  }
  if (text === undefined) return Promise.reject(new Error(`cannot write ${path.basename(file)}: the value is not JSON`));
  return writeFileAtomic(file, text + '\n');
}

/** `<file>.corrupt-<ISO time without colons>`, with `-N` added when that name is taken. */
async function corruptPathFor(file: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/:/g, '');
  const base = `${file}.corrupt-${stamp}`;
  for (let n = 0; n < 1000; n++) {
    const candidate = n === 0 ? base : `${base}-${n}`;
    try {
      await fsp.lstat(candidate);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return candidate;
      throw error;
    }
  }
  throw new Error(`too many set-aside copies of ${file}`);
}

/**
 * Moves a bad file aside to `<file>.corrupt-<timestamp>` (never deletes it).
 * Returns the new path, or throws when it cannot be moved.
 */
export async function moveAside(file: string): Promise<string> {
  const target = await corruptPathFor(file);
  await fsp.rename(file, target);
  return target;
}

/**
 * Removes temp files a crashed write left next to `file`: those of processes that no longer run,
 * and our own when no write to `file` is in flight. Never throws.
 */
export async function cleanStaleTempFiles(file: string): Promise<string[]> {
  const key = path.resolve(file);
  const dir = path.dirname(key);
  const pattern = tempPattern(path.basename(key));
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    const stale = pid === process.pid ? !writeQueues.has(key) : !processIsAlive(pid);
    if (!stale) continue;
    try {
      await fsp.rm(path.join(dir, name), { force: true });
      removed.push(path.join(dir, name));
    } catch {
      // left for next time
    }
  }
  return removed;
}

function processIsAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM'; // exists, owned by someone else
  }
}

/** Why a JSON text does not parse, in a few words. */
function describeJsonError(error: unknown): string {
  const message = errorText(error);
  const position = /at position (\d+)/.exec(message);
  if (position) return `invalid JSON at position ${position[1]}`;
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return `invalid JSON at line ${lineColumn[1]} column ${lineColumn[2]}`;
  if (/end of JSON input/i.test(message)) return 'invalid JSON: it ends too early, probably a partial write';
  return 'invalid JSON';
}

function describeSchemaError(error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the top level';
    return `${where}: ${issue.message}`;
  });
  if (error.issues.length > 3) parts.push(`and ${error.issues.length - 3} more`);
  const text = parts.join('; ');
  return `unexpected content: ${text.length > 200 ? text.slice(0, 199) + '…' : text}`;
}

export interface SmallFileOptions {
  maxBytes: number;
  /** Why a larger file is not read, e.g. "it is too large to be a key"; by default the limit in words. */
  tooLarge?: string;
  /** Narrow the file to 0600 first when others may read it (a private key). */
  ownerOnly?: boolean;
}

export type SmallFileOutcome = { bytes: Buffer } | { missing: true } | { reason: string };

/**
 * The bytes of a small state file; `missing` when there is none; else the reason it cannot be used.
 * Throws UntrustedDataError (the node refuses to start) when the file is a symbolic link, belongs
 * to another user or others can write to it: its content may be someone else's.
 */
export async function readSmallFile(file: string, options: SmallFileOptions): Promise<SmallFileOutcome> {
  const { maxBytes } = options;
  const tooLarge = options.tooLarge ?? `it is larger than ${formatBytes(maxBytes)}`;
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, READ_FLAGS);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { missing: true };
    // O_NOFOLLOW on a link: ELOOP (Linux, macOS), EMLINK (FreeBSD).
    if ((errorCode(error) === 'ELOOP' || errorCode(error) === 'EMLINK') && (await isSymbolicLink(file))) throw symbolicLinkError(file);
    return { reason: `it is not readable: ${errorCode(error) ?? errorText(error)}` };
  }
  try {
    const stat = await handle.stat();
    if (!isWindows) checkFileOwnership(file, stat);
    if (!stat.isFile()) return { reason: 'it is not a regular file' };
    if (stat.size > maxBytes) return { reason: `${tooLarge} (${stat.size} bytes)` };
    // Through the open handle (fchmod): the file checked above, never what a path leads to now.
    if (options.ownerOnly && !isWindows && (stat.mode & 0o077) !== 0) await handle.chmod(FILE_MODE);
    // Read at most one byte more than allowed, in case it grows meanwhile.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { reason: tooLarge };
    }
    return { bytes: buffer.subarray(0, length) };
  } catch (error) {
    if (error instanceof UntrustedDataError) throw error;
    return { reason: `it is not readable: ${errorCode(error) ?? errorText(error)}` };
  } finally {
    await handle.close().catch(() => {});
  }
}

async function isSymbolicLink(file: string): Promise<boolean> {
  try {
    return (await fsp.lstat(file)).isSymbolicLink();
  } catch {
    return false;
  }
}

function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

export interface ReadResult<T> {
  value: T;
  /** One sentence for the user when the file was bad and set aside; null otherwise. */
  problem: string | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reads a JSON file and validates it with `schema`. A missing file gives `defaults()` and no
 * problem. A file that is too large, unreadable, not UTF-8, not JSON or not matching the schema is
 * moved aside to `<file>.corrupt-<timestamp>` and `defaults()` is returned with `problem` saying
 * what happened, in words for the user. `label` names the file in that sentence.
 */
export async function readJsonFile<T>(
  file: string,
  schema: z.ZodType<T>,
  defaults: () => T,
  label: string,
  options: { maxBytes?: number } = {},
): Promise<ReadResult<T>> {
  const key = path.resolve(file);
  await writeQueues.get(key)?.idle(); // never read a file this process is replacing
  await cleanStaleTempFiles(key);
  const read = await readSmallFile(key, { maxBytes: options.maxBytes ?? JSON_FILE_MAX_BYTES });
  if ('missing' in read) return { value: defaults(), problem: null };

  let reason: string;
  if ('reason' in read) {
    reason = read.reason;
  } else {
    const outcome = parseBytes(read.bytes, schema);
    if (outcome.ok) return { value: outcome.value, problem: null };
    reason = outcome.reason;
  }
  return { value: defaults(), problem: await setAside(key, label, reason, 'started with defaults') };
}

function parseBytes<T>(bytes: Buffer, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reason: string } {
  let text: string;
  try {
    text = utf8.decode(bytes); // a leading BOM is dropped
  } catch {
    return { ok: false, reason: 'it is not valid UTF-8 text' };
  }
  if (text.trim() === '') return { ok: false, reason: 'it is empty, probably a partial write' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: describeJsonError(error) };
  }
  const result = schema.safeParse(json);
  if (!result.success) return { ok: false, reason: describeSchemaError(result.error) };
  return { ok: true, value: result.data };
}

/**
 * Moves `file` aside and returns the sentence telling the user about it:
 * `<label> could not be read (<reason>); <consequence>; the old file is kept as <path>`.
 */
export async function setAside(file: string, label: string, reason: string, consequence: string): Promise<string> {
  try {
    const kept = await moveAside(file);
    return `${label} could not be read (${reason}); ${consequence}; the old file is kept as ${kept}`;
  } catch (error) {
    return `${label} could not be read (${reason}); ${consequence}; the old file could not be moved aside ` +
      `(${errorCode(error) ?? errorText(error)}) and is still at ${file}, where the next save replaces it`;
  }
}
