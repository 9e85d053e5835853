// A real DNS server for wide-area tests: BIND 9's named, run inside a namespace host with its own
// directory (config, key, zone, journal), in the foreground, killed by the test's cleanup. The
// zone takes DNS UPDATEs signed with the key tsig-keygen made for it (update-policy).

import { execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, type Host } from './lan.js';

/** The name of the update key in every test zone. */
export const UPDATE_KEY_NAME = 'nearby-update';

export interface NamedServer {
  host: Host;
  address: string;
  zone: string;
  dir: string;
  /** The key file (as tsig-keygen wrote it) that may update the zone. */
  keyFile: string;
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
  /** Starts it again with the same directory (the zone's journal keeps what was updated). */
  restart(): Promise<void>;
}

/** Whether BIND's tools are installed (named, tsig-keygen, dig). */
export function hasBind(): boolean {
  try {
    execFileSync('named', ['-v'], { stdio: 'ignore' });
    execFileSync('tsig-keygen', ['-h'], { stdio: 'ignore' });
    execFileSync('dig', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why a test that runs BIND in namespaces cannot run here (false: it can), said by name. */
export function bindSkipReason(): string | false {
  if (!isRoot()) return 'needs root to create network namespaces';
  return hasBind() ? false : 'needs BIND 9 (named, tsig-keygen, dig: Debian packages bind9, bind9-utils and dnsutils)';
}

/** A fresh key file of `name`, as tsig-keygen writes it. */
export function makeKeyFile(dir: string, file: string, name = UPDATE_KEY_NAME): string {
  const path = join(dir, file);
  writeFileSync(path, execFileSync('tsig-keygen', ['-a', 'hmac-sha256', name], { encoding: 'utf8' }), { mode: 0o600 });
  return path;
}

/**
 * named.conf: our options, and the zone as a primary that takes signed updates or as a secondary of
 * `primaryAddress` (which takes none). With `alsoNotifyPort`, the primary tells of every change at
 * once by a NOTIFY to that port on loopback (a push gateway listens there).
 */
function config(dir: string, zone: string, primaryAddress: string | null = null, alsoNotifyPort: number | null = null): string {
  const notify = alsoNotifyPort === null ? '' : `\n  notify explicit;\n  notify-delay 0;\n  also-notify { 127.0.0.1 port ${alsoNotifyPort}; };`;
  const zoneBody =
    primaryAddress === null
      ? `  type primary;
  file "${dir}/${zone}.db";
  update-policy { grant ${UPDATE_KEY_NAME} subdomain ${zone}. ANY; };${notify}`
      : `  type secondary;
  primaries { ${primaryAddress}; };
  file "${dir}/${zone}.db";`;
  return `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port 53 { any; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-query { any; };
  allow-transfer { any; };
};
controls { };
include "${dir}/update.key";
zone "${zone}" {
${zoneBody}
};
`;
}

function zoneFile(zone: string, address: string, extraRecords: readonly string[]): string {
  return `$TTL 60
@ IN SOA ns.${zone}. admin.${zone}. 1 60 60 600 5
@ IN NS ns.${zone}.
ns IN A ${address}
${extraRecords.map((r) => `${r}\n`).join('')}`;
}

/** Runs `dig @address` with the given arguments on `host`; resolves with its output (+short unless told otherwise). */
export async function dig(host: Host, address: string, ...args: string[]): Promise<string> {
  const r = await host.run('dig', [`@${address}`, '+time=1', '+tries=1', ...args], { timeoutMs: 5000 });
  return r.stdout;
}

/** Starts named on `host` for `zone` (with `extraRecords`, zone file lines), listening on every address; resolves once it answers the zone's SOA. */
export async function startNamed(host: Host, zone = 'sd.test', extraRecords: readonly string[] = [], opts: { alsoNotifyPort?: number } = {}): Promise<NamedServer> {
  const address = host.ipv4Addresses()[0];
  if (!address) throw new Error(`${host.name} has no IPv4 address for named`);
  const dir = host.tmpDir('named');
  const keyFile = makeKeyFile(dir, 'update.key');
  writeFileSync(join(dir, 'named.conf'), config(dir, zone, null, opts.alsoNotifyPort ?? null));
  writeFileSync(join(dir, `${zone}.db`), zoneFile(zone, address, extraRecords));
  return launchNamed(host, address, zone, dir, keyFile);
}

/**
 * Starts named on `host` as a secondary of `primary`'s zone (a copy by zone transfer; an UPDATE
 * sent to it is refused): the DNS server a host's resolver may name, which is not where updates go.
 */
export async function startSecondaryNamed(host: Host, primary: NamedServer): Promise<NamedServer> {
  const address = host.ipv4Addresses()[0];
  if (!address) throw new Error(`${host.name} has no IPv4 address for named`);
  const dir = host.tmpDir('named2');
  writeFileSync(join(dir, 'update.key'), '');
  writeFileSync(join(dir, 'named.conf'), config(dir, primary.zone, primary.address));
  return launchNamed(host, address, primary.zone, dir, primary.keyFile);
}

async function launchNamed(host: Host, address: string, zone: string, dir: string, keyFile: string): Promise<NamedServer> {
  let output = '';
  const server: NamedServer = {
    host,
    address,
    zone,
    dir,
    keyFile,
    process: null as unknown as ChildProcess,
    log: () => output,
    stop: async () => {
      const child = server.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      await server.stop();
      await launch();
    },
  };
  const launch = async () => {
    // -g: foreground, logging to stderr; -c: our config; -4: our LANs are IPv4.
    const child = host.spawn('named', ['-g', '-4', '-c', join(dir, 'named.conf')]);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
    server.process = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`named exited with ${child.exitCode}:\n${output}`);
      if ((await dig(host, address, zone, 'SOA', '+short')).includes(`ns.${zone}.`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`named did not answer within 10 s:\n${output}`);
  };
  await launch();
  return server;
}
