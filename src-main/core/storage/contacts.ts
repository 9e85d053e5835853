// The devices this node paired with (DESIGN §5), kept in `<dataDir>/contacts.json`. Every change
// is written atomically first and announced ('change') after; a file that cannot be understood is
// set aside (never deleted) and the node starts with no contacts, and says so.

import { z } from 'zod';
import { CommandError, DEVICE_NAME_MAX_CHARS } from '../../../src-shared/contract.js';
import { nameLookalikeKey, toDisplayText } from '../../../src-shared/displayText.js';
import { identityFingerprint, isRemoteIdentity, shortIdentity } from '../../../src-shared/identity.js';
import type { Contact, ContactMark, ContactStanding } from '../../../src-shared/pairing.js';
import { JsonListStore, listFileSchema, loadJsonFile, type ListStoreEvents } from './jsonStore.js';

export const CONTACTS_FILE = 'contacts.json';
export const CONTACTS_MAX = 1000;
/** Names come from other devices; they are cleaned and capped like our own device name. */
export const CONTACT_NAME_MAX_CHARS = DEVICE_NAME_MAX_CHARS;
/** Names whose lookalike key is kept (about the listed devices and the contacts; a flood only empties it). */
const LOOK_KEYS_KEPT_MAX = 4096;

const contactSchema = z.object({
  identity: z.string().refine(isRemoteIdentity, 'not an identity (43 characters of base64)'),
  name: z
    .string()
    .transform((s) => toDisplayText(s, CONTACT_NAME_MAX_CHARS))
    .pipe(z.string().min(1, 'a contact name cannot be empty')),
  addedAt: z.iso.datetime({ offset: true }),
});

export const contactsFileSchema = listFileSchema('contacts', contactSchema, {
  max: CONTACTS_MAX,
  tooMany: `at most ${CONTACTS_MAX} contacts`,
  uniqueField: 'identity',
  duplicate: (identity) => `duplicate contact ${identity}`,
});

export type ContactsFile = z.output<typeof contactsFileSchema>;

/** A name safe to show; a short form of the identity when the device gave none. */
export function contactName(raw: string, identity: string): string {
  const name = toDisplayText(raw, CONTACT_NAME_MAX_CHARS);
  return name === '' ? shortIdentity(identity) : name;
}

function markOf(contact: Contact): ContactMark {
  return { name: contact.name, fingerprint: identityFingerprint(contact.identity) ?? shortIdentity(contact.identity) };
}

export type ContactStoreEvents = ListStoreEvents<Contact>;

/** The contacts, in the order they were added. */
export class ContactStore extends JsonListStore<'contacts', Contact> {
  /** Contacts by identity and by what their stored name looks like (nameLookalikeKey), for the list the store holds now. */
  private index: { of: readonly Contact[]; byIdentity: Map<string, Contact>; byLook: Map<string, Contact> } | null = null;
  /** nameLookalikeKey of names seen lately: the list is rebuilt often, with the same names each time. */
  private readonly lookKeys = new Map<string, string>();

  static async load(dataDir: string): Promise<ContactStore> {
    const loaded = await loadJsonFile(dataDir, { fileName: CONTACTS_FILE, schema: contactsFileSchema, defaults: () => ({ version: 1 as const, contacts: [] }) });
    return new ContactStore(loaded, 'contacts');
  }

  get(identity: string): Contact | undefined {
    const found = this.items.find((c) => c.identity === identity);
    return found ? { ...found } : undefined;
  }

  has(identity: string): boolean {
    return this.items.some((c) => c.identity === identity);
  }

  /**
   * How a device stands to the contacts (src-shared/pairing.ts ContactStanding): a contact, under
   * its stored name, when `proven` (a link or a verification proved `identity`) and the identity is
   * a contact's; else, when its name looks like a contact's stored name and it claims another
   * identity, a lookalike of that contact. A device that claims a contact's identity without proof
   * is neither (the directory warns about impostors on its own).
   */
  standingOf(identity: string | null, name: string, proven: boolean): ContactStanding {
    if (this.items.length === 0) return {};
    const { byIdentity, byLook } = this.indexed();
    const own = identity === null ? undefined : byIdentity.get(identity);
    if (own) return proven ? { contact: markOf(own) } : {};
    const twin = byLook.get(this.lookKey(name));
    return twin ? { lookalikeOf: markOf(twin) } : {};
  }

  private indexed(): { byIdentity: Map<string, Contact>; byLook: Map<string, Contact> } {
    const items = this.items;
    if (this.index?.of !== items) {
      const byLook = new Map<string, Contact>();
      for (const c of items) if (!byLook.has(this.lookKey(c.name))) byLook.set(this.lookKey(c.name), c);
      this.index = { of: items, byIdentity: new Map(items.map((c) => [c.identity, c])), byLook };
    }
    return this.index;
  }

  private lookKey(name: string): string {
    let key = this.lookKeys.get(name);
    if (key === undefined) {
      if (this.lookKeys.size >= LOOK_KEYS_KEPT_MAX) this.lookKeys.clear();
      key = nameLookalikeKey(name);
      this.lookKeys.set(name, key);
    }
    return key;
  }

  /**
   * Adds a contact, or updates the name and time of one paired again. Resolves to what was stored.
   * Refused when the identity is malformed or the list is full.
   */
  add(identity: string, name: string, addedAt: Date = new Date()): Promise<Contact> {
    return this.changeList((contacts) => {
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
    return this.changeList((contacts) => {
      const index = contacts.findIndex((c) => c.identity === identity);
      if (index < 0) throw new CommandError('not-found', `no contact with identity ${toDisplayText(String(identity), 64)}`);
      return { next: contacts.filter((_, i) => i !== index), result: contacts[index] as Contact };
    });
  }
}
