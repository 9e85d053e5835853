// The policy of each discovery mode (modePolicy.ts says what a policy decides).

import type { DiscoveryMode } from '../../../src-shared/discoveryModes.js';
import { contactsOnlyPolicy } from './contactsOnly.js';
import { disabledPolicy } from './disabled.js';
import { everyonePolicy } from './everyone.js';
import type { ModePolicy } from './modePolicy.js';

export const POLICIES: Readonly<Record<DiscoveryMode, ModePolicy>> = {
  everyone: everyonePolicy,
  'contacts-only': contactsOnlyPolicy,
  disabled: disabledPolicy,
};

export function policyFor(mode: DiscoveryMode): ModePolicy {
  return POLICIES[mode];
}
