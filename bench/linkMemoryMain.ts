// Runs inside a namespace host for bench/links.ts (with --expose-gc): a link server like the
// node's, and its memory after full GCs with no link, then at each checkpoint (a number of links
// up, after a few ping rounds). argv: checkpoints, e.g. "16,112". Prints "port N", then a JSON line
// {links, memory} per checkpoint (the first with links 0).

import { generateKeyPairSync } from 'node:crypto';
import { createTlsIdentity } from '../src-main/core/p2p/tlsIdentity.js';
import { LinkManager } from '../src-main/core/p2p/linkManager.js';
import { emptyDeviceMetadata } from '../src-shared/peerMetadata.js';

const checkpoints = (process.argv[2] ?? '1').split(',').map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function measure() {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

const manager = new LinkManager({
  tls: createTlsIdentity(generateKeyPairSync('ed25519').privateKey),
  // Each swarm host opens its links from one address at once: past a real node's connection rate.
  serverLimits: { connectionBurstPerAddress: Infinity },
  hello: () => ({ metadata: { ...emptyDeviceMetadata(), name: 'Measured', operatingSystem: 'linux', version: '0.1.0' }, port: 1 }),
});
const port = await manager.listen(0);
await sleep(2000);
process.stdout.write(`port ${port}\n`);
process.stdout.write(`${JSON.stringify({ links: 0, memory: measure() })}\n`);
for (const count of checkpoints) {
  while (manager.readyLinks().length < count) await sleep(100);
  await sleep(8000);
  process.stdout.write(`${JSON.stringify({ links: manager.readyLinks().length, memory: measure() })}\n`);
}
await manager.stop();
process.exit(0);
