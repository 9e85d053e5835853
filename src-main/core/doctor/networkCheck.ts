// The network check (issue 15): listens and asks on every interface for a window, reads the
// host's routes, checks each listed device that is not verified, and names the causes. It runs
// inside a node (the networkCheck command: the node's list and mode) or alone (`sd-nearby
// doctor` with its own short-lived discovery engine); both call runNetworkCheck.

import { generateKeyPairSync } from 'node:crypto';
import type { DiscoveryMode } from '../../../src-shared/discoveryModes.js';
import type { NetworkReport } from '../../../src-shared/networkCheck.js';
import type { Peer } from '../../../src-shared/peer.js';
import { listMulticastInterfaces } from '../discovery/networkInterfaces.js';
import { dialLink } from '../p2p/linkServer.js';
import { createTlsIdentity, type TlsIdentity } from '../p2p/tlsIdentity.js';
import { checkDevices, type DeviceDial } from './deviceChecks.js';
import { diagnose } from './diagnose.js';
import { readHostFacts } from './hostFacts.js';
import { heardHosts, MdnsProbe } from './mdnsProbe.js';
import { readMdnsFirewallRules } from './nftRules.js';

export interface NetworkCheckOptions {
  seconds: number;
  /** The discovery mode of the node checked; null when unknown. */
  mode: DiscoveryMode | null;
  /** The listed devices, read when the window ends. */
  peers: () => readonly Peer[];
  dial: DeviceDial;
}

/**
 * A verification's handshake (no certificate of ours is shown: the identity given only satisfies
 * the dialer's signature). Without one, a throwaway identity serves.
 */
export function handshakeDial(tls: TlsIdentity = createTlsIdentity(generateKeyPairSync('ed25519').privateKey)): DeviceDial {
  return async (addresses, port, timeoutMs) => {
    const { socket, identity, address } = await dialLink(tls, [...addresses], port, timeoutMs, undefined, 'verify');
    socket.end();
    return { identity, address };
  };
}

export async function runNetworkCheck(opts: NetworkCheckOptions): Promise<NetworkReport> {
  const startedAt = new Date().toISOString();
  const interfaces = listMulticastInterfaces();
  const [rules, probe] = await Promise.all([readMdnsFirewallRules(), new MdnsProbe(interfaces).run(opts.seconds * 1000)]);
  const facts = readHostFacts(interfaces.map((i) => i.name), rules);
  const peers = opts.peers();
  const devices = await checkDevices(peers, opts.dial);
  const verifiedCount = peers.filter((p) => p.verified).length;
  const { interfaces: interfaceReports, findings } = diagnose({ mode: opts.mode, interfaces, facts, probe, devices, verifiedCount });
  return {
    startedAt,
    seconds: opts.seconds,
    mode: opts.mode,
    interfaces: interfaceReports,
    hostsHeard: heardHosts(probe.hosts),
    devices,
    findings,
  };
}
