// The node's own libraries, kept in `<dataDir>/libraries.json`. Every change is written
// atomically first and announced ('change') after, so listeners (the TXT record's "libraries
// hook") never announce something that is not on disk.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { z } from 'zod';
import { CommandError, LIBRARY_NAME_MAX_CHARS } from '../../src-shared/contract.js';
import { toDisplayText } from '../../src-shared/displayText.js';
import type { Library } from '../../src-shared/peer.js';
import { readJsonFile, writeJsonFileAtomic } from './jsonFile.js';

export const LIBRARIES_FILE = 'libraries.json';
export const LIBRARIES_MAX = 1000;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const librarySchema = z.object({
  uuid: z.string().regex(UUID_PATTERN, 'not a UUID').transform((s) => s.toLowerCase()),
  name: z
    .string()
    .transform((s) => toDisplayText(s, 10_000))
    .pipe(z.string().min(1, 'a library name cannot be empty').max(LIBRARY_NAME_MAX_CHARS)),
  active: z.boolean(),
  createdAt: z.iso.datetime({ offset: true }),
});

export const librariesFileSchema = z
  .object({
    version: z.literal(1),
    libraries: z.array(librarySchema).max(LIBRARIES_MAX, `at most ${LIBRARIES_MAX} libraries`),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.libraries.forEach((lib, index) => {
      if (seen.has(lib.uuid)) ctx.addIssue({ code: 'custom', path: ['libraries', index, 'uuid'], message: `duplicate library id ${lib.uuid}` });
      seen.add(lib.uuid);
    });
  });

export type LibrariesFile = z.output<typeof librariesFileSchema>;

/** A library name made safe and checked: trimmed, no control or bidi characters, 1..64 characters. */
export function validateLibraryName(raw: unknown): string {
  if (typeof raw !== 'string') throw new CommandError('invalid-payload', 'a library name must be text');
  const name = toDisplayText(raw, 10_000);
  if (name.length === 0) throw new CommandError('invalid-payload', 'a library name cannot be empty');
  if (name.length > LIBRARY_NAME_MAX_CHARS) {
    throw new CommandError('invalid-payload', `a library name is at most ${LIBRARY_NAME_MAX_CHARS} characters`);
  }
  return name;
}

function copy(lib: Library): Library {
  return { ...lib };
}

export interface LibraryStoreEvents {
  change: [libraries: Library[]];
}

export class LibraryStore extends EventEmitter<LibraryStoreEvents> {
  /** One sentence for the user when the libraries file was bad and set aside; null otherwise. */
  readonly problem: string | null;
  readonly file: string;
  private libraries: Library[];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(file: string, libraries: Library[], problem: string | null) {
    super();
    this.file = file;
    this.libraries = libraries;
    this.problem = problem;
  }

  static async load(dataDir: string): Promise<LibraryStore> {
    const file = path.join(dataDir, LIBRARIES_FILE);
    const { value, problem } = await readJsonFile(file, librariesFileSchema, () => ({ version: 1 as const, libraries: [] }), LIBRARIES_FILE);
    return new LibraryStore(file, value.libraries, problem);
  }

  /** All libraries, in creation order (copies). */
  list(): Library[] {
    return this.libraries.map(copy);
  }

  /** The active libraries: those advertised in the TXT record. */
  active(): Library[] {
    return this.libraries.filter((l) => l.active).map(copy);
  }

  get(uuid: string): Library | undefined {
    const lib = this.find(uuid);
    return lib ? copy(lib) : undefined;
  }

  create(name: string): Promise<Library> {
    return this.mutate((libs) => {
      const clean = validateLibraryName(name);
      if (libs.length >= LIBRARIES_MAX) {
        throw new CommandError('refused', `there are already ${LIBRARIES_MAX} libraries; delete one before creating another`);
      }
      let uuid = randomUUID();
      while (libs.some((l) => l.uuid === uuid)) uuid = randomUUID();
      const lib: Library = { uuid, name: clean, active: true, createdAt: new Date().toISOString() };
      return { next: [...libs, lib], result: lib };
    });
  }

  rename(uuid: string, name: string): Promise<Library> {
    return this.mutate((libs) => {
      const index = this.indexOf(libs, uuid);
      const clean = validateLibraryName(name);
      return this.replace(libs, index, { name: clean });
    });
  }

  activate(uuid: string): Promise<Library> {
    return this.mutate((libs) => this.replace(libs, this.indexOf(libs, uuid), { active: true }));
  }

  deactivate(uuid: string): Promise<Library> {
    return this.mutate((libs) => this.replace(libs, this.indexOf(libs, uuid), { active: false }));
  }

  /** Removes the library; resolves to the removed one. */
  delete(uuid: string): Promise<Library> {
    return this.mutate((libs) => {
      const index = this.indexOf(libs, uuid);
      const removed = libs[index] as Library;
      return { next: libs.filter((_, i) => i !== index), result: removed };
    });
  }

  private find(uuid: string): Library | undefined {
    const key = typeof uuid === 'string' ? uuid.toLowerCase() : '';
    return this.libraries.find((l) => l.uuid === key);
  }

  private indexOf(libs: Library[], uuid: string): number {
    const key = typeof uuid === 'string' ? uuid.toLowerCase() : '';
    const index = libs.findIndex((l) => l.uuid === key);
    if (index < 0) throw new CommandError('not-found', `no library with id ${toDisplayText(String(uuid), 64)}`);
    return index;
  }

  /** A change to one library; `next` is null when nothing changes (then nothing is written or emitted). */
  private replace(libs: Library[], index: number, change: Partial<Library>): { next: Library[] | null; result: Library } {
    const current = libs[index] as Library;
    const updated = { ...current, ...change };
    if (updated.name === current.name && updated.active === current.active) return { next: null, result: current };
    return { next: libs.map((l, i) => (i === index ? updated : l)), result: updated };
  }

  /** Runs one change at a time: compute, write, commit in memory, then emit 'change'. */
  private mutate(change: (libs: Library[]) => { next: Library[] | null; result: Library }): Promise<Library> {
    const run = this.queue.then(async () => {
      const { next, result } = change(this.libraries);
      if (next === null) return copy(result);
      const file: LibrariesFile = { version: 1, libraries: next };
      await writeJsonFileAtomic(this.file, file);
      this.libraries = next;
      this.emit('change', this.list());
      return copy(result);
    });
    this.queue = run.catch(() => {});
    return run;
  }
}
