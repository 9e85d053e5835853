// Disabled (DESIGN §2): goodbyes, then nothing at all: sockets closed, no links, nobody listed.

import { WITHHELD_METADATA } from '../contactsOnly/contactsOnlyService.js';
import type { ModePolicy } from './modePolicy.js';

export const disabledPolicy: ModePolicy = {
  mode: 'disabled',
  discovers: false,
  listensOnPublicPort: false,
  privateEndpoint: false,
  rotatesEachEpoch: false,
  note: 'Discovery is off: this device is invisible and sees no one. Choose Everyone to find nearby devices.',
  mayNameInQuestions: () => false,
  advertisement: () => null,
  helloMetadata: () => WITHHELD_METADATA,
  sharesAccount: () => false,
  linksWith: () => false,
};
