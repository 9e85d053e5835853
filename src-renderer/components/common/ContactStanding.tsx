// How a device stands to the contacts (issue 11), drawn the same wherever a device is shown (the
// list, the details, the pairing picker, panel and dialog): a contact gets a Contact badge and its
// fingerprint; a device that uses a contact's name without being it gets a warning that says so.
// "Verified" alone only says that a device holds its own key, whatever name it gives.

import type { ContactStanding } from '../../../src-shared/pairing.js';
import { contactStandingText } from '../../../src-shared/pairing.js';

export function ContactBadge({ standing }: { standing: ContactStanding }) {
  if (standing.contact === undefined) return null;
  return (
    <span className="badge badge-contact" title={`You paired with this device; it proved the same key (fingerprint ${standing.contact.fingerprint})`}>
      Contact
    </span>
  );
}

/** The one-line warning for a device that goes by a contact's name; nothing for any other. */
export function LookalikeWarning({ standing }: { standing: ContactStanding }) {
  if (standing.lookalikeOf === undefined) return null;
  return <span className="device-warning lookalike-warning">{contactStandingText(standing)}</span>;
}

/** A fingerprint, in the monospaced form the other device shows for itself. */
export function Fingerprint({ value }: { value: string }) {
  return <span className="fingerprint">{value}</span>;
}
