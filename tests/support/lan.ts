// A private LAN made of Linux network namespaces, for multi-host tests (run as root).
//
//   Lan.create({ hosts: 2 })  ->  switch namespace `<prefix>-sw` with bridge br0 (multicast
//   snooping off, STP off, forward delay 0) and host namespaces `<prefix>-h1..hN`, each with a
//   veth `eth0` whose other end `pI` is a port of br0. Every `ip` command runs with `-n NS` (or
//   `ip netns exec NS`), so the root namespace's interfaces and routes are never touched, and
//   every packet stays inside namespaces created here.
//
//   <prefix> = nb<pid>x<counter>: unique per process (pid) and per LAN within the process, so
//   test files running in parallel never clash; cleanupStaleNamespaces() removes the leftovers
//   of a process that is gone (e.g. killed with SIGKILL), and runs at the start of Lan.create.
//
// Pitfalls (found while building this):
// - Multicast needs `224.0.0.0/4 dev ethX` in the host namespace: without it some stacks fail to
//   send (ENETUNREACH) while reporting success higher up. Taking a link down (or removing its
//   last IPv4 address) makes the kernel drop every IPv4 route through that device, this one
//   included, so setLink(up)/setAddress put it back. Each extra interface gets its own route with
//   a different metric (the same prefix+metric on two devices is EEXIST).
// - IPv6: the kernel adds `multicast ff00::/8 dev ethX table local` by itself when the link comes
//   up, nothing to add. The link-local address is `tentative` for ~1-2 s (DAD) and sockets
//   cannot use it until then: we poll `ip -6 addr` instead of sleeping. Taking a link down
//   removes the link-local address; up brings it back through DAD again (setLink waits for it).
// - Each process needs its own UTS namespace to have its own hostname (mDNS stacks publish it):
//   spawn() goes through `ip netns exec NS unshare --uts sh -c 'hostname X; exec "$@"'`. None of
//   these fork (sh execs the command), so ChildProcess.pid is the command's real PID.
// - `ip netns del` only removes the name: a namespace lives on while a process is inside it,
//   and an orphaned daemon keeps running. destroy() and cleanupStaleNamespaces() therefore kill
//   every PID listed by `ip netns pids` (TERM, then KILL) before deleting.
// - tcpdump on br0 inside the switch namespace sees every frame exactly once: it puts br0 in
//   promiscuous mode, which makes the bridge pass forwarded unicast frames up to br0 too.
// - The switch namespace has IPv6 disabled so br0 itself never sends anything (RS, MLD).
// - LANs never share a link, so their subnets only have to differ within one process (a host
//   attached to two LANs); the pid is mixed in anyway so addresses rarely repeat across files.
// - Lan.router(a, b) joins LANs at the IP level: a namespace `<prefix>-rtN` with an interface on
//   each LAN's bridge and IPv4 forwarding on; every host of those LANs gets a default route via
//   it. Unicast (TCP) crosses; multicast does not (Linux forwards multicast only with a multicast
//   routing daemon, and mDNS's 224.0.0.251 is link-local scope anyway).
// - Host.setHostsFile writes /etc/netns/<ns>/hosts, which `ip netns exec` bind-mounts over
//   /etc/hosts for what runs in that namespace (so names resolve there and nowhere else); the
//   directory is removed with the namespace, and stale ones with stale namespaces.

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCapture, type Capture } from './capture.js';

export type { Capture, CapturedPacket } from './capture.js';

export interface LanOptions {
  hosts: number;
  /** Give the hosts an IPv4 address (10.x.y.I/24) and the multicast route. Default true. */
  ipv4?: boolean;
  /** Enable IPv6 (link-local only). Default true. With false, IPv6 is disabled in the hosts. */
  ipv6?: boolean;
  /**
   * Run IPv6 duplicate address detection (default true, like a real host: the link-local
   * address is usable only after ~1-2 s, which create/attach wait for). false sets
   * accept_dad=0 on the LAN's interfaces: addresses are usable at once (faster tests).
   */
  ipv6Dad?: boolean;
}

export interface AddHostOptions {
  /** Whether IPv6 is enabled in the new host namespace; defaults to the LAN's setting. */
  ipv6?: boolean;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Also unshare the mount namespace (private propagation), e.g. to mount a tmpfs over /run. */
  mountNs?: boolean;
  /** Shell snippet run (with `set -e`) in the new namespaces just before exec'ing the command. */
  preExec?: string;
  /** 'pipe' to write to the child's stdin; default 'ignore' (/dev/null). */
  stdin?: 'pipe' | 'ignore';
}

export interface RunOptions extends SpawnOptions {
  /** Kill the command (TERM, then KILL 1 s later) after this long. Default 15000 ms. */
  timeoutMs?: number;
  /** Written to the command's stdin (which is then closed). */
  input?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface HostInterface {
  name: string; // eth0, eth1, ...
  lan: Lan;
  ipv4: string | null;
  /** Whether IPv6 (link-local) is enabled on this interface. */
  ipv6: boolean;
  /** Peer (bridge port) name inside lan.switchNs. */
  port: string;
}

// ---------------------------------------------------------------------------------------------
// small process helpers

function execP(cmd: string, args: string[], timeoutMs = 15000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${String(stderr).trim() || err.message}`));
      } else resolve(String(stdout));
    });
  });
}

function ip(...args: string[]): Promise<string> {
  return execP('ip', args);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function nsPids(ns: string): Promise<number[]> {
  try {
    const out = await ip('netns', 'pids', ns);
    return out.split(/\s+/).filter(Boolean).map(Number).filter((n) => n > 0 && n !== process.pid);
  } catch {
    return []; // namespace already gone
  }
}

function killAll(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** Ends every process in `ns` (TERM, wait up to graceMs, then KILL) and deletes the namespace. */
async function killAndDelete(ns: string, graceMs = 1500): Promise<void> {
  let pids = await nsPids(ns);
  if (pids.length > 0) {
    killAll(pids, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      await sleep(50);
      pids = (await nsPids(ns)).filter(isAlive);
      if (pids.length === 0) break;
    }
    for (let i = 0; i < 20 && pids.length > 0; i++) {
      killAll(pids, 'SIGKILL');
      await sleep(50);
      pids = (await nsPids(ns)).filter(isAlive);
    }
  }
  try {
    await ip('netns', 'del', ns);
  } catch (e) {
    const names = await listNamespaces().catch(() => [] as string[]);
    if (names.includes(ns)) throw e;
  }
}

async function listNamespaces(): Promise<string[]> {
  const out = await ip('netns', 'list');
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

// ---------------------------------------------------------------------------------------------
// cleanup of LANs not destroyed (exit, signals) and of stale ones (previous killed runs)

const liveLans = new Set<Lan>();
let handlersInstalled = false;

function syncCleanupAll(): void {
  for (const lan of [...liveLans]) lan.destroySync();
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', syncCleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      syncCleanupAll();
      process.removeListener(sig, handler);
      // Keep the default behaviour (die by this signal) unless someone else handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

const STALE_RE = /^nb(\d+)x\d+-/;
/** Per-namespace files `ip netns exec` bind-mounts over /etc (see Host.setHostsFile). */
const ETC_NETNS = '/etc/netns';

/** Deletes namespaces (and temp dirs) named `nb<pid>x...` whose process <pid> is gone. */
export async function cleanupStaleNamespaces(): Promise<void> {
  let names: string[];
  try {
    names = await listNamespaces();
  } catch {
    return;
  }
  const stale = names.filter((n) => {
    const m = STALE_RE.exec(n);
    if (!m) return false;
    const pid = Number(m[1]);
    return pid !== process.pid && !isAlive(pid);
  });
  await Promise.all(stale.map((ns) => killAndDelete(ns, 300).catch(() => undefined)));
  try {
    for (const entry of readdirSync(ETC_NETNS)) {
      const m = STALE_RE.exec(entry);
      if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) rmSync(path.join(ETC_NETNS, entry), { recursive: true, force: true });
    }
  } catch {
    /* no /etc/netns */
  }
  try {
    for (const entry of readdirSync(os.tmpdir())) {
      const m = STALE_RE.exec(entry);
      if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
        rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
      }
    }
  } catch {
    /* ignore */
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

// ---------------------------------------------------------------------------------------------

export class Host {
  readonly name: string;
  readonly ns: string;
  readonly hostname: string;
  /** eth0's IPv4 address (null on an IPv4-less LAN or after setAddress(.., null)). */
  ipv4: string | null = null;
  readonly interfaces: HostInterface[] = [];
  /** The LAN that created this host's namespace (and deletes it). */
  readonly owner: Lan;
  /** Whether IPv6 is enabled in the namespace as a whole (sysctl all/default). */
  readonly ipv6Enabled: boolean;
  private tmpDirs: string[] = [];

  /** @internal use Lan.create / Lan.addHost */
  constructor(owner: Lan, name: string, ns: string, ipv6Enabled: boolean) {
    this.owner = owner;
    this.name = name;
    this.ns = ns;
    this.hostname = ns.toLowerCase(); // nb<pid>x<n>-hI: letters, digits, '-' only
    this.ipv6Enabled = ipv6Enabled;
  }

  /** IPv4 address of an interface (default eth0). */
  ipv4Of(iface = 'eth0'): string | null {
    return this.interfaces.find((i) => i.name === iface)?.ipv4 ?? null;
  }

  /** Whether any LAN interface of this host has IPv6. */
  hasIpv6(): boolean {
    return this.interfaces.some((i) => i.ipv6);
  }

  /** All IPv4 addresses of this host's LAN interfaces. */
  ipv4Addresses(): string[] {
    return this.interfaces.map((i) => i.ipv4).filter((a): a is string => !!a);
  }

  async ipv6LinkLocal(iface = 'eth0'): Promise<string | null> {
    let out: string;
    try {
      out = await ip('-n', this.ns, '-6', '-o', 'addr', 'show', 'dev', iface, 'scope', 'link');
    } catch {
      return null;
    }
    const m = /inet6 (fe80:[0-9a-f:]+)\/\d+/i.exec(out);
    return m?.[1] ?? null;
  }

  /** Link-local IPv6 address of every interface that has one. */
  async ipv6LinkLocals(): Promise<Array<{ iface: string; address: string }>> {
    const res: Array<{ iface: string; address: string }> = [];
    for (const i of this.interfaces) {
      const a = await this.ipv6LinkLocal(i.name);
      if (a) res.push({ iface: i.name, address: a });
    }
    return res;
  }

  /**
   * Starts `cmd args` inside this host: `ip netns exec NS unshare --uts [--mount] sh -c
   * 'hostname X; exec "$@"'`. Nothing forks on the way, so the returned pid is the command's.
   */
  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const unshareArgs = ['--uts'];
    if (opts.mountNs) unshareArgs.push('--mount', '--propagation', 'private');
    const script = `set -e; hostname "$0"; ${opts.preExec ? `${opts.preExec}; ` : ''}exec "$@"`;
    return spawn(
      'ip',
      ['netns', 'exec', this.ns, 'unshare', ...unshareArgs, 'sh', '-c', script, this.hostname, cmd, ...args],
      {
        env: { ...process.env, ...(opts.env ?? {}) },
        cwd: opts.cwd,
        stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
      },
    );
  }

  /** Runs a command to completion inside this host (see spawn), with a timeout. */
  run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = opts.timeoutMs ?? 15000;
    return new Promise((resolve, reject) => {
      const child = this.spawn(cmd, args, { ...opts, stdin: opts.input !== undefined ? 'pipe' : 'ignore' });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), 1000);
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        resolve({ code, signal, stdout, stderr, timedOut });
      });
    });
  }

  async setLink(iface: string, up: boolean): Promise<void> {
    await ip('-n', this.ns, 'link', 'set', 'dev', iface, up ? 'up' : 'down');
    if (!up) return;
    const i = this.interfaces.find((x) => x.name === iface);
    if (i?.ipv4) await this.ensureMulticastRoute(iface);
    if (i?.ipv6) await this.waitForDad(iface);
  }

  /** Replaces the interface's IPv4 address(es) with `cidr` (e.g. '10.1.2.3/24'), or removes them. */
  async setAddress(iface: string, cidr: string | null): Promise<void> {
    await ip('-n', this.ns, '-4', 'addr', 'flush', 'dev', iface);
    if (cidr) {
      await ip('-n', this.ns, 'addr', 'add', cidr, 'dev', iface);
      await this.ensureMulticastRoute(iface);
    }
    const addr = cidr ? (cidr.split('/')[0] ?? null) : null;
    const i = this.interfaces.find((x) => x.name === iface);
    if (i) i.ipv4 = addr;
    if (iface === 'eth0') this.ipv4 = addr;
  }

  /**
   * Names this host resolves (its /etc/hosts, for the processes started in it afterwards):
   * `{ 'nas.example': '10.1.2.3' }`. Removed when the owning LAN is destroyed.
   */
  setHostsFile(names: Record<string, string>): void {
    const dir = path.join(ETC_NETNS, this.ns);
    mkdirSync(dir, { recursive: true });
    const lines = ['127.0.0.1 localhost', '::1 localhost', ...Object.entries(names).map(([name, address]) => `${address} ${name}`)];
    writeFileSync(path.join(dir, 'hosts'), `${lines.join('\n')}\n`);
  }

  /**
   * The DNS servers this host's resolver uses (its /etc/resolv.conf, which `ip netns exec`
   * bind-mounts for the processes started in it afterwards). Removed when the owning LAN is destroyed.
   */
  setResolvConf(nameservers: string[], searchDomains: string[] = []): void {
    const dir = path.join(ETC_NETNS, this.ns);
    mkdirSync(dir, { recursive: true });
    const search = searchDomains.length > 0 ? `search ${searchDomains.join(' ')}\n` : '';
    writeFileSync(path.join(dir, 'resolv.conf'), `${nameservers.map((n) => `nameserver ${n}\n`).join('')}${search}`);
  }

  /** A fresh temp directory, removed when the owning LAN is destroyed. */
  tmpDir(tag = 'tmp'): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), `${this.ns}-${tag}-`));
    this.tmpDirs.push(dir);
    return dir;
  }

  /** @internal */
  removeTmpDirs(): void {
    for (const d of this.tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }

  /** @internal */
  async ensureMulticastRoute(iface: string): Promise<void> {
    const metric = String(Math.max(0, this.interfaces.findIndex((x) => x.name === iface)));
    await ip('-n', this.ns, 'route', 'replace', '224.0.0.0/4', 'dev', iface, 'metric', metric);
  }

  /** Polls until the interface has a link-local IPv6 address that is no longer tentative. */
  async waitForDad(iface = 'eth0', timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await ip('-n', this.ns, '-6', '-o', 'addr', 'show', 'dev', iface);
      if (/dadfailed/.test(last)) throw new Error(`${this.ns} ${iface}: IPv6 DAD failed: ${last}`);
      if (/inet6 fe80:/.test(last) && !/tentative/.test(last)) return;
      await sleep(50);
    }
    throw new Error(`${this.ns} ${iface}: IPv6 link-local address still not ready: ${last.trim()}`);
  }
}

// ---------------------------------------------------------------------------------------------

/** IPv4 router between LANs (Lan.router). */
export class Router {
  constructor(readonly host: Host, private readonly addresses: Map<Lan, string>) {}

  /** The router's address on `lan`. */
  addressOn(lan: Lan): string {
    const a = this.addresses.get(lan);
    if (!a) throw new Error('the router is not on that LAN');
    return a;
  }

  /** Gives `host` (on one of the router's LANs) a default route via the router. */
  async route(host: Host): Promise<void> {
    const iface = host.interfaces.find((i) => this.addresses.has(i.lan));
    if (!iface) throw new Error(`${host.ns} is on none of the router's LANs`);
    await ip('-n', host.ns, 'route', 'replace', 'default', 'via', this.addressOn(iface.lan), 'dev', iface.name);
  }
}

let lanCounter = 0;

export class Lan {
  /** nb<pid>x<counter> */
  readonly prefix: string;
  readonly switchNs: string;
  readonly hosts: Host[] = [];
  /** First three octets of this LAN's /24, e.g. '10.101.57'. */
  readonly subnet: string;
  readonly ipv4: boolean;
  readonly ipv6: boolean;
  readonly ipv6Dad: boolean;
  private nextIndex = 1;
  private routerCount = 0;
  private readonly ownedNs: string[] = [];
  private destroyed = false;
  private destroying: Promise<void> | null = null;
  private readonly captures = new Set<Capture>();

  private constructor(counter: number, opts: LanOptions) {
    this.prefix = `nb${process.pid}x${counter}`;
    this.switchNs = `${this.prefix}-sw`;
    this.subnet = `10.${100 + (counter % 150)}.${process.pid % 256}`;
    this.ipv4 = opts.ipv4 ?? true;
    this.ipv6 = opts.ipv6 ?? true;
    this.ipv6Dad = opts.ipv6Dad ?? true;
  }

  static async create(opts: LanOptions): Promise<Lan> {
    if (!isRoot()) throw new Error('Lan.create needs root (network namespaces)');
    await cleanupStaleNamespaces();
    installExitHandlers();
    const lan = new Lan(++lanCounter, opts);
    liveLans.add(lan);
    try {
      await lan.addNamespace(lan.switchNs);
      const sw = lan.switchNs;
      await ip('-n', sw, 'link', 'set', 'lo', 'up');
      await ip('netns', 'exec', sw, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
      await ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0', 'forward_delay', '0');
      await ip('-n', sw, 'link', 'set', 'br0', 'up');
      await Promise.all(Array.from({ length: opts.hosts }, () => lan.addHost()));
    } catch (e) {
      await lan.destroy().catch(() => undefined);
      throw e;
    }
    return lan;
  }

  private async addNamespace(ns: string): Promise<void> {
    this.ownedNs.push(ns); // before creating: a half-made LAN is still cleaned up
    await ip('netns', 'add', ns);
  }

  /** One more host (namespace `<prefix>-hK`) with eth0 on this LAN. */
  async addHost(opts: AddHostOptions = {}): Promise<Host> {
    if (this.destroyed) throw new Error('LAN destroyed');
    const k = this.hosts.length + 1;
    const idx = this.nextIndex++; // allocated synchronously: parallel addHost calls stay ordered
    const ipv6 = opts.ipv6 ?? this.ipv6;
    const host = new Host(this, `h${k}`, `${this.prefix}-h${k}`, ipv6);
    this.hosts.push(host);
    await this.addNamespace(host.ns);
    await ip('-n', host.ns, 'link', 'set', 'lo', 'up');
    if (!ipv6) {
      await ip('netns', 'exec', host.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    }
    await this.connect(host, idx);
    return host;
  }

  /**
   * Gives `host` (usually from another LAN) one more interface (eth1, eth2, ...) on this LAN.
   * Returns its IPv4 address, or '' on an IPv4-less LAN.
   */
  async attach(host: Host): Promise<string> {
    if (this.destroyed) throw new Error('LAN destroyed');
    const i = await this.connect(host, this.nextIndex++);
    return i.ipv4 ?? '';
  }

  private async connect(host: Host, idx: number): Promise<HostInterface> {
    if (idx > 254) throw new Error('too many hosts on one /24');
    const iface = `eth${host.interfaces.length}`;
    const port = `p${idx}`;
    const wantV6 = this.ipv6;
    const info: HostInterface = { name: iface, lan: this, ipv4: this.ipv4 ? `${this.subnet}.${idx}` : null, ipv6: wantV6, port };
    host.interfaces.push(info);
    const sw = this.switchNs;
    // Created inside the switch namespace with the peer put straight into the host namespace:
    // no interface ever appears in the root namespace.
    await ip('-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', iface, 'netns', host.ns);
    await ip('-n', sw, 'link', 'set', port, 'master', 'br0', 'up');
    // Per-interface IPv6 follows the LAN: a host created without IPv6 (all/default disabled)
    // gets it on an interface attached to an IPv6 LAN, and the other way round.
    const sysctls: string[] = [];
    if (host.ipv6Enabled !== wantV6) sysctls.push(`net.ipv6.conf.${iface}.disable_ipv6=${wantV6 ? 0 : 1}`);
    if (wantV6 && !this.ipv6Dad) sysctls.push(`net.ipv6.conf.${iface}.accept_dad=0`);
    if (sysctls.length > 0) await ip('netns', 'exec', host.ns, 'sysctl', '-qw', ...sysctls);
    if (info.ipv4) await ip('-n', host.ns, 'addr', 'add', `${info.ipv4}/24`, 'dev', iface);
    await ip('-n', host.ns, 'link', 'set', iface, 'up');
    if (info.ipv4) await host.ensureMulticastRoute(iface);
    if (iface === 'eth0') host.ipv4 = info.ipv4;
    if (wantV6) await host.waitForDad(iface);
    return info;
  }

  /**
   * A router joining `lans` at the IP level (see the pitfalls at the top): namespace
   * `<prefix of the first LAN>-rtN`, one interface on each LAN, IPv4 forwarding on; every host
   * now on those LANs gets a default route via it (Router.route(host) for hosts added later).
   * Deleted with the first LAN.
   */
  static async router(...lans: Lan[]): Promise<Router> {
    const owner = lans[0];
    if (!owner || lans.length < 2) throw new Error('a router joins at least two LANs');
    if (lans.some((l) => !l.ipv4)) throw new Error('a router needs IPv4 LANs');
    const ns = `${owner.prefix}-rt${++owner.routerCount}`;
    await owner.addNamespace(ns);
    const host = new Host(owner, `rt${owner.routerCount}`, ns, true);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    const addresses = new Map<Lan, string>();
    for (const lan of lans) {
      const i = await lan.connect(host, lan.nextIndex++);
      addresses.set(lan, i.ipv4 ?? '');
    }
    const router = new Router(host, addresses);
    for (const lan of lans) for (const h of lan.hosts) await router.route(h);
    return router;
  }

  /** tcpdump on br0 in the switch namespace (default filter 'udp port 5353'); ready when resolved. */
  async capture(filter = 'udp port 5353'): Promise<Capture> {
    if (this.destroyed) throw new Error('LAN destroyed');
    const c = await startCapture(this.switchNs, 'br0', filter);
    this.captures.add(c);
    return c;
  }

  /** Ends every process in this LAN's namespaces (by PID, TERM then KILL) and deletes them. */
  destroy(): Promise<void> {
    if (!this.destroying) this.destroying = this.doDestroy();
    return this.destroying;
  }

  private async doDestroy(): Promise<void> {
    this.destroyed = true;
    // Captures still running end gracefully (their packets stay readable through stop()).
    await Promise.allSettled([...this.captures].map((c) => c.stop()));
    const hostNs = this.ownedNs.filter((n) => n !== this.switchNs);
    const errors: unknown[] = [];
    // Hosts first (their processes may want to say goodbye on the wire), then the switch.
    const results = await Promise.allSettled(hostNs.map((ns) => killAndDelete(ns)));
    results.forEach((r) => r.status === 'rejected' && errors.push(r.reason));
    if (this.ownedNs.includes(this.switchNs)) {
      await killAndDelete(this.switchNs).catch((e) => errors.push(e));
    }
    for (const h of this.hosts) h.removeTmpDirs();
    this.removeEtcNetns();
    liveLans.delete(this);
    if (errors.length > 0) throw new AggregateError(errors, `Lan ${this.prefix}: cleanup errors`);
  }

  /** @internal synchronous best-effort cleanup for process exit / signals. */
  /** @internal the /etc/netns/<ns> directories of this LAN's namespaces (Host.setHostsFile). */
  removeEtcNetns(): void {
    for (const ns of this.ownedNs) rmSync(path.join(ETC_NETNS, ns), { recursive: true, force: true });
    try {
      rmdirSync(ETC_NETNS); // only when empty: it did not exist before (or another LAN still uses it)
    } catch {
      /* not empty, or gone */
    }
  }

  destroySync(): void {
    this.destroyed = true;
    this.removeEtcNetns();
    for (const ns of this.ownedNs) {
      try {
        const out = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        killAll(
          out.split(/\s+/).filter(Boolean).map(Number).filter((p) => p > 0 && p !== process.pid),
          'SIGKILL',
        );
      } catch {
        /* gone */
      }
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
    }
    for (const h of this.hosts) {
      try {
        h.removeTmpDirs();
      } catch {
        /* ignore */
      }
    }
    liveLans.delete(this);
  }
}

/** Namespaces of this process that still exist (for tests asserting cleanup). */
export async function ownNamespaces(): Promise<string[]> {
  const names = await listNamespaces();
  return names.filter((n) => n.startsWith(`nb${process.pid}x`));
}
