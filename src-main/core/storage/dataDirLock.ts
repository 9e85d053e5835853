// One node per data directory (issue 12): two nodes on one directory would announce one identity
// twice, and the others would hear two of it. The node holds `node.lock` (its pid) while it runs;
// a second one finds it and stops at once, naming the first. A lock whose process is gone (a
// crash, SIGKILL) is taken over.

import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UntrustedDataError } from './dataDirTrust.js';

export const DATA_DIR_LOCK_FILE = 'node.lock';

/** Directories a node of this process holds now (a lock file with our own pid is ours only if listed here). */
const heldHere = new Set<string>();

/** The pid in a lock file, or null when there is none that can be read. */
function lockHolder(file: string): number | null {
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const pid = Number.parseInt(readFileSync(fd, 'utf8').trim(), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the data directory for this node, or throws a one-line error naming the node that has it. */
export function lockDataDir(dir: string): DataDirLock {
  const file = join(dir, DATA_DIR_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldHere.add(dir);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          heldHere.delete(dir);
          if (lockHolder(file) === process.pid) unlinkSync(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder(file);
    const ours = holder === process.pid;
    if (holder !== null && ((ours && heldHere.has(dir)) || (!ours && isRunning(holder)))) {
      throw new UntrustedDataError(`another Nearby node (pid ${holder}) already runs on the data directory ${dir}: stop it first, or give this one its own with --data-dir`);
    }
    // Left by a node that is gone: taken over.
    try {
      unlinkSync(file);
    } catch {
      // removed meanwhile
    }
  }
  throw new UntrustedDataError(`cannot take the data directory ${dir} (${DATA_DIR_LOCK_FILE} keeps coming back): is another node starting on it?`);
}
