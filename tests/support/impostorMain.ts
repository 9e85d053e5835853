// Runs inside a namespace host: a P2P listener that speaks Nearby's link protocol perfectly, with
// a key of its own, and says it is someone else (argv: port, name). Paired with an mDNS
// announcement of the victim's identity (mdnsInjector), it plays an impostor: everything it says
// is what the real node would say, except that it cannot prove the victim's key.
// Prints "listening <port>" when ready.

import { generateKeyPairSync } from 'node:crypto';
import { createTlsIdentity } from '../../src-main/core/p2p/tlsIdentity.js';
import { LinkManager } from '../../src-main/core/p2p/linkManager.js';
import { emptyDeviceMetadata } from '../../src-shared/peerMetadata.js';

const port = Number(process.argv[2] ?? 0);
const name = process.argv[3] ?? 'Impostor';
const { privateKey } = generateKeyPairSync('ed25519');
const manager = new LinkManager({
  tls: createTlsIdentity(privateKey),
  hello: () => ({ metadata: { ...emptyDeviceMetadata(), name, operatingSystem: 'linux', version: '0.1.0' }, port }),
});
const bound = await manager.listen(port);
process.stdout.write(`listening ${bound}\n`);
process.on('SIGTERM', () => void manager.stop().then(() => process.exit(0)));
