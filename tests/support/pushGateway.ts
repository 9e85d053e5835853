// The test push server (dnsPushServer.ts) as a process beside a real BIND in a namespace host
// (dnsPushServerMain.ts): BIND sends it a NOTIFY on every change of the zone, it answers DNS Push
// subscriptions from what BIND answers. The zone names it by the records pushZoneRecords() gives;
// nodes trust its certificate through NODE_EXTRA_CA_CERTS=caFile. Used by the net test and the bench.

import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCertificate } from './dnsPushServer.js';
import type { Host } from './lan.js';
import { REPO_ROOT } from './nearby.js';

/** RFC 7858's port, which RFC 8765 uses for push over TLS; and where BIND's NOTIFYs go (loopback). */
export const PUSH_PORT = 853;
export const PUSH_NOTIFY_PORT = 5301;

export function pushHostOf(zone: string): string {
  return `push.${zone}`;
}

/** The zone file lines that name the push server at `address` (RFC 8765 §6.1). */
export function pushZoneRecords(zone: string, address: string): string[] {
  return [`_dns-push-tls._tcp IN SRV 0 0 ${PUSH_PORT} ${pushHostOf(zone)}.`, `push IN A ${address}`];
}

export interface PushGateway {
  /** The certificate to trust (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  stop(): void;
  /** Starts it again (after stop), with the same certificate. */
  start(): Promise<void>;
}

/** Starts the gateway on `host` (where named runs, with `alsoNotifyPort: PUSH_NOTIFY_PORT`); resolves once it listens. */
export async function startPushGateway(host: Host, zone: string): Promise<PushGateway> {
  const dir = host.tmpDir('push');
  const tls = makeCertificate(dir, pushHostOf(zone));
  const [caFile, keyFile] = [join(dir, 'ca.crt'), join(dir, 'push.pem')];
  writeFileSync(keyFile, tls.key);
  writeFileSync(caFile, tls.cert);
  let child: ChildProcess | null = null;
  const gateway: PushGateway = {
    caFile,
    stop: () => {
      child?.kill('SIGKILL');
      child = null;
    },
    start: async () => {
      const spawned = host.spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/support/dnsPushServerMain.ts'), String(PUSH_PORT), String(PUSH_NOTIFY_PORT), '127.0.0.1:53', keyFile, caFile], { cwd: REPO_ROOT });
      child = spawned;
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the push gateway did not start: ${out}`)), 15_000);
        spawned.stdout?.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (!out.includes('listening')) return;
          clearTimeout(timer);
          resolve();
        });
        spawned.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
        spawned.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the push gateway exited (${code}): ${out}`));
        });
      });
    },
  };
  await gateway.start();
  return gateway;
}
