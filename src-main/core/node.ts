// The node itself (DESIGN §3): identity, settings, libraries and discovery behind the contract.
// Both shells (the headless server, and later Electron) drive it only through `invoke` and 'state'.

import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { platform } from 'node:os';
import { readFileSync } from 'node:fs';
import { CommandError, parsePayload, type CommandName, type CommandPayloads, type CommandResults, type NodeApi, type NodeState } from '../../src-shared/contract.js';
import { encodeTxt } from '../../src-shared/txtCodec.js';
import type { DiscoveryMode, OperatingSystem, Peer } from '../../src-shared/peer.js';
import { loadOrCreateIdentity, type LoadedIdentity } from './identityKey.js';
import { SettingsStore } from './settings.js';
import { LibraryStore } from './libraries.js';
import { DiscoveryEngine, hostnameForIdentity } from './discovery/engine.js';
import { ManualPeers } from './manualPeers.js';
import { parseManualPeer } from '../../src-shared/manualPeer.js';
import { MANUAL_PEERS_MAX } from './settings.js';
import type { Advertisement } from './discovery/ownRecords.js';

const STATE_EVENT_DELAY_MS = 30;
const WARNINGS_MAX = 10;

export interface NodeOptions {
  dataDir: string;
  version: string;
  /** Overrides (and saves) the device name. */
  name?: string | null;
  /** Overrides (and saves) the discovery mode. */
  mode?: DiscoveryMode | null;
  /** P2P port: a number, or null for the saved setting, else random. */
  port?: number | null;
  /** Libraries to have active, by name (created when missing). */
  libraries?: string[];
  deviceModel?: string | null;
}

export function currentOperatingSystem(): OperatingSystem {
  switch (platform()) {
    case 'darwin': return 'macos';
    case 'win32': return 'windows';
    case 'linux': return 'linux';
    case 'android': return 'android';
    default: return 'other';
  }
}

/** A device model from the firmware's chassis type (SMBIOS), where the OS exposes it. */
function detectDeviceModel(): string | null {
  if (platform() !== 'linux') return null;
  try {
    const chassis = Number(readFileSync('/sys/class/dmi/id/chassis_type', 'utf8').trim());
    if ([8, 9, 10, 14, 31, 32].includes(chassis)) return 'Laptop';
    if ([3, 4, 5, 6, 7, 13, 15, 16, 35, 36].includes(chassis)) return 'Desktop';
    if ([17, 23, 28, 29].includes(chassis)) return 'Server';
  } catch {
    // Not readable (container, other OS): no model is advertised.
  }
  return null;
}

/** Turns a failed listen into a sentence a person can act on. */
function describeListenError(err: NodeJS.ErrnoException, port: number): Error {
  if (err.code === 'EADDRINUSE') return new Error(`port ${port} is in use by another program; choose another with --port, or leave it out for a random one`);
  if (err.code === 'EACCES') return new Error(`port ${port} needs privileges this user does not have; choose a port above 1023`);
  return new Error(`cannot listen on port ${port}: ${err.message}`);
}

export class NearbyNode extends EventEmitter<{ state: [NodeState] }> implements NodeApi {
  private readonly engine = new DiscoveryEngine();
  private readonly manualPeers = new ManualPeers();
  private p2pServer: Server | null = null;
  private port = 0;
  private readonly warnings: string[] = [];
  private stateTimer: NodeJS.Timeout | null = null;
  /** Mode changes and advertisement updates run one at a time, in order. */
  private discoveryQueue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly deviceModel: string | null;

  private constructor(
    private readonly opts: NodeOptions,
    private readonly identity: LoadedIdentity,
    private readonly settings: SettingsStore,
    private readonly libraries: LibraryStore,
  ) {
    super();
    this.deviceModel = opts.deviceModel === undefined ? detectDeviceModel() : opts.deviceModel;
    for (const problem of [identity.problem, settings.problem, libraries.problem]) if (problem) this.warn(problem);
    this.engine.on('peers', () => this.scheduleState());
    this.engine.on('warning', (w) => this.warn(w));
    this.libraries.on('change', () => this.readvertise());
    this.settings.on('change', () => this.scheduleState());
    this.manualPeers.on('change', () => this.scheduleState());
  }

  static async open(opts: NodeOptions): Promise<NearbyNode> {
    const identity = await loadOrCreateIdentity(opts.dataDir);
    const settings = await SettingsStore.load(opts.dataDir);
    const libraries = await LibraryStore.load(opts.dataDir);
    const node = new NearbyNode(opts, identity, settings, libraries);
    const patch: { name?: string; discovery?: DiscoveryMode } = {};
    if (opts.name) patch.name = opts.name;
    if (opts.mode) {
      node.assertModeAvailable(opts.mode);
      patch.discovery = opts.mode;
    }
    if (Object.keys(patch).length > 0) await settings.update(patch);
    for (const name of opts.libraries ?? []) {
      const existing = libraries.list().find((l) => l.name === name);
      if (!existing) await libraries.create(name);
      else if (!existing.active) await libraries.activate(existing.uuid);
    }
    return node;
  }

  get remoteIdentity(): string {
    return this.identity.identity;
  }

  get p2pPort(): number {
    return this.port;
  }

  /** Binds the P2P port (advertised in SRV), then applies the saved discovery mode. */
  async start(): Promise<void> {
    const wanted = this.opts.port ?? this.settings.get().port ?? 0;
    this.p2pServer = createServer((socket) => socket.destroy()); // the P2P protocol comes with the link (DESIGN §5)
    const server = this.p2pServer;
    const listen = (host: string) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: wanted, host, ipv6Only: false }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    try {
      await listen('::').catch(async (err: NodeJS.ErrnoException) => {
        // A host (or container) without IPv6: IPv4 only.
        if (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL') await listen('0.0.0.0');
        else throw err;
      });
    } catch (err) {
      throw describeListenError(err as NodeJS.ErrnoException, wanted);
    }
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : wanted;
    await this.applyMode(this.settings.get().discovery);
    this.manualPeers.sync(this.settings.get().manualPeers);
  }

  /** Goodbyes, then sockets closed: safe to exit afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.discoveryQueue;
    this.manualPeers.stop();
    await this.engine.stop();
    await new Promise<void>((resolve) => (this.p2pServer ? this.p2pServer.close(() => resolve()) : resolve()));
    if (this.stateTimer) clearTimeout(this.stateTimer);
  }

  private warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    if (this.warnings.length > WARNINGS_MAX) this.warnings.shift();
    this.scheduleState();
  }

  private scheduleState(): void {
    if (this.stateTimer || this.closed) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = null;
      this.emit('state', this.state());
    }, STATE_EVENT_DELAY_MS);
  }

  private assertModeAvailable(mode: DiscoveryMode): void {
    if (mode === 'contacts-only') {
      throw new CommandError('refused', 'Contacts only mode is not available yet (it comes with pairing); choose Everyone or Disabled');
    }
  }

  advertisement(): Advertisement {
    const s = this.settings.get();
    const encoded = encodeTxt({
      name: s.name,
      operatingSystem: currentOperatingSystem(),
      deviceModel: this.deviceModel,
      version: this.opts.version,
      libraries: this.libraries.active().map((l) => ({ uuid: l.uuid, identity: this.identity.identity })),
    });
    return { instance: this.identity.identity, hostname: hostnameForIdentity(this.identity.identity), port: this.port, txt: encoded.strings };
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.discoveryQueue.then(task);
    this.discoveryQueue = run.catch(() => {});
    return run;
  }

  private applyMode(mode: DiscoveryMode): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      if (mode === 'disabled') await this.engine.stop();
      else await this.engine.start(this.advertisement());
      this.scheduleState();
    });
  }

  /** The libraries hook (DESIGN §1): the TXT record follows at once. */
  private readvertise(): void {
    void this.enqueue(async () => {
      if (this.engine.isRunning) this.engine.setAdvertisement(this.advertisement());
      this.scheduleState();
    });
  }

  peers(): Peer[] {
    return this.engine.peers().sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  state(): NodeState {
    const s = this.settings.get();
    let discoveryNote: string | null = null;
    if (s.discovery === 'disabled') {
      discoveryNote = 'Discovery is off: this device is invisible and sees no one. Choose Everyone to find nearby devices.';
    } else if (this.engine.isRunning && this.engine.interfaces().length === 0) {
      discoveryNote = 'No network connection: discovery starts when this device joins a network.';
    }
    return {
      self: {
        identity: this.identity.identity,
        name: s.name,
        hostname: `${hostnameForIdentity(this.identity.identity)}.local`,
        port: this.port,
        operatingSystem: currentOperatingSystem(),
        deviceModel: this.deviceModel,
        version: this.opts.version,
      },
      mode: s.discovery,
      discoveryNote,
      libraries: this.libraries.list(),
      peers: s.discovery === 'disabled' ? [] : this.peers(),
      manualPeers: this.manualPeers.list(),
      warnings: [...this.warnings],
    };
  }

  /** Runs one command of the contract; the payload is validated here whatever the transport did. */
  async invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]> {
    if (this.closed) throw new CommandError('refused', 'the node is shutting down');
    const p = parsePayload(command, payload) as CommandPayloads[CommandName];
    const result = await this.run(command, p);
    return result as CommandResults[K];
  }

  private async run(command: CommandName, p: CommandPayloads[CommandName]): Promise<CommandResults[CommandName]> {
    switch (command) {
      case 'getState':
        return this.state();
      case 'setMode': {
        const { mode } = p as CommandPayloads['setMode'];
        this.assertModeAvailable(mode);
        await this.settings.update({ discovery: mode });
        await this.applyMode(mode);
        return this.state();
      }
      case 'setName': {
        await this.settings.update({ name: (p as CommandPayloads['setName']).name });
        this.readvertise();
        await this.discoveryQueue;
        return this.state();
      }
      case 'createLibrary':
        return this.libraries.create((p as CommandPayloads['createLibrary']).name);
      case 'renameLibrary': {
        const { uuid, name } = p as CommandPayloads['renameLibrary'];
        return this.libraries.rename(uuid, name);
      }
      case 'activateLibrary':
        return this.libraries.activate((p as CommandPayloads['activateLibrary']).uuid);
      case 'deactivateLibrary':
        return this.libraries.deactivate((p as CommandPayloads['deactivateLibrary']).uuid);
      case 'deleteLibrary': {
        const { uuid } = p as CommandPayloads['deleteLibrary'];
        await this.libraries.delete(uuid);
        return { deleted: uuid };
      }
      case 'addManualPeer': {
        const parsed = parseManualPeer((p as CommandPayloads['addManualPeer']).address);
        if (!parsed.ok) throw new CommandError('invalid-payload', parsed.reason);
        const current = this.settings.get().manualPeers;
        if (current.includes(parsed.value.text)) throw new CommandError('refused', `${parsed.value.text} is already in the list`);
        if (current.length >= MANUAL_PEERS_MAX) throw new CommandError('refused', `at most ${MANUAL_PEERS_MAX} manual peers; remove one first`);
        await this.settings.update({ manualPeers: [...current, parsed.value.text] });
        this.manualPeers.sync(this.settings.get().manualPeers);
        return this.state();
      }
      case 'removeManualPeer': {
        const raw = (p as CommandPayloads['removeManualPeer']).address;
        const parsed = parseManualPeer(raw);
        const key = parsed.ok ? parsed.value.text : raw.trim();
        const current = this.settings.get().manualPeers;
        if (!current.includes(key)) throw new CommandError('not-found', `${key} is not in the list of manual peers`);
        await this.settings.update({ manualPeers: current.filter((a) => a !== key) });
        this.manualPeers.sync(this.settings.get().manualPeers);
        return this.state();
      }
    }
  }
}
