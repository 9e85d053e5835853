// Contacts only (DESIGN §2, docs/protocol.md): the device announces a token that changes every
// epoch and says nothing else; only its contacts recognise it, link with it (through the gated
// port, a new one each epoch and on each network; the fixed one is closed) and learn who it is.
// It still lists every peer it hears.

import { WITHHELD_METADATA } from '../contactsOnly/contactsOnlyService.js';
import type { ModePolicy } from './modePolicy.js';

export const contactsOnlyPolicy: ModePolicy = {
  mode: 'contacts-only',
  discovers: true,
  listensOnPublicPort: false,
  privateEndpoint: true,
  rotatesEachEpoch: true,
  note: null,
  advertisement: (ctx) => ctx.privateAdvertisement(),
  helloMetadata: (remote, ctx) => (ctx.isContact(remote) ? ctx.fullMetadata() : WITHHELD_METADATA),
  // A link would prove who we are: contacts, and devices the user added by address, only.
  linksWith: (identity, ctx) => ctx.isContact(identity) || ctx.isPinned(identity),
};
