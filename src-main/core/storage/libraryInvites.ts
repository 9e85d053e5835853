// Invitations to libraries that contacts sent (issue 13), kept in `<dataDir>/library-invites.json`
// until the user accepts or declines them. At most LIBRARY_INVITES_MAX wait; a new one past that
// pushes out the oldest, and a contact's new invitation to a library replaces its older one, so a
// contact sending many cannot grow the file or bury the others under copies.

import { z } from 'zod';
import { CommandError, LIBRARY_NAME_MAX_CHARS } from '../../../src-shared/contract.js';
import type { LibraryInvite, LibraryMember } from '../../../src-shared/peer.js';
import { JsonListStore, listFileSchema, loadJsonFile } from './jsonStore.js';
import { INVITE_ID_PATTERN, LIBRARY_MEMBERS_MAX, memberName, memberSchema } from './libraries.js';
import { toDisplayText } from '../../../src-shared/displayText.js';
import { isRemoteIdentity } from '../../../src-shared/identity.js';
import { describeSchemaIssues } from '../../../src-shared/schemaIssues.js';

export const LIBRARY_INVITES_FILE = 'library-invites.json';
export const LIBRARY_INVITES_MAX = 1000;

const inviteSchema = z.object({
  id: z.string().regex(INVITE_ID_PATTERN),
  uuid: z.string().uuid().transform((s) => s.toLowerCase()),
  /** Cleaned and cut to a library name's length (a contact's long name is shortened, not refused); empty is refused. */
  name: z
    .string()
    .max(1000)
    .transform((s) => toDisplayText(s, LIBRARY_NAME_MAX_CHARS))
    .pipe(z.string().min(1, 'a library name cannot be empty')),
  from: z.object({ identity: z.string().refine(isRemoteIdentity, 'not a device identity'), name: memberName }),
  received: z.iso.datetime({ offset: true }),
  /** The library's members as the invitation named them (the sender among them): who we join. */
  members: z.array(memberSchema).max(LIBRARY_MEMBERS_MAX).default([]),
  /** Declined while the sender could not be told: kept (not shown) until its link comes up and it hears. */
  declined: z.boolean().optional(),
});
export type InviteRecord = z.output<typeof inviteSchema>;

const invitesFileSchema = listFileSchema('invites', inviteSchema, {
  max: LIBRARY_INVITES_MAX,
  tooMany: `at most ${LIBRARY_INVITES_MAX} invitations`,
  uniqueField: 'id',
  duplicate: (id) => `duplicate invitation id ${id}`,
});

/** The state's view of an invitation: who invited us to what, and when. */
export function publicInvite(record: InviteRecord): LibraryInvite {
  return { id: record.id, uuid: record.uuid, name: record.name, from: { ...record.from }, received: record.received };
}

export interface ReceivedInvite {
  id: string;
  uuid: string;
  name: string;
  from: { identity: string; name: string };
  members: LibraryMember[];
}

export class LibraryInviteStore extends JsonListStore<'invites', InviteRecord> {
  static async load(dataDir: string): Promise<LibraryInviteStore> {
    const loaded = await loadJsonFile(dataDir, { fileName: LIBRARY_INVITES_FILE, schema: invitesFileSchema, defaults: () => ({ version: 1 as const, invites: [] }) });
    return new LibraryInviteStore(loaded, 'invites');
  }

  /** The pending invitations, oldest first, as the state shows them (declined ones waiting to be told are not). */
  invites(): LibraryInvite[] {
    return this.items.filter((i) => i.declined !== true).map(publicInvite);
  }

  /** A pending invitation (not one declined already). */
  get(id: string): InviteRecord | undefined {
    return this.items.find((i) => i.id === id && i.declined !== true);
  }

  /** The declined invitations whose sender `identity` has not been told yet. */
  declinedFrom(identity: string): InviteRecord[] {
    return this.items.filter((i) => i.declined === true && i.from.identity === identity);
  }

  /** Marks a pending invitation declined (its sender is told when its link comes up); resolves to it. */
  markDeclined(id: string): Promise<InviteRecord> {
    return this.changeList((invites) => {
      const index = invites.findIndex((i) => i.id === id && i.declined !== true);
      if (index < 0) throw new CommandError('not-found', 'that invitation is not pending any more');
      const declined = { ...(invites[index] as InviteRecord), declined: true };
      return { next: invites.map((i, n) => (n === index ? declined : i)), result: declined };
    });
  }

  /** Keeps a new invitation (cleaned by the file's schema); the oldest goes when LIBRARY_INVITES_MAX wait. */
  add(received: ReceivedInvite): Promise<InviteRecord> {
    return this.changeList((invites) => {
      const parsed = inviteSchema.safeParse({ ...received, received: new Date().toISOString() });
      if (!parsed.success) throw new CommandError('invalid-payload', `the invitation is malformed (${describeSchemaIssues(parsed.error)})`);
      const record = parsed.data;
      const others = invites.filter((i) => i.id !== record.id && !(i.uuid === record.uuid && i.from.identity === record.from.identity));
      return { next: [...others, record].slice(-LIBRARY_INVITES_MAX), result: record };
    });
  }

  /** Takes an invitation out (accepted, or declined and told); resolves to it. */
  remove(id: string): Promise<InviteRecord> {
    return this.changeList((invites) => {
      const found = invites.find((i) => i.id === id);
      if (!found) throw new CommandError('not-found', 'that invitation is not pending any more');
      return { next: invites.filter((i) => i !== found), result: found };
    });
  }

  /** Drops the invitations of a library we now have, or of a device that is no longer a contact. */
  prune(keep: (invite: InviteRecord) => boolean): Promise<void> {
    return this.mutate((file) => {
      const kept = file.invites.filter(keep);
      return { next: kept.length === file.invites.length ? file : { version: 1 as const, invites: kept }, result: undefined };
    });
  }
}
