// The devices this node paired with (DESIGN §5), kept in `<dataDir>/contacts.json`. Every change
// is written atomically first and announced ('change') after; a file that cannot be understood is
// set aside (never deleted) and the node starts with no contacts, and says so.

import { EventEmitter } from 'node:events';
import path from 'node:path';
import { z } from 'zod';
import { CommandError, DEVICE_NAME_MAX_CHARS } from '../../src-shared/contract.js';
import { toDisplayText } from '../../src-shared/displayText.js';
import { isRemoteIdentity, shortIdentity } from '../../src-shared/identity.js';
import type { Contact } from '../../src-shared/pairing.js';
import { readJsonFile, writeJsonFileAtomic } from './jsonFile.js';

export const CONTACTS_FILE = 'contacts.json';
export const CONTACTS_MAX = 1000;
/** Names come from other devices; they are cleaned and capped like our own device name. */
export const CONTACT_NAME_MAX_CHARS = DEVICE_NAME_MAX_CHARS;

const contactSchema = z.object({
  identity: z.string().refine(isRemoteIdentity, 'not an identity (43 characters of base64)'),
  name: z
    .string()
    .transform((s) => toDisplayText(s, CONTACT_NAME_MAX_CHARS))
    .pipe(z.string().min(1, 'a contact name cannot be empty')),
  addedAt: z.iso.datetime({ offset: true }),
});

export const contactsFileSchema = z
  .object({
    version: z.literal(1),
    contacts: z.array(contactSchema).max(CONTACTS_MAX, `at most ${CONTACTS_MAX} contacts`),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.contacts.forEach((c, index) => {
      if (seen.has(c.identity)) ctx.addIssue({ code: 'custom', path: ['contacts', index, 'identity'], message: `duplicate contact ${c.identity}` });
      seen.add(c.identity);
    });
  });

export type ContactsFile = z.output<typeof contactsFileSchema>;

function copy(contact: Contact): Contact {
  return { ...contact };
}

/** A name safe to show; a short form of the identity when the device gave none. */
export function contactName(raw: string, identity: string): string {
  const name = toDisplayText(raw, CONTACT_NAME_MAX_CHARS);
  return name === '' ? shortIdentity(identity) : name;
}

export interface ContactStoreEvents {
  change: [contacts: Contact[]];
}

export class ContactStore extends EventEmitter<ContactStoreEvents> {
  /** One sentence for the user when the contacts file was bad and set aside; null otherwise. */
  readonly problem: string | null;
  readonly file: string;
  private contacts: Contact[];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(file: string, contacts: Contact[], problem: string | null) {
    super();
    this.file = file;
    this.contacts = contacts;
    this.problem = problem;
  }

  static async load(dataDir: string): Promise<ContactStore> {
    const file = path.join(dataDir, CONTACTS_FILE);
    const { value, problem } = await readJsonFile(file, contactsFileSchema, () => ({ version: 1 as const, contacts: [] }), CONTACTS_FILE);
    return new ContactStore(file, value.contacts, problem);
  }

  /** All contacts, in the order they were added (copies). */
  list(): Contact[] {
    return this.contacts.map(copy);
  }

  get(identity: string): Contact | undefined {
    const found = this.contacts.find((c) => c.identity === identity);
    return found ? copy(found) : undefined;
  }

  has(identity: string): boolean {
    return this.contacts.some((c) => c.identity === identity);
  }

  /**
   * Adds a contact, or updates the name and time of one paired again. Resolves to what was stored.
   * Refused when the identity is malformed or the list is full.
   */
  add(identity: string, name: string, addedAt: Date = new Date()): Promise<Contact> {
    return this.mutate((contacts) => {
      if (!isRemoteIdentity(identity)) throw new CommandError('invalid-payload', 'not an identity (43 characters of base64)');
      const contact: Contact = { identity, name: contactName(name, identity), addedAt: addedAt.toISOString() };
      const index = contacts.findIndex((c) => c.identity === identity);
      if (index >= 0) return { next: contacts.map((c, i) => (i === index ? contact : c)), result: contact };
      if (contacts.length >= CONTACTS_MAX) {
        throw new CommandError('refused', `there are already ${CONTACTS_MAX} contacts; remove one before pairing with another device`);
      }
      return { next: [...contacts, contact], result: contact };
    });
  }

  /** Removes a contact; resolves to the removed one. */
  remove(identity: string): Promise<Contact> {
    return this.mutate((contacts) => {
      const index = contacts.findIndex((c) => c.identity === identity);
      if (index < 0) throw new CommandError('not-found', `no contact with identity ${toDisplayText(String(identity), 64)}`);
      return { next: contacts.filter((_, i) => i !== index), result: contacts[index] as Contact };
    });
  }

  /** Runs one change at a time: compute, write, commit in memory, then emit 'change'. */
  private mutate(change: (contacts: Contact[]) => { next: Contact[]; result: Contact }): Promise<Contact> {
    const run = this.queue.then(async () => {
      const { next, result } = change(this.contacts);
      const file: ContactsFile = { version: 1, contacts: next };
      await writeJsonFileAtomic(this.file, file);
      this.contacts = next;
      this.emit('change', this.list());
      return copy(result);
    });
    this.queue = run.catch(() => {});
    return run;
  }
}
