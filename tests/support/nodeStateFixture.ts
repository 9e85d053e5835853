// A NodeState with nothing in it, for unit tests that need one; override what the test is about.

import type { NodeState, SelfInfo } from '../../src-shared/contract.js';

export function emptyNodeState(overrides: Partial<Omit<NodeState, 'self'>> & { self?: Partial<SelfInfo> } = {}): NodeState {
  const { self, ...rest } = overrides;
  return {
    self: { identity: 'test-identity', name: 'Test node', hostname: 'test-host.local', port: 7373, operatingSystem: 'linux', deviceModel: null, version: '0.1.0', ...self },
    mode: 'everyone',
    everyoneUntil: null,
    privateDevices: 0,
    discoveryNote: null,
    libraries: [],
    peers: [],
    manualPeers: [],
    pairing: [],
    contacts: [],
    warnings: [],
    ...rest,
  };
}
