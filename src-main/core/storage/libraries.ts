// The node's own libraries, kept in `<dataDir>/libraries.json`. Every change is written
// atomically first and announced ('change') after, so listeners (the TXT record's "libraries
// hook") never announce something that is not on disk. Each library also keeps who else is in
// it (issue 13): its members, those that left (so that a member who has not heard yet cannot
// bring them back), the invitations we sent, and the one we joined with.

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CommandError, DEVICE_NAME_MAX_CHARS, LIBRARY_NAME_MAX_CHARS } from '../../../src-shared/contract.js';
import { toDisplayText } from '../../../src-shared/displayText.js';
import { isRemoteIdentity } from '../../../src-shared/identity.js';
import type { Library, LibraryInvitationSent, LibraryMember } from '../../../src-shared/peer.js';
import { JsonListStore, listFileSchema, loadJsonFile, type ListStoreEvents } from './jsonStore.js';
import { mergeMembership, type Departure, type Membership } from '../libraries/membership.js';

export const LIBRARIES_FILE = 'libraries.json';
export const LIBRARIES_MAX = 1000;
/** Devices in one library besides this one: a person's laptop, desktop, NAS and phones, with room to spare. */
export const LIBRARY_MEMBERS_MAX = 32;
/** Departures remembered per library (the newest). */
export const LIBRARY_DEPARTED_MAX = 32;
/** Invitations waiting for an answer per library (the newest). */
export const LIBRARY_INVITED_MAX = 32;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const INVITE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

const identity = z.string().refine(isRemoteIdentity, 'not a device identity');
const timestamp = z.iso.datetime({ offset: true });
/** A device's name as we keep it: cleaned for display, at most a device name's length, never empty. */
export const memberName = z
  .string()
  .max(1000)
  .transform((s) => toDisplayText(s, DEVICE_NAME_MAX_CHARS) || 'Unnamed device');
export const memberSchema = z.object({ identity, name: memberName, since: timestamp });
export const departureSchema = z.object({ identity, at: timestamp });
const invitedSchema = z.object({ id: z.string().regex(INVITE_ID_PATTERN), identity, name: memberName, at: timestamp });

const librarySchema = z.object({
  uuid: z.string().regex(UUID_PATTERN, 'not a UUID').transform((s) => s.toLowerCase()),
  name: z
    .string()
    .transform((s) => toDisplayText(s, 10_000))
    .pipe(z.string().min(1, 'a library name cannot be empty').max(LIBRARY_NAME_MAX_CHARS)),
  active: z.boolean(),
  createdAt: timestamp,
  members: z.array(memberSchema).max(LIBRARY_MEMBERS_MAX).default([]),
  departed: z.array(departureSchema).max(LIBRARY_DEPARTED_MAX).default([]),
  invited: z.array(invitedSchema).max(LIBRARY_INVITED_MAX).default([]),
  /** When the library was last renamed (here or by a member): the latest rename wins among members. */
  renamedAt: timestamp.optional(),
  /** The invitation we joined with, until its sender lists us (then it knows, and this goes). */
  joinedWith: z.object({ inviteId: z.string().regex(INVITE_ID_PATTERN), from: identity }).optional(),
});

/** A library as kept on disk; `Library` (the state's) is its public part. */
export type LibraryRecord = z.output<typeof librarySchema>;
export type InvitationSent = LibraryRecord['invited'][number];

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

export type LibraryStoreEvents = ListStoreEvents<LibraryRecord>;

/** What the state shows of a library: no departures, no invitation ids. */
export function publicLibrary(record: LibraryRecord): Library {
  const { uuid, name, active, createdAt, members, invited } = record;
  return {
    uuid,
    name,
    active,
    createdAt,
    members: members.map((m) => ({ ...m })),
    invited: invited.map(({ identity: id, name: invitedName, at }): LibraryInvitationSent => ({ identity: id, name: invitedName, at })),
  };
}

/** What joining a library by an invitation adds. */
export interface JoinedLibrary {
  uuid: string;
  name: string;
  members: LibraryMember[];
  inviteId: string;
  from: string;
}

/** The libraries, in creation order. */
export class LibraryStore extends JsonListStore<'libraries', LibraryRecord> {
  static async load(dataDir: string): Promise<LibraryStore> {
    const loaded = await loadJsonFile(dataDir, { fileName: LIBRARIES_FILE, schema: librariesFileSchema, defaults: () => ({ version: 1 as const, libraries: [] }) });
    return new LibraryStore(loaded, 'libraries');
  }

  /** The libraries as the state shows them. */
  libraries(): Library[] {
    return this.items.map(publicLibrary);
  }

  /** The active libraries: those advertised in the TXT record. */
  active(): Library[] {
    return this.libraries().filter((l) => l.active);
  }

  get(uuid: string): Library | undefined {
    const lib = this.items[indexOf(this.items, uuid)];
    return lib ? publicLibrary(lib) : undefined;
  }

  /** The whole record, for the sharing service (read it, never change it in place). */
  record(uuid: string): LibraryRecord | undefined {
    return this.items[indexOf(this.items, uuid)];
  }

  /** The records themselves, for the sharing service (read them, never change them in place). */
  records(): readonly LibraryRecord[] {
    return this.items;
  }

  create(name: string): Promise<LibraryRecord> {
    return this.changeList((libs) => {
      const clean = validateLibraryName(name);
      if (libs.length >= LIBRARIES_MAX) {
        throw new CommandError('refused', `there are already ${LIBRARIES_MAX} libraries; delete one before creating another`);
      }
      let uuid = randomUUID();
      while (libs.some((l) => l.uuid === uuid)) uuid = randomUUID();
      const lib: LibraryRecord = { uuid, name: clean, active: true, createdAt: new Date().toISOString(), members: [], departed: [], invited: [] };
      return { next: [...libs, lib], result: lib };
    });
  }

  /** A library joined by an invitation: same uuid and name, active, its members as the invitation named them. */
  join(joined: JoinedLibrary): Promise<LibraryRecord> {
    return this.changeList((libs) => {
      const existing = libs[indexOf(libs, joined.uuid)];
      if (existing) throw new CommandError('refused', `you already have the library “${existing.name}”; nothing changed`);
      if (libs.length >= LIBRARIES_MAX) throw new CommandError('refused', `there are already ${LIBRARIES_MAX} libraries; delete one before joining another`);
      const lib: LibraryRecord = {
        uuid: joined.uuid.toLowerCase(),
        name: validateLibraryName(joined.name),
        active: true,
        createdAt: new Date().toISOString(),
        members: joined.members.slice(0, LIBRARY_MEMBERS_MAX),
        departed: [],
        invited: [],
        joinedWith: { inviteId: joined.inviteId, from: joined.from },
      };
      return { next: [...libs, lib], result: lib };
    });
  }

  /** Remembers an invitation we sent (the newest LIBRARY_INVITED_MAX; one per device: a new one replaces the older). */
  recordInvitation(uuid: string, invitation: InvitationSent): Promise<LibraryRecord> {
    return this.changeRecord(uuid, (lib) => ({ invited: [...lib.invited.filter((i) => i.identity !== invitation.identity), invitation].slice(-LIBRARY_INVITED_MAX) }));
  }

  /** Forgets an invitation (declined, refused, or the device joined). */
  dropInvitation(uuid: string, inviteId: string): Promise<LibraryRecord> {
    return this.changeRecord(uuid, (lib) => (lib.invited.some((i) => i.id === inviteId) ? { invited: lib.invited.filter((i) => i.id !== inviteId) } : null));
  }

  /**
   * The device that was invited with `inviteId` joined: it becomes a member, since now. Resolves
   * to false (and changes nothing) when we sent no such invitation to that device.
   */
  async admit(uuid: string, inviteId: string, member: { identity: string; name: string }): Promise<boolean> {
    let admitted = false;
    await this.changeRecord(uuid, (lib) => {
      const invitation = lib.invited.find((i) => i.id === inviteId && i.identity === member.identity);
      if (!invitation) return null;
      admitted = true;
      const since = new Date().toISOString();
      const membership = mergeMembership(lib, { members: [{ identity: member.identity, name: member.name, since }], departed: [] }, { self: null, max: LIBRARY_MEMBERS_MAX });
      return { ...membership, invited: lib.invited.filter((i) => i !== invitation) };
    });
    return admitted;
  }

  /**
   * What a member told us about the library's members; `self` (our identity) is never taken from
   * it. Resolves to the record and whether anything changed.
   */
  async mergeMembers(uuid: string, remote: Membership, self: string | null): Promise<{ record: LibraryRecord; changed: boolean }> {
    let changed = false;
    const record = await this.changeRecord(uuid, (lib) => {
      const merged = mergeMembership(lib, remote, { self, max: LIBRARY_MEMBERS_MAX });
      const acknowledged = lib.joinedWith !== undefined && self !== null && remote.members.some((m) => m.identity === self);
      if (merged.members === lib.members && merged.departed === lib.departed && !acknowledged) return null;
      changed = true;
      return { members: merged.members, departed: merged.departed.slice(-LIBRARY_DEPARTED_MAX), joinedWith: acknowledged ? undefined : lib.joinedWith };
    });
    return { record, changed };
  }

  /** A member left (it said so over its link). */
  removeMember(uuid: string, departure: Departure): Promise<{ record: LibraryRecord; changed: boolean }> {
    return this.mergeMembers(uuid, { members: [], departed: [departure] }, null);
  }

  /** Changes one library's record; `change` returns null to change nothing. */
  private changeRecord(uuid: string, change: (lib: LibraryRecord) => Partial<LibraryRecord> | null): Promise<LibraryRecord> {
    return this.changeList((libs) => {
      const index = existingIndexOf(libs, uuid);
      const current = libs[index] as LibraryRecord;
      const patch = change(current);
      if (patch === null) return { next: libs, result: current };
      const updated = { ...current, ...patch };
      if (updated.joinedWith === undefined) delete updated.joinedWith;
      return { next: libs.map((l, i) => (i === index ? updated : l)), result: updated };
    });
  }

  rename(uuid: string, name: string): Promise<LibraryRecord> {
    return this.changeList((libs) => {
      const index = existingIndexOf(libs, uuid);
      const clean = validateLibraryName(name);
      if ((libs[index] as LibraryRecord).name === clean) return { next: libs, result: libs[index] as LibraryRecord };
      return replace(libs, index, { name: clean, renamedAt: new Date().toISOString() });
    });
  }

  /**
   * A member's name for the library, renamed at `renamedAt`: taken when that rename is later than
   * ours (a tie goes to the name that sorts first, so both sides agree). Resolves to whether it was taken.
   */
  async takeName(uuid: string, name: string, renamedAt: string): Promise<boolean> {
    let taken = false;
    await this.changeRecord(uuid, (lib) => {
      let clean: string;
      try {
        clean = validateLibraryName(name);
      } catch {
        return null;
      }
      if (!laterRename(renamedAt, clean, lib)) return null;
      taken = true;
      return { name: clean, renamedAt };
    });
    return taken;
  }

  activate(uuid: string): Promise<LibraryRecord> {
    return this.changeList((libs) => replace(libs, existingIndexOf(libs, uuid), { active: true }));
  }

  deactivate(uuid: string): Promise<LibraryRecord> {
    return this.changeList((libs) => replace(libs, existingIndexOf(libs, uuid), { active: false }));
  }

  /** Removes the library; resolves to the removed one. */
  delete(uuid: string): Promise<LibraryRecord> {
    return this.changeList((libs) => {
      const index = existingIndexOf(libs, uuid);
      const removed = libs[index] as LibraryRecord;
      return { next: libs.filter((_, i) => i !== index), result: removed };
    });
  }
}

/** A rename stamped further ahead of our clock than this is not taken (a member's clock gone wrong would win every time). */
const RENAME_CLOCK_SKEW_MAX_MS = 24 * 3600_000;

/** Whether a rename to `name` at `at` is later than `lib`'s own (never renamed: any rename is). */
export function laterRename(at: string, name: string, lib: Pick<LibraryRecord, 'name' | 'renamedAt'>): boolean {
  const theirs = Date.parse(at);
  if (!Number.isFinite(theirs) || theirs > Date.now() + RENAME_CLOCK_SKEW_MAX_MS) return false;
  const ours = lib.renamedAt === undefined ? -Infinity : Date.parse(lib.renamedAt);
  return theirs > ours || (theirs === ours && name < lib.name);
}

/** Where the library `uuid` (any case) is in `libs`; -1 when it is not. */
function indexOf(libs: readonly LibraryRecord[], uuid: string): number {
  const key = typeof uuid === 'string' ? uuid.toLowerCase() : '';
  return libs.findIndex((l) => l.uuid === key);
}

function existingIndexOf(libs: readonly LibraryRecord[], uuid: string): number {
  const index = indexOf(libs, uuid);
  if (index < 0) throw new CommandError('not-found', `no library with id ${toDisplayText(String(uuid), 64)}`);
  return index;
}

/** A change to one library; the same list when it changes nothing (then nothing is written or emitted). */
function replace(libs: LibraryRecord[], index: number, change: Partial<LibraryRecord>): { next: LibraryRecord[]; result: LibraryRecord } {
  const current = libs[index] as LibraryRecord;
  const updated = { ...current, ...change };
  if (updated.name === current.name && updated.active === current.active) return { next: libs, result: current };
  return { next: libs.map((l, i) => (i === index ? updated : l)), result: updated };
}
