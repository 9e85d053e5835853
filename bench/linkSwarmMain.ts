// Runs inside a namespace host for bench/links.ts: `count` link endpoints, each with a key of its
// own, that dial one node and keep their links up (what `count` linked peers cost that node).
// argv: host port count. Prints "linked N" whenever the number of ready links changes.

import { generateKeyPairSync } from 'node:crypto';
import { createTlsIdentity } from '../src-main/core/p2p/tlsIdentity.js';
import { LinkManager } from '../src-main/core/p2p/linkManager.js';
import { emptyDeviceMetadata } from '../src-shared/peerMetadata.js';

const [host = '', portText = '0', countText = '1'] = process.argv.slice(2);
const port = Number(portText);
const managers: LinkManager[] = [];
let ready = 0;
for (let i = 0; i < Number(countText); i++) {
  const m = new LinkManager({
    tls: createTlsIdentity(generateKeyPairSync('ed25519').privateKey),
    hello: () => ({ metadata: { ...emptyDeviceMetadata(), name: `Swarm ${i}`, operatingSystem: 'linux', version: '0.1.0' }, port: 1 }),
  });
  managers.push(m);
  const r = await m.dial(host, port);
  const link = m.adopt(r.socket, r.identity, true, 'manual');
  link?.on('ready', () => process.stdout.write(`linked ${++ready}\n`));
  link?.on('close', () => process.stdout.write(`linked ${--ready}\n`));
}
process.on('SIGTERM', () => process.exit(0));
