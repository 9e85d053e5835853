// The node itself (DESIGN §3): identity, settings, libraries and discovery behind the contract.
// Both shells (the headless server, and later Electron) drive it only through `invoke` and 'state'.

import { EventEmitter } from 'node:events';
import { CommandError, parsePayload, type CommandName, type CommandPayloads, type CommandResults, type NodeApi, type NodeState } from '../../src-shared/contract.js';
import { encodeTxt } from '../../src-shared/txtCodec.js';
import type { DeviceMetadata } from '../../src-shared/peerMetadata.js';
import type { DiscoveryMode, Peer } from '../../src-shared/peer.js';
import { SERVICE_TYPE } from './discovery/constants.js';
import { loadOrCreateIdentity, type LoadedIdentity } from './identityKey.js';
import { SettingsStore } from './settings.js';
import { LibraryStore } from './libraries.js';
import { DiscoveryEngine, hostnameForIdentity } from './discovery/engine.js';
import { ManualPeers } from './manualPeers.js';
import { LinkManager } from './p2p/linkManager.js';
import { createTlsIdentity } from './p2p/tlsIdentity.js';
import { ownMetadata, selfInfo, type OwnMetadata } from './ownMetadata.js';
import { parseManualPeer } from '../../src-shared/manualPeer.js';
import { MANUAL_PEERS_MAX } from './settings.js';
import type { Advertisement } from './discovery/ownRecords.js';
import { ContactStore } from './contacts.js';
import { PairingService } from './p2p/pairing.js';
import type { PeerChannel } from './p2p/messages.js';
import { BroadcastSecretStore } from './contactsOnly/broadcastSecret.js';
import { ContactSecretStore } from './contactsOnly/contactSecrets.js';
import { ContactsOnlyService } from './contactsOnly/contactsOnlyService.js';
import { PrivateEndpoint } from './contactsOnly/privateEndpoint.js';
import { EpochClock } from './contactsOnly/epochClock.js';
import { epochMsFrom, isPrivateToken } from './contactsOnly/broadcastTokens.js';
import { TEMPORARY_EVERYONE_DEFAULT_MINUTES } from '../../src-shared/contract.js';

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
  /** How long a pairing request may take (default PAIRING_TIMEOUT_MS, 60 s); tests shorten it. */
  pairingTimeoutMs?: number;
  /** How long a Contacts only token lives (default 15 min, or $SD_NEARBY_EPOCH_MS); tests shorten it. */
  epochMs?: number;
}

/**
 * The listed device a command names by its list id. A verified device's id changes once: from
 * `link:<identity>` (it linked to us before its mDNS answer arrived) to its instance name (when it
 * did), or back when the mDNS entry goes. A user who picked it a moment before still means it,
 * so an id of either form also finds the verified device with that identity.
 */
export function findPeer(peers: readonly Peer[], peerId: string): Peer | undefined {
  const exact = peers.find((x) => x.id === peerId);
  if (exact) return exact;
  const id = peerId.toLowerCase();
  return peers.find((x) => x.verified && x.identity !== null && (peerId === `link:${x.identity}` || id === `${x.identity}.${SERVICE_TYPE}`.toLowerCase()));
}

export class NearbyNode extends EventEmitter<{ state: [NodeState] }> implements NodeApi {
  private readonly engine = new DiscoveryEngine();
  /** The P2P links (DESIGN §5): the TLS server on our port, links to every peer, what they prove. */
  private readonly links: LinkManager;
  private readonly manualPeers: ManualPeers;
  private port = 0;
  private readonly warnings: string[] = [];
  private stateTimer: NodeJS.Timeout | null = null;
  /** Mode changes and advertisement updates run one at a time, in order. */
  private discoveryQueue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly pairing: PairingService;
  /** Contacts only (docs/protocol.md): tokens, secrets, the gated per-epoch port. */
  private readonly contactsOnly: ContactsOnlyService;
  private readonly privateEndpoint: PrivateEndpoint;
  private readonly epochClock: EpochClock;
  private everyoneTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly opts: NodeOptions,
    private readonly identity: LoadedIdentity,
    private readonly settings: SettingsStore,
    private readonly libraries: LibraryStore,
    private readonly contacts: ContactStore,
    broadcastSecret: BroadcastSecretStore,
    contactSecrets: ContactSecretStore,
  ) {
    super();
    this.pairing = new PairingService({
      contacts,
      peerName: (identity) => this.peerNameOf(identity),
      timeoutMs: opts.pairingTimeoutMs,
      log: (message) => this.warn(message),
    });
    this.pairing.on('change', () => this.scheduleState());
    this.contacts.on('change', () => this.scheduleState());
    for (const problem of [identity.problem, settings.problem, libraries.problem, contacts.problem, broadcastSecret.problem, contactSecrets.problem]) if (problem) this.warn(problem);
    const tls = createTlsIdentity(identity.privateKey);
    this.contactsOnly = new ContactsOnlyService({
      tls,
      secret: broadcastSecret,
      contactSecrets,
      contacts,
      metadata: () => this.fullMetadata(),
      epochMs: opts.epochMs ?? epochMsFrom(process.env.SD_NEARBY_EPOCH_MS),
      log: (message) => this.warn(message),
    });
    this.links = new LinkManager({
      tls,
      hello: (remoteIdentity) => this.linkHello(remoteIdentity),
      setMonitored: (peerId, monitored) => this.engine.setMonitored(peerId, monitored),
      // A contact behind a Contacts only token: dialled with a server name only its secret makes.
      serverNameFor: (peer) => (peer.identity !== null && isPrivateToken(peer.instance) ? () => this.contactsOnly.serverNameFor(peer.identity as string) ?? '' : null),
    });
    this.privateEndpoint = new PrivateEndpoint(tls, this.contactsOnly.gate, (socket, id) => void this.links.adopt(socket, id, false, 'incoming'), (id) => this.contacts.has(id));
    this.epochClock = new EpochClock(this.contactsOnly.epochMs);
    this.epochClock.on('epoch', () => this.newEpoch());
    this.contactsOnly.on('rotated', () => this.readvertise());
    this.contactsOnly.on('resolving', () => this.syncLinks());
    this.contacts.on('change', () => this.contactsChanged());
    this.links.on('change', () => this.scheduleState());
    this.links.on('channel', (channel) => this.attachChannel(channel));
    this.manualPeers = new ManualPeers(this.links, {
      get: (address) => this.settings.get().pinnedIdentities?.[address] ?? null,
      set: async (address, id) => {
        await this.settings.modify((current) => ({ pinnedIdentities: { ...current.pinnedIdentities, [address]: id } }));
      },
    });
    this.engine.on('peers', (peers) => this.syncLinks(peers));
    this.engine.on('warning', (w) => this.warn(w));
    this.libraries.on('change', () => this.readvertise());
    this.settings.on('change', () => this.scheduleState());
    this.manualPeers.on('change', () => this.scheduleState());
  }

  static async open(opts: NodeOptions): Promise<NearbyNode> {
    const identity = await loadOrCreateIdentity(opts.dataDir);
    const settings = await SettingsStore.load(opts.dataDir);
    const libraries = await LibraryStore.load(opts.dataDir);
    const contacts = await ContactStore.load(opts.dataDir);
    const broadcastSecret = await BroadcastSecretStore.load(opts.dataDir);
    const contactSecrets = await ContactSecretStore.load(opts.dataDir);
    const node = new NearbyNode(opts, identity, settings, libraries, contacts, broadcastSecret, contactSecrets);
    const patch: { name?: string; discovery?: DiscoveryMode; everyoneUntil?: null } = {};
    if (opts.name) patch.name = opts.name;
    if (opts.mode) {
      patch.discovery = opts.mode;
      patch.everyoneUntil = null;
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
    this.port = await this.links.listen(wanted);
    // "Everyone for a while" that ended while the node was not running: Contacts only again.
    const until = this.settings.get().everyoneUntil;
    if (until && Date.parse(until) <= Date.now()) await this.settings.update({ discovery: 'contacts-only', everyoneUntil: null });
    this.armTemporaryEveryone();
    this.epochClock.start();
    await this.applyMode(this.settings.get().discovery);
    this.manualPeers.sync(this.settings.get().manualPeers);
  }

  /** Goodbyes, then sockets closed: safe to exit afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.discoveryQueue;
    this.pairing.close();
    this.manualPeers.stop();
    this.epochClock.stop();
    if (this.everyoneTimer) clearTimeout(this.everyoneTimer);
    await this.engine.stop();
    this.contactsOnly.close();
    await this.links.stop();
    await this.privateEndpoint.close();
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

  advertisement(): Advertisement {
    const s = this.settings.get();
    // Contacts only: this epoch's token, host name and port; nothing about the device (docs/protocol.md).
    if (s.discovery === 'contacts-only') return this.contactsOnly.advertisement(this.privateEndpoint.port);
    const encoded = encodeTxt(this.fullMetadata());
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
      // Disabled: no links either (closed, none dialled, incoming refused); back on, they resume.
      this.links.setEnabled(mode !== 'disabled');
      this.manualPeers.setEnabled(mode !== 'disabled');
      // Contacts only: the fixed port would show our identity certificate to whoever connects, so
      // it takes no one; contacts come through the gated per-epoch port (docs/protocol.md).
      this.links.server.setAccepting(mode === 'everyone');
      if (mode === 'contacts-only') {
        if (!this.privateEndpoint.isOpen) await this.privateEndpoint.renew();
      } else await this.privateEndpoint.close();
      if (mode === 'disabled') await this.engine.stop();
      else await this.engine.start(this.advertisement());
      if (mode === 'contacts-only') this.closeStrangerLinks();
      this.links.broadcastMetadata();
      this.syncLinks();
    });
  }

  /** The libraries hook (DESIGN §1): the TXT record follows at once. */
  private readvertise(): void {
    void this.enqueue(async () => {
      if (this.engine.isRunning) this.engine.setAdvertisement(this.advertisement());
      this.links.broadcastMetadata();
      this.scheduleState();
    });
  }

  peers(): Peer[] {
    return this.peerView().peers;
  }

  /**
   * The peer list, and how many private (Contacts only) devices are nearby that it does not show.
   * A contact behind a token is shown once its link proved it, under a stable id.
   */
  private peerView(): { peers: Peer[]; privateDevices: number } {
    const split = this.contactsOnly.split(this.engine.peers());
    const resolved = new Set(split.resolved.map((p) => p.id));
    const decorated = this.links.decoratePeers([...split.open, ...split.resolved], this.manualPeers.onlineIdentities());
    const peers = decorated
      .filter((p) => !resolved.has(p.id) || p.verified)
      .map((p) => (resolved.has(p.id) ? { ...p, id: `contact:${p.identity}` } : p))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    const shownContacts = decorated.filter((p) => resolved.has(p.id) && p.verified).length;
    return { peers, privateDevices: split.unresolved.length + split.resolved.length - shownContacts };
  }

  /** The links follow discovery. In Contacts only mode this device dials no stranger: a link would prove who it is. */
  private syncLinks(discovered: Peer[] = this.engine.peers()): void {
    const split = this.contactsOnly.split(discovered);
    const contactsOnly = this.settings.get().discovery === 'contacts-only';
    const open = contactsOnly ? split.open.filter((p) => p.identity !== null && this.contacts.has(p.identity)) : split.open;
    this.links.syncDiscovered([...open, ...split.resolved]);
    this.scheduleState();
  }

  /** Contacts only: links to devices that are not contacts (nor added by address) end. */
  private closeStrangerLinks(): void {
    const pinned = new Set(Object.values(this.settings.get().pinnedIdentities ?? {}));
    for (const link of this.links.readyLinks()) if (!this.contacts.has(link.remoteIdentity) && !pinned.has(link.remoteIdentity)) link.close('local');
  }

  private contactsChanged(): void {
    // A new contact gets our full metadata; a removed one, in Contacts only mode, loses its link.
    if (this.settings.get().discovery === 'contacts-only') this.closeStrangerLinks();
    this.links.broadcastMetadata();
    this.syncLinks();
  }

  /** A new epoch: in Contacts only mode, a new token, host name and port (goodbye to the old ones). */
  private newEpoch(): void {
    void this.enqueue(async () => {
      if (this.closed) return;
      if (this.settings.get().discovery === 'contacts-only') {
        await this.privateEndpoint.renew();
        if (this.engine.isRunning) this.engine.setAdvertisement(this.advertisement());
      }
      this.syncLinks(); // our contacts' tokens changed too
    });
  }

  /** Arms the return to Contacts only of "Everyone for a while" (setTemporaryEveryone). */
  private armTemporaryEveryone(): void {
    if (this.everyoneTimer) clearTimeout(this.everyoneTimer);
    this.everyoneTimer = null;
    const until = this.settings.get().everyoneUntil;
    if (!until) return;
    const left = Math.min(Math.max(0, Date.parse(until) - Date.now()), 2 ** 31 - 1);
    this.everyoneTimer = setTimeout(() => {
      this.everyoneTimer = null;
      if (this.closed || !this.settings.get().everyoneUntil) return;
      void this.settings
        .update({ discovery: 'contacts-only', everyoneUntil: null })
        .then(() => this.applyMode('contacts-only'))
        .catch((err: unknown) => this.warn(`could not return to Contacts only: ${(err as Error).message}`));
    }, left);
  }

  /** Everything we say about ourselves (ownMetadata.ts): in TXT, in a hello (the full library list too), in state().self. */
  private fullMetadata(): OwnMetadata {
    return ownMetadata({ name: this.settings.get().name, version: this.opts.version, identity: this.identity.identity, activeLibraries: this.libraries.active(), deviceModel: this.opts.deviceModel });
  }

  /** Our hello to a peer: our metadata (in Contacts only mode, to contacts only) and our P2P port. */
  private linkHello(remoteIdentity: string): { metadata: DeviceMetadata; port: number } {
    return { metadata: this.contactsOnly.metadataFor(remoteIdentity, this.settings.get().discovery !== 'contacts-only'), port: this.port };
  }

  /**
   * The verified link to a listed peer, as pairing sees it; null when there is none. Pairing runs
   * only over a link whose TLS handshake proved the peer's identity (DESIGN §5).
   */
  private channelFor(peer: Peer): PeerChannel | null {
    return peer.verified && peer.identity !== null ? this.links.channel(peer.identity) : null;
  }

  /** Hands a new authenticated link to pairing, so that the peer's requests reach it. */
  attachChannel(channel: PeerChannel): void {
    this.pairing.attach(channel);
    this.contactsOnly.attach(channel);
  }

  /**
   * The name a peer goes by: its verified entry in the list, else what its link says, else its
   * contact name. Never an unverified entry's: an impostor claiming the identity would name it.
   */
  private peerNameOf(identity: string): string | null {
    const verified = this.peers().find((p) => p.identity === identity && p.verified);
    return verified?.name ?? this.links.linkTo(identity)?.remoteMetadata?.name ?? this.contacts.get(identity)?.name ?? null;
  }

  state(): NodeState {
    const s = this.settings.get();
    let discoveryNote: string | null = null;
    if (s.discovery === 'disabled') {
      discoveryNote = 'Discovery is off: this device is invisible and sees no one. Choose Everyone to find nearby devices.';
    } else if (this.engine.isRunning && this.engine.interfaces().length === 0) {
      discoveryNote = 'No network connection: discovery starts when this device joins a network.';
    }
    const view = this.peerView();
    return {
      self: selfInfo(this.fullMetadata(), { identity: this.identity.identity, hostname: `${hostnameForIdentity(this.identity.identity)}.local`, port: this.port }),
      mode: s.discovery,
      everyoneUntil: s.everyoneUntil ?? null,
      privateDevices: s.discovery === 'disabled' ? 0 : view.privateDevices,
      discoveryNote,
      libraries: this.libraries.list(),
      peers: s.discovery === 'disabled' ? [] : view.peers,
      manualPeers: this.manualPeers.list(),
      pairing: this.pairing.list(),
      contacts: this.contacts.list(),
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
        await this.settings.update({ discovery: mode, everyoneUntil: null });
        this.armTemporaryEveryone();
        await this.applyMode(mode);
        return this.state();
      }
      case 'setTemporaryEveryone': {
        const minutes = (p as CommandPayloads['setTemporaryEveryone']).minutes ?? TEMPORARY_EVERYONE_DEFAULT_MINUTES;
        const until = new Date(Date.now() + Math.round(minutes * 60_000)).toISOString();
        await this.settings.update({ discovery: 'everyone', everyoneUntil: until });
        this.armTemporaryEveryone();
        await this.applyMode('everyone');
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
        const text = parsed.value.text;
        await this.settings.modify(({ manualPeers: current }) => {
          if (current.includes(text)) throw new CommandError('refused', `${text} is already in the list`);
          if (current.length >= MANUAL_PEERS_MAX) throw new CommandError('refused', `at most ${MANUAL_PEERS_MAX} manual peers; remove one first`);
          return { manualPeers: [...current, text] };
        });
        this.manualPeers.sync(this.settings.get().manualPeers);
        return this.state();
      }
      case 'removeManualPeer': {
        const raw = (p as CommandPayloads['removeManualPeer']).address;
        const parsed = parseManualPeer(raw);
        const key = parsed.ok ? parsed.value.text : raw.trim();
        await this.settings.modify(({ manualPeers: current, pinnedIdentities }) => {
          if (!current.includes(key)) throw new CommandError('not-found', `${key} is not in the list of manual peers`);
          // Its pinned identity goes with it: added again, the address pins whatever it proves then.
          const pins = { ...pinnedIdentities };
          delete pins[key];
          return { manualPeers: current.filter((a) => a !== key), pinnedIdentities: pins };
        });
        this.manualPeers.sync(this.settings.get().manualPeers);
        return this.state();
      }
      case 'startPairing': {
        const { peerId } = p as CommandPayloads['startPairing'];
        const peer = findPeer(this.peers(), peerId);
        if (!peer) throw new CommandError('not-found', 'that device is not in the list any more');
        const channel = this.channelFor(peer);
        if (!channel) throw new CommandError('refused', `${peer.name} is not connected: a verified link is needed to pair`);
        return this.pairing.start(channel);
      }
      case 'confirmPairing':
        return this.pairing.confirm((p as CommandPayloads['confirmPairing']).sessionId);
      case 'rejectPairing':
        return this.pairing.reject((p as CommandPayloads['rejectPairing']).sessionId);
      case 'removeContact': {
        await this.contacts.remove((p as CommandPayloads['removeContact']).identity);
        return this.state();
      }
    }
  }
}
