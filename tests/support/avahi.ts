// avahi (the Linux mDNS daemon) as a third-party peer inside a namespace host.
//
// startAvahi(host) starts, all inside the host's network namespace:
//   1. a private dbus-daemon (system bus type, our own config, socket in a per-host temp dir),
//   2. avahi-daemon --no-drop-root --no-chroot --no-rlimits -f <generated config>, with
//      DBUS_SYSTEM_BUS_ADDRESS pointing at that bus, in its own mount namespace where a tmpfs
//      covers /run (and an empty dir covers /etc/avahi/services),
// and runs avahi-browse / avahi-publish clients in the host with the same bus address.
//
// Pitfalls:
// - avahi-daemon hard-codes /run/avahi-daemon/{pid,socket} and refuses to start when the pid
//   file names a live process: two daemons (one per namespace host) need separate /run. A tmpfs
//   over /run in a private mount namespace (unshare --mount --propagation private) does it and
//   never shows up in the root namespace. The clients do not need that mount namespace: they
//   only talk D-Bus, through a pathname unix socket in /tmp, which works across network
//   namespaces (abstract sockets would not: they are per network namespace).
// - The bus socket must therefore live outside /run (os.tmpdir(), normally /tmp).
// - Our dbus config allows everything: Debian's avahi policy (system.d/avahi-dbus.conf) is not
//   needed, and no system bus of the machine is touched.
// - The daemon is ready when it logs "Server startup complete" on stderr (it logs to stderr
//   because it is not daemonized); avahi-publish is done when it prints "Established under name".
// - avahi-browse -t ends at "all for now", which can come before a slow responder answers: use
//   browse(..., { until }) to keep browsing until the expected service shows up.
// - avahi-browse -p escapes the service name like a DNS label: '\.' '\\' and '\DDD' (decimal
//   byte value, multi-byte UTF-8 escaped byte by byte) for anything not [A-Za-z0-9_-].
// - avahi-daemon needs each host's own hostname (UTS namespace, see Host.spawn); with the same
//   hostname on two hosts it renames itself ("Host name conflict, retrying with ...-2").

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Host } from './lan.js';

export interface AvahiService {
  interface: string;
  protocol: 'IPv4' | 'IPv6';
  name: string;
  type: string;
  domain: string;
  hostname: string;
  address: string;
  port: number;
  txt: string[];
}

export interface AvahiOptions {
  /** Interfaces avahi may use (allow-interfaces). Default: all but lo (deny-interfaces=lo). */
  interfaces?: string[];
  /** use-ipv4; default true. */
  ipv4?: boolean;
  /** use-ipv6; default whether any of the host's interfaces has IPv6. */
  ipv6?: boolean;
  /** Extra lines appended to the [server] section. */
  extraServerConfig?: string[];
  /** enable-wide-area: browse unicast DNS domains too (-d), through the servers of the host's resolv.conf. Default false. */
  wideArea?: boolean;
  readyTimeoutMs?: number;
}

export interface BrowseOptions {
  /** Keep browsing (no -t) until this holds for the resolved services so far, or timeout. */
  until?: (services: AvahiService[]) => boolean;
  /** -d: browse this domain instead of .local (needs wideArea). */
  domain?: string;
}

export interface PublishOptions {
  /** -H: the host the service is on (default: this daemon's host name). */
  hostname?: string;
  subtypes?: string[];
  timeoutMs?: number;
}

export interface Avahi {
  readonly host: Host;
  /** unix:path=... of the private system bus. */
  readonly busAddress: string;
  readonly daemon: ChildProcess;
  readonly dbus: ChildProcess;
  /** Host name avahi announced (e.g. 'nb123x1-h1.local'). */
  readonly announcedHostname: string;
  browse(serviceType: string, timeoutMs: number, opts?: BrowseOptions): Promise<AvahiService[]>;
  publish(name: string, type: string, port: number, txt: string[], opts?: PublishOptions): Promise<ChildProcess>;
  /** Env for running other avahi clients: host.spawn('avahi-resolve', [...], { env: avahi.env }). */
  readonly env: Record<string, string>;
  /** The daemon's log so far. */
  log(): string;
  /** performance.now() just before the daemon was spawned (benchmarks: cold start timing). */
  readonly daemonSpawnedAt: number;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// parsing

function decodeEscapes(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      const m = /^\d{3}/.exec(s.slice(i + 1, i + 4));
      if (m) {
        bytes.push(Number(m[0]) & 0xff);
        i += 4;
      } else {
        bytes.push(...Buffer.from(s[i + 1]!, 'utf8'));
        i += 2;
      }
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decodes avahi's label escaping (`\.`, `\\`, `\DDD` decimal bytes). */
export function unescapeAvahiLabel(s: string): string {
  return decodeEscapes(s);
}

/**
 * Splits avahi's TXT rendering `"c" "a=b"` (with \" \\ \DDD escapes) into strings, returned
 * in wire order.
 */
export function parseAvahiTxt(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    if (s[i] !== '"') throw new Error(`bad avahi TXT at ${i}: ${s}`);
    i++;
    let raw = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) {
        raw += s.slice(i, i + 2);
        i += 2;
      } else raw += s[i++];
    }
    i++; // closing quote
    out.push(decodeEscapes(raw));
  }
  // avahi keeps TXT strings in a prepend-built list, so it prints them in reverse wire order.
  return out.reverse();
}

/** Parses avahi-browse -p output; returns the resolved ('=') lines. */
export function parseAvahiBrowse(stdout: string): AvahiService[] {
  const out: AvahiService[] = [];
  const seen = new Set<string>();
  const lines = stdout.split('\n');
  lines.pop(); // an incomplete last line (still being written), or '' after the final newline
  for (const line of lines) {
    if (!line.startsWith('=;')) continue;
    const f: string[] = [];
    let rest = line;
    for (let k = 0; k < 9; k++) {
      const j = rest.indexOf(';');
      if (j < 0) break;
      f.push(rest.slice(0, j));
      rest = rest.slice(j + 1);
    }
    if (f.length < 9) continue;
    const svc: AvahiService = {
      interface: f[1]!,
      protocol: f[2] === 'IPv6' ? 'IPv6' : 'IPv4',
      name: unescapeAvahiLabel(f[3]!),
      type: f[4]!,
      domain: f[5]!,
      hostname: f[6]!,
      address: f[7]!,
      port: Number(f[8]),
      txt: rest ? parseAvahiTxt(rest) : [],
    };
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(svc);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function dbusConfig(socketPath: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
`;
}

function avahiConfig(opts: { interfaces?: string[]; ipv4: boolean; ipv6: boolean; extra: string[]; wideArea: boolean }): string {
  return [
    '[server]',
    `use-ipv4=${opts.ipv4 ? 'yes' : 'no'}`,
    `use-ipv6=${opts.ipv6 ? 'yes' : 'no'}`,
    opts.interfaces ? `allow-interfaces=${opts.interfaces.join(',')}` : 'deny-interfaces=lo',
    'enable-dbus=yes',
    'ratelimit-interval-usec=1000000',
    'ratelimit-burst=1000',
    ...opts.extra,
    '',
    '[wide-area]',
    `enable-wide-area=${opts.wideArea ? 'yes' : 'no'}`,
    '',
    '[publish]',
    'publish-hinfo=no',
    'publish-workstation=no',
    'publish-addresses=yes',
    '',
    '[reflector]',
    'enable-reflector=no',
    '',
  ].join('\n');
}

/** Resolves with the first match of `re` in the child's stdout or stderr. */
function waitForOutput(
  child: ChildProcess,
  re: RegExp,
  timeoutMs: number,
  what: string,
  logRef: { log: string },
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, m?: RegExpExecArray) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('close', onClose);
      if (err) reject(err);
      else resolve(m!);
    };
    const check = () => {
      const m = re.exec(logRef.log);
      if (m) finish(null, m);
    };
    const onClose = (code: number | null) => finish(new Error(`${what} exited (${code}):\n${logRef.log}`));
    const timer = setTimeout(() => finish(new Error(`${what}: timed out after ${timeoutMs} ms:\n${logRef.log}`)), timeoutMs);
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.on('close', onClose);
    check();
  });
}

function collect(child: ChildProcess): { log: string } {
  const ref = { log: '' };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (ref.log += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (ref.log += d));
  return ref;
}

function alive(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

async function terminate(c: ChildProcess, graceMs = 2000): Promise<void> {
  if (!alive(c)) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
    c.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    c.kill('SIGTERM');
  });
}

export async function startAvahi(host: Host, opts: AvahiOptions = {}): Promise<Avahi> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10000;
  const dir = host.tmpDir('avahi');
  if (dir.startsWith('/run/')) throw new Error(`temp dir ${dir} is under /run, which the daemon's tmpfs hides`);
  const socketPath = path.join(dir, 'system_bus_socket');
  const busAddress = `unix:path=${socketPath}`;
  const emptyDir = path.join(dir, 'empty-services');
  mkdirSync(emptyDir);
  writeFileSync(path.join(dir, 'dbus.conf'), dbusConfig(socketPath));
  writeFileSync(
    path.join(dir, 'avahi-daemon.conf'),
    avahiConfig({
      interfaces: opts.interfaces,
      ipv4: opts.ipv4 ?? true,
      ipv6: opts.ipv6 ?? host.hasIpv6(),
      extra: opts.extraServerConfig ?? [],
      wideArea: opts.wideArea ?? false,
    }),
  );
  const env = { DBUS_SYSTEM_BUS_ADDRESS: busAddress };
  const clients = new Set<ChildProcess>();

  const dbus = host.spawn('dbus-daemon', ['--config-file', path.join(dir, 'dbus.conf'), '--nofork', '--nopidfile', '--print-address']);
  const dbusLog = collect(dbus);
  let daemon: ChildProcess | undefined;
  let daemonSpawnedAt = 0;
  try {
    await waitForOutput(dbus, /unix:path=/, readyTimeoutMs, `dbus-daemon on ${host.name}`, dbusLog);
    daemonSpawnedAt = performance.now();
    daemon = host.spawn('avahi-daemon', ['--no-drop-root', '--no-chroot', '--no-rlimits', '--no-proc-title', '-f', path.join(dir, 'avahi-daemon.conf')], {
      env,
      mountNs: true,
      preExec:
        `mount -t tmpfs -o mode=0755 nb-run /run; mkdir -p /run/avahi-daemon; ` +
        `if [ -d /etc/avahi/services ]; then mount --bind '${emptyDir}' /etc/avahi/services; fi`,
    });
    const daemonLog = collect(daemon);
    const m = await waitForOutput(
      daemon,
      /Server startup complete\. Host name is ([^ ]+?)\.? Local/,
      readyTimeoutMs,
      `avahi-daemon on ${host.name}`,
      daemonLog,
    );
    const announcedHostname = m[1] ?? '';
    const d = daemon;

    const avahi: Avahi = {
      host,
      busAddress,
      daemon: d,
      dbus,
      env,
      announcedHostname,
      log: () => daemonLog.log,
      daemonSpawnedAt,

      async browse(serviceType, timeoutMs, bopts = {}) {
        const args = ['-r', '-p', '--no-db-lookup'];
        if (!bopts.until) args.push('-t');
        if (bopts.domain) args.push('-d', bopts.domain);
        args.push(serviceType);
        const child = host.spawn('avahi-browse', args, { env });
        clients.add(child);
        let stdout = '';
        let stderr = '';
        try {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => resolve(), timeoutMs);
            child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
              stdout += chunk;
              if (bopts.until && bopts.until(parseAvahiBrowse(stdout))) {
                clearTimeout(timer);
                resolve();
              }
            });
            child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
            child.on('close', (code) => {
              clearTimeout(timer);
              if (code !== 0 && code !== null && !stdout) {
                reject(new Error(`avahi-browse on ${host.name} exited ${code}: ${stderr}`));
              } else resolve();
            });
          });
        } finally {
          await terminate(child, 1000);
          clients.delete(child);
        }
        return parseAvahiBrowse(stdout);
      },

      async publish(name, type, port, txt, popts = {}) {
        const args = ['-s'];
        if (popts.hostname) args.push('-H', popts.hostname);
        for (const st of popts.subtypes ?? []) args.push(`--subtype=${st}`);
        args.push(name, type, String(port), ...txt);
        const child = host.spawn('avahi-publish', args, { env });
        clients.add(child);
        child.on('close', () => clients.delete(child));
        const ref = collect(child);
        try {
          await waitForOutput(child, /Established under name|collision|Failed/i, popts.timeoutMs ?? 10000, `avahi-publish on ${host.name}`, ref);
        } catch (e) {
          await terminate(child, 500);
          throw e;
        }
        if (!/Established under name/.test(ref.log)) {
          await terminate(child, 500);
          throw new Error(`avahi-publish on ${host.name}: ${ref.log}`);
        }
        return child;
      },

      async stop() {
        await Promise.all([...clients].map((c) => terminate(c, 1000)));
        await terminate(d, 3000);
        await terminate(dbus, 2000);
      },
    };
    return avahi;
  } catch (e) {
    if (daemon) await terminate(daemon, 500);
    await terminate(dbus, 500);
    throw e;
  }
}
