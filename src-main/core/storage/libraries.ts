// The node's own libraries, kept in `<dataDir>/libraries.json`. Every change is written
// atomically first and announced ('change') after, so listeners (the TXT record's "libraries
// hook") never announce something that is not on disk.

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CommandError, LIBRARY_NAME_MAX_CHARS } from '../../../src-shared/contract.js';
import { toDisplayText } from '../../../src-shared/displayText.js';
import type { Library } from '../../../src-shared/peer.js';
import { JsonListStore, listFileSchema, loadJsonFile, type ListStoreEvents } from './jsonStore.js';

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

export const librariesFileSchema = listFileSchema('libraries', librarySchema, {
  max: LIBRARIES_MAX,
  tooMany: `at most ${LIBRARIES_MAX} libraries`,
  uniqueField: 'uuid',
  duplicate: (uuid) => `duplicate library id ${uuid}`,
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

export type LibraryStoreEvents = ListStoreEvents<Library>;

/** The libraries, in creation order. */
export class LibraryStore extends JsonListStore<'libraries', Library> {
  static async load(dataDir: string): Promise<LibraryStore> {
    const loaded = await loadJsonFile(dataDir, { fileName: LIBRARIES_FILE, schema: librariesFileSchema, defaults: () => ({ version: 1 as const, libraries: [] }) });
    return new LibraryStore(loaded, 'libraries');
  }

  /** The active libraries: those advertised in the TXT record. */
  active(): Library[] {
    return this.list().filter((l) => l.active);
  }

  get(uuid: string): Library | undefined {
    const lib = this.items[indexOf(this.items, uuid)];
    return lib ? { ...lib } : undefined;
  }

  create(name: string): Promise<Library> {
    return this.changeList((libs) => {
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
    return this.changeList((libs) => {
      const index = existingIndexOf(libs, uuid);
      const clean = validateLibraryName(name);
      return replace(libs, index, { name: clean });
    });
  }

  activate(uuid: string): Promise<Library> {
    return this.changeList((libs) => replace(libs, existingIndexOf(libs, uuid), { active: true }));
  }

  deactivate(uuid: string): Promise<Library> {
    return this.changeList((libs) => replace(libs, existingIndexOf(libs, uuid), { active: false }));
  }

  /** Removes the library; resolves to the removed one. */
  delete(uuid: string): Promise<Library> {
    return this.changeList((libs) => {
      const index = existingIndexOf(libs, uuid);
      const removed = libs[index] as Library;
      return { next: libs.filter((_, i) => i !== index), result: removed };
    });
  }
}

/** Where the library `uuid` (any case) is in `libs`; -1 when it is not. */
function indexOf(libs: readonly Library[], uuid: string): number {
  const key = typeof uuid === 'string' ? uuid.toLowerCase() : '';
  return libs.findIndex((l) => l.uuid === key);
}

function existingIndexOf(libs: readonly Library[], uuid: string): number {
  const index = indexOf(libs, uuid);
  if (index < 0) throw new CommandError('not-found', `no library with id ${toDisplayText(String(uuid), 64)}`);
  return index;
}

/** A change to one library; the same list when it changes nothing (then nothing is written or emitted). */
function replace(libs: Library[], index: number, change: Partial<Library>): { next: Library[]; result: Library } {
  const current = libs[index] as Library;
  const updated = { ...current, ...change };
  if (updated.name === current.name && updated.active === current.active) return { next: libs, result: current };
  return { next: libs.map((l, i) => (i === index ? updated : l)), result: updated };
}
