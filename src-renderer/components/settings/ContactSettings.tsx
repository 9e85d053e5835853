// The devices this one paired with (DESIGN §5), each with a Remove button that asks first.

import { useState } from 'react';
import { identityFingerprint } from '../../../src-shared/identity.js';
import type { Contact } from '../../../src-shared/pairing.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { ConfirmDialog } from '../common/ConfirmDialog.js';
import { Fingerprint } from '../common/ContactStanding.js';
import { RemoveButton } from '../common/RemoveButton.js';

function ContactItem({ contact, onRemove }: { contact: Contact; onRemove: (c: Contact) => void }) {
  const { error, busy } = useField(`contact:${contact.identity}`);
  const added = new Date(contact.addedAt);
  const fingerprint = identityFingerprint(contact.identity);
  return (
    <li className="contact" data-identity={contact.identity}>
      <span className="grow">
        <span className="strong contact-name">{contact.name}</span>{' '}
        {fingerprint !== null ? (
          <>
            <Fingerprint value={fingerprint} />{' '}
          </>
        ) : null}
        <span className="muted contact-paired">
          Paired <time dateTime={contact.addedAt}>{Number.isNaN(added.getTime()) ? contact.addedAt : added.toLocaleString()}</time>
        </span>
        <span className="mono muted contact-identity" title={contact.identity}>
          {contact.identity}
        </span>
      </span>
      <RemoveButton what={contact.name} busy={busy} error={error} onRemove={() => onRemove(contact)} />
    </li>
  );
}

export function ContactSettings() {
  const contacts = useNearby((s) => s.contacts);
  const removeContact = useNearby((s) => s.removeContact);
  const [pending, setPending] = useState<Contact | null>(null);
  return (
    <section className="card" aria-labelledby="contacts-title">
      <h2 id="contacts-title" className="card-title">
        Contacts
      </h2>
      <p className="help">Devices paired with this one. Pair with a device from the Pair section.</p>
      {contacts.length === 0 ? (
        <p className="muted">No contacts yet.</p>
      ) : (
        <ul className="contact-list" aria-label="Contacts">
          {contacts.map((c) => (
            <ContactItem key={c.identity} contact={c} onRemove={setPending} />
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={pending !== null}
        title={`Remove ${pending?.name ?? 'this contact'}?`}
        confirmLabel="Remove"
        onCancel={() => setPending(null)}
        onConfirm={() => {
          if (pending !== null) void removeContact(pending.identity);
          setPending(null);
        }}
      >
        <p>It will no longer be a contact of this device. To make it one again, pair with it again.</p>
      </ConfirmDialog>
    </section>
  );
}
