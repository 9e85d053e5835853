// The three implementations, behind one shape, so every scenario runs the same steps for each:
//   ours     - `sd-nearby serve` (the built CLI), one process per host: publisher + browser.
//   avahi    - avahi-daemon per host (private D-Bus), avahi-publish -s, avahi-browse -rp.
//   zeroconf - python3-zeroconf (Debian's), tests/support/zeroconf_peer.py publish | watch.
//
// Marks (performance.now()): `startedAt` is the spawn of the process that publishes or browses
// (ours: the node; avahi: the avahi-publish client, the daemon already running - or, for a fresh
// browser, the daemon's own spawn; zeroconf: the python process). `readyAt` is the point where
// the stack says it is up: ours the `api ...` line (after its discovery engine started), avahi
// "Established under name" (after probing) / the avahi-browse spawn on a daemon that just
// finished starting, zeroconf READY (register_service returned) / the watcher's first line.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Host } from '../../tests/support/lan.js';
import { startAvahi, unescapeAvahiLabel, type Avahi } from '../../tests/support/avahi.js';
import { hostAddresses, PEER_SCRIPT, PYTHON, startZeroconfPublisher, type ZeroconfPublisher } from '../../tests/support/zeroconf.js';
import { CLI, NearbyProcess } from '../../tests/support/nearby.js';
import { StateSubscription } from './look.js';
import { EventLog, now, Watched, type ObsEvent } from './proc.js';

export type ImplName = 'ours' | 'avahi' | 'zeroconf';
export const IMPLS: ImplName[] = ['ours', 'avahi', 'zeroconf'];

export interface Observer {
  events: EventLog;
  /** ours with `look`: the client subscribed to the observer's state (/api/events). */
  look?: StateSubscription;
  proc: Watched;
  startedAt: number;
  readyAt: number;
  /** ours only: when the observer's cache first had `key` (its firstSeen), as performance.now() time. */
  firstSeenAt?(key: string): Promise<number | null>;
  stop(): Promise<void>;
}

export interface Publisher {
  /** What the observers report this instance as (ours: the device name; others: the instance name). */
  key: string;
  host: Host;
  startedAt: number;
  readyAt: number;
  /** The clean way down: SIGTERM to the publishing process (goodbye packets expected). */
  terminate(): void;
  /** A crash: SIGKILL to everything that speaks mDNS for this publisher on its host. */
  crash(): void;
  /** Waits for the processes to be gone (after terminate/crash), killing them if needed. */
  cleanup(): Promise<void>;
}

/** A host in the packet-rate and boot-storm scenario: publishes and browses, like an app would. */
export interface Peer {
  /** What the other hosts' observers report this one as (see Publisher.key). */
  key: string;
  host: Host;
  /** Its own browser's listed/dropped events, from its start on (ours: serve's `+`/`-` lines,
   *  which are not a look at the node). */
  events: EventLog;
  /** ours started with `look`: a client subscribed to its state (/api/events) from its ready
   *  mark on, and what that client saw. */
  look?: StateSubscription;
  /** performance.now() at the spawn of its first process, and at its ready mark. */
  startedAt: number;
  readyAt: number;
  /** The processes that make up the stack on this host, for CPU and memory (avahi: daemon,
   *  avahi-publish, avahi-browse; its private D-Bus is not counted). */
  pids(): number[];
  /** How many other instances it lists now (from `events`: asking the node would be a look). */
  seen(): number;
  /** A crash: SIGKILL to everything that speaks mDNS for it on its host (see Publisher.crash). */
  crash(): void;
  /** The host goes silent: its eth0 taken down inside its namespace (no goodbye, no RST). */
  silence(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of Impl.startPeer / startObserver. */
export interface StartOptions {
  /** ours: subscribe to the node's state (/api/events) from its ready mark on, as an open app
   *  window would; the references have no such notion (their browsers always browse). */
  look?: boolean;
}

/** The instances `events` lists at the end of it, without `own`. */
export function listedNow(events: EventLog, own: string): Set<string> {
  const names = new Set<string>();
  for (const e of events.events) {
    if (e.kind === 'listed') names.add(e.key);
    else names.delete(e.key);
  }
  names.delete(own);
  return names;
}

export interface Impl {
  readonly name: ImplName;
  startObserver(host: Host, opts?: { fresh?: boolean } & StartOptions): Promise<Observer>;
  startPublisher(host: Host, tag: string): Promise<Publisher>;
  startPeer(host: Host, tag: string, opts?: StartOptions): Promise<Peer>;
  /** Stops whatever the implementation keeps per host (daemons). */
  shutdown(): Promise<void>;
}

/** A valid remote identity: 32 random bytes, standard base64 without padding (43 characters). */
export function randomIdentity(): string {
  return randomBytes(32).toString('base64').replace(/=+$/, '');
}

let portCounter = 7100;
const nextPort = () => ++portCounter;
const TYPE = '_sd._udp';
const FQ_TYPE = '_sd._udp.local.';

// ---------------------------------------------------------------------------------------------
// ours

function spawnNode(host: Host, name: string): { proc: Watched; api: NearbyProcess } {
  const dataDir = host.tmpDir('node');
  const socketPath = join(dataDir, 'api.sock');
  const args = [CLI, 'serve', '--data-dir', dataDir, '--api', `unix:${socketPath}`, '--name', name];
  const t0 = now();
  const child = host.spawn(process.execPath, args);
  const proc = new Watched(child, t0, `ours ${host.name} ${name}`);
  return { proc, api: new NearbyProcess(host, child, dataDir, socketPath) };
}

async function nodeReady(proc: Watched, timeoutMs = 20000): Promise<number> {
  const l = await proc.waitLine((x) => x.stream === 'stdout' && x.text.startsWith('api unix:'), timeoutMs);
  if (!l) throw new Error(`${proc.label}: no 'api' line within ${timeoutMs} ms:\n${proc.tail()}`);
  return l.t;
}

/** `+ NAME (os...) address` and `- NAME` lines of `sd-nearby serve`: one per list entry, so a
 *  name is listed while it has entries (a device that linked to us before we heard its mDNS
 *  answer changes entry: `+ NAME` for the new one comes before `- NAME` for the old). */
function oursEvents(proc: Watched): EventLog {
  const log = new EventLog();
  const entries = new Map<string, number>();
  proc.on('line', (l) => {
    if (l.stream !== 'stdout') return;
    const add = /^\+ (.+?) \((.*)$/.exec(l.text);
    if (add) {
      const n = (entries.get(add[1]!) ?? 0) + 1;
      entries.set(add[1]!, n);
      if (n === 1) log.push({ t: l.t, kind: 'listed', key: add[1]!, detail: add[2]! });
    } else if (l.text.startsWith('- ')) {
      const key = l.text.slice(2);
      const n = (entries.get(key) ?? 0) - 1;
      if (n > 0) entries.set(key, n);
      else if (entries.delete(key)) log.push({ t: l.t, kind: 'dropped', key });
    }
  });
  return log;
}

class Ours implements Impl {
  readonly name = 'ours' as const;

  async startObserver(host: Host, opts: StartOptions = {}): Promise<Observer> {
    const { proc, api } = spawnNode(host, `bench-observer-${host.name}-${randomBytes(2).toString('hex')}`);
    const events = oursEvents(proc);
    const readyAt = await nodeReady(proc);
    const look = opts.look ? await StateSubscription.open(api.socketPath, proc.label) : undefined;
    const firstSeenAt = async (key: string) => {
      const peer = (await api.state()).peers.find((p) => p.name === key);
      // firstSeen has millisecond resolution, on the same clock as Date.now().
      return peer ? Date.parse(peer.firstSeen) - (Date.now() - now()) : null;
    };
    const stop = async () => {
      look?.close();
      await proc.stop('SIGTERM');
    };
    return { events, proc, startedAt: proc.spawnedAt, readyAt, firstSeenAt, stop, ...(look ? { look } : {}) };
  }

  async startPublisher(host: Host, tag: string): Promise<Publisher> {
    const name = `bench-${tag}`;
    const { proc } = spawnNode(host, name);
    const readyAt = await nodeReady(proc);
    return {
      key: name,
      host,
      startedAt: proc.spawnedAt,
      readyAt,
      terminate: () => proc.signal('SIGTERM'),
      crash: () => proc.signal('SIGKILL'),
      cleanup: () => proc.reap(2000),
    };
  }

  async startPeer(host: Host, tag: string, opts: StartOptions = {}): Promise<Peer> {
    const key = `bench-${tag}`;
    const { proc, api } = spawnNode(host, key);
    const events = oursEvents(proc);
    const readyAt = await nodeReady(proc, 60_000);
    const look = opts.look ? await StateSubscription.open(api.socketPath, proc.label, 30_000) : undefined;
    return {
      key,
      host,
      events,
      ...(look ? { look } : {}),
      startedAt: proc.spawnedAt,
      readyAt,
      pids: () => (proc.alive && proc.child.pid !== undefined ? [proc.child.pid] : []),
      seen: () => listedNow(events, key).size,
      crash: () => proc.signal('SIGKILL'),
      silence: () => host.setLink('eth0', false),
      stop: async () => {
        look?.close();
        await proc.stop('SIGTERM');
      },
    };
  }

  async shutdown(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// avahi

/** avahi-browse -r -p lines: listed at the first resolved ('=') line, dropped when every
 *  (interface, protocol) entry that was added ('+') has been removed ('-'). */
function avahiEvents(proc: Watched, log = new EventLog()): EventLog {
  const present = new Map<string, Set<string>>();
  const listed = new Set<string>();
  proc.on('line', (l) => {
    if (l.stream !== 'stdout') return;
    const f = l.text.split(';');
    if (f.length < 6 || f[4] !== TYPE) return;
    const name = unescapeAvahiLabel(f[3]!);
    const where = `${f[1]};${f[2]}`;
    if (f[0] === '+') {
      let s = present.get(name);
      if (!s) present.set(name, (s = new Set()));
      s.add(where);
    } else if (f[0] === '=') {
      if (!listed.has(name)) {
        listed.add(name);
        log.push({ t: l.t, kind: 'listed', key: name, detail: `${f[2]} ${f[7]}` });
      }
    } else if (f[0] === '-') {
      const s = present.get(name);
      s?.delete(where);
      if (!s || s.size === 0) {
        present.delete(name);
        if (listed.delete(name)) log.push({ t: l.t, kind: 'dropped', key: name });
      }
    }
  });
  return log;
}

class AvahiImpl implements Impl {
  readonly name = 'avahi' as const;
  private readonly daemons = new Map<Host, Avahi>();

  private alive(a: Avahi): boolean {
    return a.daemon.exitCode === null && a.daemon.signalCode === null;
  }

  /** The host's daemon; a new one when `fresh` or when the old one is gone. */
  async daemon(host: Host, fresh = false): Promise<Avahi> {
    const old = this.daemons.get(host);
    if (old && !fresh && this.alive(old)) return old;
    if (old) await old.stop();
    const a = await startAvahi(host);
    this.daemons.set(host, a);
    return a;
  }

  private browse(host: Host, a: Avahi): Watched {
    const t0 = now();
    const child = host.spawn('avahi-browse', ['-r', '-p', '--no-db-lookup', TYPE], { env: a.env });
    return new Watched(child, t0, `avahi-browse ${host.name}`);
  }

  async startObserver(host: Host, opts: { fresh?: boolean } = {}): Promise<Observer> {
    const a = await this.daemon(host, opts.fresh ?? false);
    const proc = this.browse(host, a);
    const events = avahiEvents(proc);
    return {
      events,
      proc,
      startedAt: opts.fresh ? a.daemonSpawnedAt : proc.spawnedAt,
      readyAt: proc.spawnedAt,
      stop: () => proc.stop('SIGTERM', 1000),
    };
  }

  /** One more avahi-browse on the host's running daemon (its cache is warm). */
  async extraBrowser(host: Host): Promise<Observer> {
    const a = await this.daemon(host);
    const proc = this.browse(host, a);
    return { events: avahiEvents(proc), proc, startedAt: proc.spawnedAt, readyAt: proc.spawnedAt, stop: () => proc.stop('SIGTERM', 1000) };
  }

  async startPublisher(host: Host, tag: string): Promise<Publisher> {
    const a = await this.daemon(host);
    const instance = randomIdentity();
    const t0 = now();
    const child = await a.publish(instance, TYPE, nextPort(), [`name=bench-${tag}`, 'operating_system=linux', 'version=0.4.2']);
    const readyAt = now();
    const proc = new Watched(child, t0, `avahi-publish ${host.name}`);
    return {
      key: instance,
      host,
      startedAt: t0,
      readyAt,
      terminate: () => proc.signal('SIGTERM'),
      crash: () => {
        // The daemon holds the sockets: killing only the client would let the daemon say goodbye.
        a.daemon.kill('SIGKILL');
        proc.signal('SIGKILL');
      },
      cleanup: () => proc.reap(2000),
    };
  }

  async startPeer(host: Host, tag: string): Promise<Peer> {
    const t0 = now();
    const a = await this.daemon(host);
    const instance = randomIdentity();
    // Browsing starts with the daemon, as an app's browser would; then the service is published.
    const proc = this.browse(host, a);
    const events = avahiEvents(proc);
    // In a boot storm of 30 daemons, probing can take well over the usual 10 s allowance.
    const publisher = await a.publish(instance, TYPE, nextPort(), [`name=bench-${tag}`, 'operating_system=linux', 'version=0.4.2'], { timeoutMs: 60_000 });
    const readyAt = now();
    return {
      key: instance,
      host,
      events,
      startedAt: t0,
      readyAt,
      pids: () => [a.daemon, publisher, proc.child].filter((c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined).map((c) => c.pid!),
      seen: () => listedNow(events, instance).size,
      crash: () => {
        a.daemon.kill('SIGKILL');
        publisher.kill('SIGKILL');
        proc.signal('SIGKILL');
      },
      silence: () => host.setLink('eth0', false),
      stop: async () => {
        await proc.stop('SIGTERM', 1000);
        await a.stop();
        this.daemons.delete(host);
      },
    };
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([...this.daemons.values()].map((a) => a.stop()));
    this.daemons.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// python-zeroconf

/** One line of zeroconf_peer.py: `{"ev": "resolved" | "removed", "name": ...}` becomes an event. */
function pushZeroconfEvent(log: EventLog, text: string, t: number): void {
  if (!text.startsWith('{')) return;
  let ev: { ev?: string; name?: string; addresses?: string[] };
  try {
    ev = JSON.parse(text) as typeof ev;
  } catch {
    return;
  }
  if (!ev.name) return;
  if (ev.ev === 'resolved') log.push({ t, kind: 'listed', key: ev.name, detail: (ev.addresses ?? []).join(' ') });
  else if (ev.ev === 'removed') log.push({ t, kind: 'dropped', key: ev.name });
}

function zeroconfEvents(proc: Watched, log = new EventLog()): EventLog {
  proc.on('line', (l) => {
    if (l.stream === 'stdout') pushZeroconfEvent(log, l.text, l.t);
  });
  return log;
}

class ZeroconfImpl implements Impl {
  readonly name = 'zeroconf' as const;
  private readonly addrs = new Map<Host, string[]>();

  private async addresses(host: Host): Promise<string[]> {
    let a = this.addrs.get(host);
    if (!a) this.addrs.set(host, (a = await hostAddresses(host)));
    return a;
  }

  async startObserver(host: Host): Promise<Observer> {
    const json = JSON.stringify({ type: FQ_TYPE, interfaces: await this.addresses(host) });
    const t0 = now();
    const child = host.spawn(PYTHON, ['-u', PEER_SCRIPT, 'watch', json]);
    const proc = new Watched(child, t0, `zeroconf watch ${host.name}`);
    const events = zeroconfEvents(proc);
    const ready = await proc.waitLine((l) => l.text.includes('"ev": "started"'), 20000);
    if (!ready) throw new Error(`zeroconf watcher on ${host.name} did not start:\n${proc.tail()}`);
    return { events, proc, startedAt: t0, readyAt: ready.t, stop: () => proc.stop('SIGTERM', 3000) };
  }

  private async publish(host: Host, tag: string, browse: boolean, events?: EventLog): Promise<{ pub: ZeroconfPublisher; instance: string; t0: number; readyAt: number }> {
    const addresses = await this.addresses(host);
    const instance = randomIdentity();
    const t0 = now();
    const pub = await startZeroconfPublisher(
      host,
      {
        instance,
        port: nextPort(),
        txt: { name: `bench-${tag}`, operating_system: 'linux', version: '0.4.2' },
        addresses,
        interfaces: addresses,
        browse,
        ...(events ? { onLine: (text: string, t: number) => pushZeroconfEvent(events, text, t) } : {}),
      },
      20000,
    );
    return { pub, instance, t0, readyAt: now() };
  }

  async startPublisher(host: Host, tag: string): Promise<Publisher> {
    const { pub, instance, t0, readyAt } = await this.publish(host, tag, false);
    return {
      key: `${instance}.${FQ_TYPE}`,
      host,
      startedAt: t0,
      readyAt,
      terminate: () => pub.process.kill('SIGTERM'),
      crash: () => pub.process.kill('SIGKILL'),
      cleanup: async () => {
        const w = new Promise<void>((r) => (pub.process.exitCode !== null || pub.process.signalCode !== null ? r() : pub.process.once('exit', () => r())));
        const t = setTimeout(() => pub.process.kill('SIGKILL'), 2000);
        await w;
        clearTimeout(t);
      },
    };
  }

  async startPeer(host: Host, tag: string): Promise<Peer> {
    const events = new EventLog();
    const { pub, instance, t0, readyAt } = await this.publish(host, tag, true, events);
    const own = `${instance}.${FQ_TYPE}`;
    return {
      key: own,
      host,
      events,
      startedAt: t0,
      readyAt,
      pids: () => (pub.process.exitCode === null && pub.process.signalCode === null && pub.process.pid !== undefined ? [pub.process.pid] : []),
      seen: () => listedNow(events, own).size,
      crash: () => pub.process.kill('SIGKILL'),
      silence: () => host.setLink('eth0', false),
      stop: () => pub.stop(),
    };
  }

  async shutdown(): Promise<void> {}
}

export function makeImpl(name: ImplName): Impl {
  switch (name) {
    case 'ours':
      return new Ours();
    case 'avahi':
      return new AvahiImpl();
    case 'zeroconf':
      return new ZeroconfImpl();
  }
}

export function isAvahi(impl: Impl): impl is AvahiImpl {
  return impl.name === 'avahi';
}

export type { ObsEvent };
