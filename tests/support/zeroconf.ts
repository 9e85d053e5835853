// python-zeroconf (Debian's python3-zeroconf, run with /usr/bin/python3) as a third-party mDNS
// peer inside a namespace host. See zeroconf_peer.py.
//
// Pitfalls:
// - /usr/bin/python3 explicitly: a pyenv python first on PATH lacks the module.
// - The peer binds the host's own addresses (IPv4 + IPv6 link-local, turned into interface
//   indexes by zeroconf) rather than InterfaceChoice.All, which would also pick 127.0.0.1 and ::1.
//   zeroconf then chooses IPv4/IPv6/both itself from that list, so an IPv6-only host works.
// - Types must be fully qualified for python-zeroconf ('_sd._udp.local.'); we normalise.
// - Unregistering (SIGTERM) sends goodbye packets over ~0.5 s before the process exits.

import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Host } from './lan.js';

export const PYTHON = '/usr/bin/python3';
export const PEER_SCRIPT = fileURLToPath(new URL('./zeroconf_peer.py', import.meta.url));

export interface ZeroconfPublishOptions {
  instance: string;
  /** Default '_sd._udp.local.' */
  type?: string;
  port: number;
  /** A null value publishes a boolean key (no '='). */
  txt: Record<string, string | null>;
  /** Addresses for the A/AAAA records; default the host's IPv4 + IPv6 link-local addresses. */
  addresses?: string[];
  /** Addresses to bind; default the same as `addresses`. */
  interfaces?: string[];
  /** SRV target; default `<host.hostname>.local.` */
  server?: string;
  /** Also browse `type` and resolve what is found, as an app would (benchmarks). Default false. */
  browse?: boolean;
  /** Called with each stdout line and performance.now() at its arrival, from the spawn on (benchmarks). */
  onLine?: (text: string, t: number) => void;
}

export interface ZeroconfPublisher {
  process: ChildProcess;
  /** Full service name as registered, e.g. 'inst._sd._udp.local.' */
  name: string;
  /** SIGTERM: unregisters (goodbye packets) and exits. */
  stop(): Promise<void>;
  /** stdout+stderr so far, for assertion messages. */
  log(): string;
}

export interface ZeroconfService {
  /** Instance name, e.g. 'My Device' */
  name: string;
  fullName: string;
  type: string;
  server: string;
  port: number;
  addresses: string[];
  txt: Record<string, string>;
  /** TXT strings as on the wire, in order ('key=value' or 'key'). */
  txtRaw: string[];
}

export function fqType(type: string): string {
  let t = type.endsWith('.') ? type.slice(0, -1) : type;
  if (!t.endsWith('.local')) t += '.local';
  return `${t}.`;
}

export async function hostAddresses(host: Host): Promise<string[]> {
  const v6 = (await host.ipv6LinkLocals()).map((a) => a.address);
  return [...host.ipv4Addresses(), ...v6];
}

function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
    }, ms);
    child.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export async function startZeroconfPublisher(
  host: Host,
  opts: ZeroconfPublishOptions,
  readyTimeoutMs = 10000,
): Promise<ZeroconfPublisher> {
  const addresses = opts.addresses ?? (await hostAddresses(host));
  const json = JSON.stringify({
    instance: opts.instance,
    type: fqType(opts.type ?? '_sd._udp.local.'),
    port: opts.port,
    txt: opts.txt,
    addresses,
    interfaces: opts.interfaces ?? addresses,
    server: opts.server ?? `${host.hostname}.local.`,
    ...(opts.browse ? { browse: true } : {}),
  });
  const child = host.spawn(PYTHON, ['-u', PEER_SCRIPT, 'publish', json]);
  let out = '';
  let partial = '';
  const onLine = opts.onLine;
  if (onLine) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      const t = performance.now();
      const parts = (partial + d).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) onLine(text, t);
    });
  }
  const name = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`zeroconf publisher on ${host.name}: no READY after ${readyTimeoutMs} ms:\n${out}`));
    }, readyTimeoutMs);
    const onData = (d: string) => {
      out += d;
      const m = /^READY (.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ?? '');
      }
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`zeroconf publisher on ${host.name} exited (${code}) before READY:\n${out}`));
    });
  });
  return {
    process: child,
    name,
    log: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await waitForExit(child, 5000);
    },
  };
}

export interface ZeroconfBrowseOptions {
  /** Stop as soon as all these instance names are resolved (instead of waiting timeoutMs). */
  expect?: string[];
  /** Addresses to bind; default the host's own. */
  interfaces?: string[];
}

/** Browses `type` from `host` for up to timeoutMs and returns the resolved services. */
export async function zeroconfBrowse(
  host: Host,
  type: string,
  timeoutMs: number,
  opts: ZeroconfBrowseOptions = {},
): Promise<ZeroconfService[]> {
  const json = JSON.stringify({
    type: fqType(type),
    timeout_ms: timeoutMs,
    expect: opts.expect ?? [],
    interfaces: opts.interfaces ?? (await hostAddresses(host)),
  });
  const r = await host.run(PYTHON, ['-u', PEER_SCRIPT, 'browse', json], { timeoutMs: timeoutMs + 10000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !line.startsWith('[')) {
    throw new Error(`zeroconf browse on ${host.name} failed (code ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return JSON.parse(line) as ZeroconfService[];
}
