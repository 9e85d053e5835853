// Runs inside a namespace host: a P2P listener that speaks Nearby's link protocol perfectly, with
// a key of its own, and says it is someone else (argv: port, name, then optional JSON options).
// Paired with an mDNS announcement of the victim's identity (mdnsInjector), it plays an impostor:
// everything it says is what the real node would say, except that it cannot prove the victim's key.
// With options it also dials a node itself (`dial`), says what the real device says in its TXT
// (`metadata`: OS, model, library uuids), and asks that node to pair (`pair`), running the real
// pairing protocol, so that the request reaches the other user as a dialog.
// Prints "listening <port>" when ready, "linked <identity>" once its link is up, "pairing <code>"
// when the code is known.

import { generateKeyPairSync } from 'node:crypto';
import { createTlsIdentity } from '../../src-main/core/p2p/tlsIdentity.js';
import { LinkManager } from '../../src-main/core/p2p/linkManager.js';
import { PairingService } from '../../src-main/core/p2p/pairing.js';
import { emptyDeviceMetadata, type DeviceMetadata } from '../../src-shared/peerMetadata.js';

interface ImpostorOptions {
  dial?: { host: string; port: number };
  metadata?: Partial<DeviceMetadata>;
  pair?: boolean;
}

const port = Number(process.argv[2] ?? 0);
const name = process.argv[3] ?? 'Impostor';
const options = JSON.parse(process.argv[4] ?? '{}') as ImpostorOptions;
const { privateKey } = generateKeyPairSync('ed25519');
let bound = port; // the port it listens on, as its hello says (known once bound)
const manager = new LinkManager({
  tls: createTlsIdentity(privateKey),
  hello: () => ({ metadata: { ...emptyDeviceMetadata(), name, operatingSystem: 'linux', version: '0.1.0', ...options.metadata }, port: bound }),
});
bound = await manager.listen(port);
process.stdout.write(`listening ${bound}\n`);
process.on('SIGTERM', () => void manager.stop().then(() => process.exit(0)));

if (options.dial) {
  // It keeps no contacts: whatever the other user confirms, the impostor only wants the dialog.
  const pairing = new PairingService({ contacts: { add: async (identity, n) => ({ identity, name: n, addedAt: new Date().toISOString() }), remove: async () => ({ identity: '', name: '', addedAt: '' }), has: () => false } });
  pairing.on('change', () => {
    const code = pairing.list().find((s) => s.code !== null)?.code;
    if (code) process.stdout.write(`pairing ${code}\n`);
  });
  manager.on('channel', (channel) => {
    process.stdout.write(`linked ${channel.remoteIdentity}\n`);
    pairing.attach(channel);
    if (options.pair) pairing.start(channel);
  });
  const { socket, identity } = await manager.dial(options.dial.host, options.dial.port);
  manager.adopt(socket, identity, true, 'manual');
}
