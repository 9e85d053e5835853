// Contacts only for My devices (issue 14): "trusted like contacts" includes the Contacts only
// machinery (docs/protocol.md §2): a device of our own account gets our broadcast secret over the
// link and we keep its own, its tokens resolve, and its server name opens our gated port. This is
// the list that machinery reads: the contacts, and My devices (AccountTrust), as one, telling a
// change of either. A device that stops proving the account leaves it like a removed contact: the
// secret is rotated.

import { EventEmitter } from 'node:events';
import type { ContactList } from '../contactsOnly/contactsOnlyService.js';
import type { ContactStore } from '../storage/contacts.js';
import type { AccountTrust } from './accountTrust.js';

export class ContactsAndMyDevices extends EventEmitter<{ change: [] }> implements ContactList {
  constructor(private readonly contacts: ContactStore, private readonly accounts: AccountTrust) {
    super();
    const changed = () => this.emit('change');
    contacts.on('change', changed);
    accounts.on('myDevices', changed);
  }

  has(identity: string): boolean {
    return this.contacts.has(identity) || this.accounts.isMyDevice(identity);
  }

  /** The contacts (under their stored names), then My devices that are not contacts too. */
  list(): Array<{ identity: string; name: string }> {
    const contacts = this.contacts.list();
    const listed = new Set(contacts.map((c) => c.identity));
    return [...contacts, ...this.accounts.myDeviceList().filter((d) => !listed.has(d.identity))];
  }
}
