// A NodeState with nothing in it, for unit tests that need one; override what the test is about.

import type { NodeState, SelfInfo } from '../../src-shared/contract.js';
import type { Peer } from '../../src-shared/peer.js';

export function emptyNodeState(overrides: Partial<Omit<NodeState, 'self'>> & { self?: Partial<SelfInfo> } = {}): NodeState {
  const { self, ...rest } = overrides;
  return {
    self: { identity: 'test-identity', name: 'Test node', hostname: 'test-host.local', port: 7373, operatingSystem: 'linux', deviceModel: null, version: '0.1.0', ...self },
    mode: 'everyone',
    everyoneUntil: null,
    privateDevices: 0,
    discoveryNote: null,
    libraries: [],
    libraryInvites: [],
    peers: [],
    manualPeers: [],
    pairing: [],
    contacts: [],
    warnings: [],
    ...rest,
  };
}

/** A device as the node lists it: seen a moment ago on eth0, verified, no model, no libraries; override the rest. */
export function peerFixture(identity: string, name: string, overrides: Partial<Peer> = {}): Peer {
  const now = new Date().toISOString();
  return {
    id: identity,
    identity,
    instance: identity,
    name,
    operatingSystem: 'linux',
    deviceModel: null,
    version: '0.1.0',
    libraries: [],
    librariesOmitted: 0,
    verified: true,
    addresses: [],
    port: 7373,
    hostname: null,
    interfaces: ['eth0'],
    firstSeen: now,
    lastSeen: now,
    source: 'mdns',
    ...overrides,
  };
}
