// Contacts only (DESIGN §2, docs/protocol.md): the device announces a token that changes every
// epoch and says nothing else; only its contacts recognise it, link with it (through the gated
// port, a new one each epoch and on each network; the fixed one is closed) and learn who it is.
// It still lists every peer it hears, and its questions name no device that could be a contact
// (the whole service is asked instead): they would tell a listener whom it has no link to, that
// is, who its contacts are.

import { isPrivateToken } from '../contactsOnly/broadcastTokens.js';
import { WITHHELD_METADATA } from '../contactsOnly/contactsOnlyService.js';
import { claimedIdentity } from '../discovery/peerCache.js';
import type { ModePolicy } from './modePolicy.js';

export const contactsOnlyPolicy: ModePolicy = {
  mode: 'contacts-only',
  discovers: true,
  listensOnPublicPort: false,
  privateEndpoint: true,
  rotatesEachEpoch: true,
  note: null,
  // Another app's service cannot be a contact: asking about it tells nothing of who our contacts are.
  mayNameInQuestions: (label) => claimedIdentity(label) === null && !isPrivateToken(label),
  advertisement: (ctx) => ctx.privateAdvertisement(),
  helloMetadata: (remote, ctx) => (ctx.isContact(remote) ? ctx.fullMetadata() : WITHHELD_METADATA),
  // Who owns the device is as private as its name: contacts (and My devices) only.
  sharesAccount: (remote, ctx) => remote !== null && ctx.isContact(remote),
  // A link would prove who we are: contacts, and devices the user added by address, only.
  linksWith: (identity, ctx) => ctx.isContact(identity) || ctx.isPinned(identity),
};
