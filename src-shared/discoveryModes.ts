// The discovery modes (DESIGN §2) and how people see them named and explained, in the UI and the
// CLI alike: `label` in the settings, `status` in the line that says what this device is now. A mode is its entry here and its policy in src-main/core/modes/ (what it advertises,
// with whom it links); the contract, the settings and the CLI take the list from here.

export const DISCOVERY_MODE_LABELS = {
  everyone: { label: 'Everyone', status: 'visible to everyone', help: 'Announces this device to the network and lists every device it hears.' },
  'contacts-only': {
    label: 'Contacts only',
    status: 'visible to contacts only',
    help:
      'Only your paired contacts can recognise and reach this device. Everyone else sees an anonymous token that changes every 15 minutes: ' +
      'no name, model, system or libraries, and nothing that ties one token to the next. You still see the devices around you.',
  },
  disabled: { label: 'Disabled', status: 'discovery off', help: 'Says goodbye and goes silent: this device is invisible and lists no one.' },
} as const satisfies Record<string, { label: string; status: string; help: string }>;

export type DiscoveryMode = keyof typeof DISCOVERY_MODE_LABELS;

export const DISCOVERY_MODES = Object.keys(DISCOVERY_MODE_LABELS) as [DiscoveryMode, ...DiscoveryMode[]];
