// A man-in-the-middle for the pairing tests: a process with its own identity that links to a
// real node (the target), accepts links from others while calling itself by the target's name,
// and relays every pairing message verbatim between the two. It cannot prove the target's key,
// so each side's link proves the relay's identity, and the codes the two sides compute differ.
// Usage: pairingRelayMain.ts <target host> <target port> <name>; prints {"port","identity"}.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateIdentity } from '../../src-main/core/storage/identityKey.js';
import { LinkManager } from '../../src-main/core/p2p/linkManager.js';
import type { LinkMessage, PeerChannel } from '../../src-main/core/p2p/messages.js';
import { createTlsIdentity } from '../../src-main/core/p2p/tlsIdentity.js';
import { emptyDeviceMetadata } from '../../src-shared/peerMetadata.js';

const [targetHost, targetPortText, name] = process.argv.slice(2);
if (!targetHost || !targetPortText || !name) throw new Error('usage: pairingRelayMain.ts <target host> <target port> <name>');
const dir = mkdtempSync(join(tmpdir(), 'sdn-relay-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));

const identity = await loadOrCreateIdentity(dir);
let port = 0;
const links = new LinkManager({
  tls: createTlsIdentity(identity.privateKey),
  hello: () => ({ metadata: { ...emptyDeviceMetadata(), name, operatingSystem: 'linux', version: '0.1.0' }, port }),
});
port = await links.listen(0);
const dialled = await links.dial(targetHost, Number(targetPortText));
const toTarget = links.adopt(dialled.socket, dialled.identity, true, 'manual');
if (!toTarget) throw new Error('the link to the target was refused');

const isPairing = (m: LinkMessage) => m.type.startsWith('pair-');
const relay = (from: PeerChannel, to: PeerChannel) => from.on('message', (m) => {
  if (isPairing(m)) {
    process.stderr.write(`relay ${m.type} ${from.remoteIdentity.slice(0, 8)} -> ${to.remoteIdentity.slice(0, 8)}\n`);
    to.send(m);
  }
});
links.on('channel', (channel) => {
  if (channel.remoteIdentity === dialled.identity) return;
  relay(channel, toTarget);
  relay(toTarget, channel);
});
process.stdout.write(JSON.stringify({ port, identity: identity.identity }) + '\n');
