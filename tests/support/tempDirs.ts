// A temporary folder per test file (removed after it), and a fresh empty folder per test.

import { after, before } from 'node:test';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Registers the file's before/after hooks; returns the function that makes a fresh folder. */
export function useTempDirs(tag: string): () => Promise<string> {
  let root = '';
  let counter = 0;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), `sd-nearby-${tag}-`));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return async () => {
    const dir = join(root, `t${++counter}`);
    await mkdir(dir);
    return dir;
  };
}
