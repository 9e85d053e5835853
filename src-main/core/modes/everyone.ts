// Everyone (DESIGN §2): the device announces itself with its name, OS, model and libraries, lists
// every peer it hears, and takes links from anyone on its fixed P2P port.

import type { ModePolicy } from './modePolicy.js';

export const everyonePolicy: ModePolicy = {
  mode: 'everyone',
  discovers: true,
  listensOnPublicPort: true,
  privateEndpoint: false,
  rotatesEachEpoch: false,
  note: null,
  mayNameInQuestions: () => true,
  advertisement: (ctx) => ctx.openAdvertisement(),
  helloMetadata: (_remote, ctx) => ctx.fullMetadata(),
  // Everyone hears our name already: who owns the device goes with it, inside TLS, never in TXT.
  sharesAccount: () => true,
  linksWith: () => true,
};
