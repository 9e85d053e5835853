// The node itself (DESIGN §3): the wiring of its parts (docs/ARCHITECTURE.md §2). It builds them,
// connects their events, applies the current mode's policy (modes/) and answers state(); the
// commands are commands.ts's, the list is the peer directory's (peers/). Both shells (the
// headless server, Electron) reach it only through sessions (openSession) and their 'state'.

import { EventEmitter } from 'node:events';
import { CommandError, type CommandName, type CommandPayloads, type CommandResults, type NodeApi, type NodeSession, type NodeState, type TrustedIssuer, type WideAreaState } from '../../src-shared/contract.js';
import { encodeTxt } from '../../src-shared/txtCodec.js';
import type { DeviceMetadata } from '../../src-shared/peerMetadata.js';
import type { Peer } from '../../src-shared/peer.js';
import type { DiscoveryMode } from '../../src-shared/discoveryModes.js';
import { loadOrCreateIdentity, type LoadedIdentity } from './storage/identityKey.js';
import { ensurePrivateDataDir } from './storage/dataDirTrust.js';
import { lockDataDir, type DataDirLock } from './storage/dataDirLock.js';
import { SettingsStore } from './storage/settings.js';
import { LibraryStore } from './storage/libraries.js';
import { LibraryInviteStore } from './storage/libraryInvites.js';
import { LibrarySharing } from './libraries/librarySharing.js';
import { DiscoveryEngine, hostnameForIdentity } from './discovery/engine.js';
import { ManualPeers } from './manualPeers.js';
import { LinkManager } from './p2p/linkManager.js';
import { createTlsIdentity, type TlsIdentity } from './p2p/tlsIdentity.js';
import { dialLink } from './p2p/linkServer.js';
import { Attention } from './peers/attention.js';
import { PeerDirectory } from './peers/peerDirectory.js';
import { Presence } from './peers/presence.js';
import { Verifier, VERIFY_TIMEOUT_MS } from './peers/verifier.js';
import type { ModeContext, ModePolicy } from './modes/modePolicy.js';
import { policyFor } from './modes/policies.js';
import { isFinalPairingStage } from '../../src-shared/pairing.js';
import { SerialQueue } from '../../src-shared/serialQueue.js';
import { ownMetadata, selfInfo, type OwnMetadata } from './ownMetadata.js';
import type { Advertisement } from './discovery/ownRecords.js';
import { ContactStore } from './storage/contacts.js';
import { PairingService } from './p2p/pairing.js';
import type { PeerChannel } from './p2p/messages.js';
import { BroadcastSecretStore } from './contactsOnly/broadcastSecret.js';
import { ContactSecretStore } from './contactsOnly/contactSecrets.js';
import { ContactsOnlyService } from './contactsOnly/contactsOnlyService.js';
import { PrivateEndpoint } from './contactsOnly/privateEndpoint.js';
import { EpochClock } from './contactsOnly/epochClock.js';
import { epochMsFrom, isPrivateToken } from './contactsOnly/broadcastTokens.js';
import { createCommandHandlers, runCommand, type CommandHandlers } from './commands.js';
import { openNodeSession } from './nodeSession.js';
import { TemporaryEveryone } from './modes/temporaryEveryone.js';
import { WideArea, leaseFromEnv } from './wideArea/wideArea.js';
import { CombinedDiscovery } from './wideArea/combinedDiscovery.js';
import { reachableAddresses } from './wideArea/addresses.js';
import { WIDE_AREA_LEASE_ENV } from './wideArea/constants.js';
import type { WideAreaSettings } from '../../src-shared/wideArea.js';
import { handshakeDial, runNetworkCheck } from './doctor/networkCheck.js';
import type { NetworkReport } from '../../src-shared/networkCheck.js';
import { AccountTrust, type AccountPresentation } from './accounts/accountTrust.js';
import { loadDeviceCredentials } from './accounts/accountFiles.js';
import { MyDeviceStore } from './accounts/myDevices.js';
import { ContactsAndMyDevices } from './accounts/trustedDevices.js';
import { encodeVerifyAnswer, readVerifyAnswer } from './accounts/verifyAnswer.js';

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
  /** Overrides (and saves) wide-area discovery: a domain with its server and key, or 'off'. */
  wideArea?: WideAreaSettings | 'off' | null;
  /** Issuers whose accounts this node accepts, besides the setting `trustedIssuers` (--trust-issuer; not saved). */
  trustedIssuers?: string[];
}

export class NearbyNode extends EventEmitter<{ state: [NodeState] }> implements NodeApi {
  private readonly engine = new DiscoveryEngine();
  /** Wide-area discovery (wideArea/), when the settings name a domain. */
  private wideArea: WideArea | null = null;
  /** The wide-area settings `wideArea` was opened with (JSON), to reopen it when they change. */
  private wideAreaOpenedWith = 'null';
  /** Why wide-area discovery could not be opened with the settings it has (its key file), or null. */
  private wideAreaProblem: string | null = null;
  /** mDNS and the wide-area domain, as presence reads them. */
  private readonly discovery = new CombinedDiscovery(this.engine, () => this.wideArea);
  /** The standing links (DESIGN §5): the TLS server on our port, and the links relationships want. */
  private readonly links: LinkManager;
  private readonly manualPeers: ManualPeers;
  /** Who is listed, how sure we are of each, and what that costs (issue 9). */
  private readonly presence: Presence;
  private readonly directory: PeerDirectory;
  /** Whether anyone looks at this node's list (sessions subscribed, a recent getState). */
  readonly attention = new Attention();
  private port = 0;
  private readonly warnings: string[] = [];
  private stateTimer: NodeJS.Timeout | null = null;
  /** Mode changes and advertisement updates run one at a time, in order. */
  private readonly discoveryQueue = new SerialQueue();
  private closed = false;
  /** The network check in progress, if any (one at a time). */
  private runningCheck: { report: Promise<NetworkReport>; endsAt: number } | null = null;
  private readonly pairing: PairingService;
  /** Contacts only (docs/protocol.md): tokens, secrets, the gated per-epoch port. */
  private readonly contactsOnly: ContactsOnlyService;
  private readonly privateEndpoint: PrivateEndpoint;
  private readonly epochClock: EpochClock;
  private readonly temporaryEveryone: TemporaryEveryone;
  /** What a discovery mode decides (modes/), asked by everything below. */
  private readonly modeContext: ModeContext;
  private readonly handlers: CommandHandlers;
  /** Shared libraries (issue 13): invitations, and what members tell each other over their links. */
  private readonly sharing: LibrarySharing;
  /** Each library's members by uuid, as presence asks at every rebuild of the list; built again after a change of the libraries. */
  private libraryMembersByUuid: ReadonlyMap<string, ReadonlySet<string>> | null = null;
  /** Our account credentials, the issuers we trust, and what each peer's credentials prove (issue 14). */
  private readonly accounts: AccountTrust;

  private constructor(
    private readonly opts: NodeOptions,
    private readonly dataDirLock: DataDirLock,
    private readonly identity: LoadedIdentity,
    private readonly settings: SettingsStore,
    private readonly libraries: LibraryStore,
    private readonly contacts: ContactStore,
    private readonly invites: LibraryInviteStore,
    broadcastSecret: BroadcastSecretStore,
    contactSecrets: ContactSecretStore,
    credentials: { presentation: AccountPresentation | null; problem: string | null },
    myDevices: MyDeviceStore,
  ) {
    super();
    this.accounts = new AccountTrust({
      own: credentials.presentation,
      ownIdentity: identity.identity,
      trustedIssuers: () => [...(opts.trustedIssuers ?? []), ...(settings.get().trustedIssuers ?? [])],
      remembered: myDevices,
      warn: (message) => this.warn(message),
    });
    this.pairing = new PairingService({
      contacts,
      peerName: (identity) => this.peerNameOf(identity),
      standing: (identity, name) => ({ ...contacts.standingOf(identity, name, true), ...this.accounts.evaluate(identity, this.links.linkTo(identity)?.remoteAccount ?? null) }),
      timeoutMs: opts.pairingTimeoutMs,
      log: (message) => this.warn(message),
    });
    for (const problem of [identity.problem, settings.problem, libraries.problem, invites.problem, contacts.problem, broadcastSecret.problem, contactSecrets.problem, credentials.problem, this.accounts.own.problem, myDevices.problem]) if (problem) this.warn(problem);
    const tls = createTlsIdentity(identity.privateKey);
    this.contactsOnly = new ContactsOnlyService({
      tls,
      secret: broadcastSecret,
      contactSecrets,
      // My devices are trusted like contacts in Contacts only mode too (accounts/trustedDevices.ts).
      contacts: new ContactsAndMyDevices(contacts, this.accounts),
      metadata: () => this.fullMetadata(),
      epochMs: opts.epochMs ?? epochMsFrom(process.env.SD_NEARBY_EPOCH_MS),
      log: (message) => this.warn(message),
    });
    this.modeContext = {
      openAdvertisement: () => this.openAdvertisement(),
      privateAdvertisement: () => this.contactsOnly.advertisement(this.privateEndpoint.port),
      fullMetadata: () => this.fullMetadata(),
      // My devices (issue 14) are trusted like contacts, without a code.
      isContact: (id) => this.contacts.has(id) || this.accounts.isMyDevice(id),
      isPinned: (id) => Object.values(this.settings.get().pinnedIdentities ?? {}).includes(id),
    };
    this.links = new LinkManager({ tls, hello: (remote) => ({ metadata: this.policy.helloMetadata(remote, this.modeContext), port: this.linkPort(), account: this.accountFor(remote) }), standing: (remote) => this.presence.standingOf(remote) });
    this.links.server.setVerifyAnswer(() => {
      const account = this.accountFor(null);
      return account ? encodeVerifyAnswer(account) : null;
    });
    this.privateEndpoint = new PrivateEndpoint(tls, this.contactsOnly.gate, (socket, id) => void this.links.adopt(socket, id, false, 'incoming'), (id) => this.modeContext.isContact(id));
    this.epochClock = new EpochClock(this.contactsOnly.epochMs);
    this.manualPeers = new ManualPeers(this.links, {
      get: (address) => this.settings.get().pinnedIdentities?.[address] ?? null,
      set: async (address, id) => {
        await this.settings.modify((current) => ({ pinnedIdentities: { ...current.pinnedIdentities, [address]: id } }));
      },
    });
    const verifier = this.createVerifier(tls);
    this.directory = new PeerDirectory({
      split: (discovered) => this.contactsOnly.split(discovered),
      links: () => this.links.readyLinks().map((l) => ({ identity: l.remoteIdentity, address: l.remoteAddress, listenPort: l.remoteListenPort, metadata: l.remoteMetadata as DeviceMetadata, origin: this.links.originOf(l), account: l.remoteAccount, establishedAt: l.establishedAt, lastReceivedAt: l.lastReceivedAt })),
      lostAt: (id) => this.links.lostAt(id),
      verdict: (target) => verifier.verdictFor(target),
      manual: () => this.manualPeers.onlineIdentities(),
      standing: (identity, name, proven) => this.contacts.standingOf(identity, name, proven),
      account: (identity, presented) => this.accounts.observe(identity, presented),
    });
    this.presence = this.createPresence(verifier);
    this.sharing = this.createSharing(libraries, invites, contacts);
    this.temporaryEveryone = new TemporaryEveryone({ settings, applyMode: () => this.applyMode(), warn: (message) => this.warn(message) });
    this.handlers = this.createHandlers();
    this.wire();
  }

  /** Shared libraries (issue 13); My devices (issue 14) are trusted like contacts: they may invite and be invited too. */
  private createSharing(libraries: LibraryStore, invites: LibraryInviteStore, contacts: ContactStore): LibrarySharing {
    return new LibrarySharing({
      libraries,
      invites,
      contacts: {
        has: (id) => this.modeContext.isContact(id),
        get: (id) => contacts.get(id) ?? this.accounts.myDeviceList().find((d) => d.identity === id),
      },
      self: this.identity.identity,
      selfName: () => this.settings.get().name,
      channelFor: (peer) => this.presence.openLink(peer),
      log: (message) => this.warn(message),
    });
  }

  /** Verifications dial without showing our identity and close after the handshake (peers/verifier.ts). */
  private createVerifier(tls: TlsIdentity): Verifier {
    return new Verifier({
      dial: async (addresses, port) => {
        const { socket, identity, address } = await dialLink(tls, [...addresses], port, VERIFY_TIMEOUT_MS, undefined, 'verify');
        // The server's account credentials come in its answer, inside the session that proved its key.
        return { identity, address, account: await readVerifyAnswer(socket) };
      },
    });
  }

  private createPresence(verifier: Verifier): Presence {
    return new Presence({
      discovery: this.discovery,
      directory: this.directory,
      verifier,
      links: this.links,
      attention: this.attention,
      policy: () => this.policy,
      modeContext: this.modeContext,
      libraryMembers: () => (this.libraryMembersByUuid ??= new Map(this.libraries.records().map((l) => [l.uuid, new Set(l.members.map((m) => m.identity))]))),
      pairingWith: () => new Set(this.pairing.list().filter((s) => !isFinalPairingStage(s.stage)).map((s) => s.peerIdentity)),
      // A contact behind a Contacts only token: dialled with a server name only its secret makes.
      serverNameFor: (peer) => (peer.identity !== null && isPrivateToken(peer.instance) ? () => this.contactsOnly.serverNameFor(peer.identity as string) ?? '' : null),
    });
  }

  /** Who listens to whom. */
  private wire(): void {
    this.pairing.on('change', () => {
      this.presence.schedule();
      this.scheduleState();
    });
    this.contacts.on('change', () => this.contactsChanged());
    this.invites.on('change', () => this.scheduleState());
    // A device that proved our account (or stopped): what we tell it and whom we link with follow, as for a contact.
    // Told from inside a rebuild of the list (AccountTrust.observe): acted on after it.
    this.accounts.on('myDevices', () => {
      queueMicrotask(() => this.links.broadcastMetadata());
      this.presence.schedule();
      this.scheduleState();
    });
    this.epochClock.on('epoch', () => this.newEpoch());
    this.engine.on('network', () => this.newNetwork());
    this.contactsOnly.on('rotated', () => this.readvertise());
    this.contactsOnly.on('resolving', () => this.presence.schedule());
    this.links.on('channel', (channel) => this.attachChannel(channel));
    this.presence.on('change', () => this.scheduleState());
    this.engine.on('peers', () => this.presence.discovered(this.discovery.peers()));
    this.engine.on('warning', (w) => this.warn(w));
    this.libraries.on('change', () => {
      this.libraryMembersByUuid = null;
      this.readvertise();
      this.presence.schedule();
    });
    this.settings.on('change', () => {
      this.scheduleState();
      this.wideAreaSettingsChanged();
      // Trusted issuers may have changed (the setting trustedIssuers): every row's account is checked again.
      this.accounts.issuersChanged();
      this.presence.schedule();
    });
    this.manualPeers.on('change', () => this.scheduleState());
  }

  /** The contract's commands (commands.ts), over what the node holds. */
  private createHandlers(): CommandHandlers {
    return createCommandHandlers({
      settings: this.settings,
      libraries: this.libraries,
      sharing: this.sharing,
      contacts: this.contacts,
      pairing: this.pairing,
      attention: this.attention,
      state: () => this.state(),
      applyMode: () => this.applyMode(),
      armTemporaryEveryone: () => this.temporaryEveryone.arm(),
      readvertise: async () => {
        this.readvertise();
        await this.discoveryQueue.idle();
      },
      syncManualPeers: () => this.manualPeers.sync(this.settings.get().manualPeers),
      peerById: (peerId) => this.peers().find((p) => p.id === peerId),
      channelFor: (peer) => this.presence.openLink(peer),
      networkCheck: (seconds) => this.networkCheck(seconds),
    });
  }

  /**
   * The network check (issue 15) with this node's list and mode. Someone looks meanwhile (the
   * check is asked for from a screen or a script waiting for it), so the list is fresh when read.
   */
  private networkCheck(seconds: number): Promise<NetworkReport> {
    // One at a time (two would hear each other's questions): a request shares the running one when
    // that one ends in time for it; one that would wait longer than it asked is told so at once.
    const running = this.runningCheck;
    if (running) {
      const leftS = Math.ceil((running.endsAt - Date.now()) / 1000);
      if (leftS > seconds) return Promise.reject(new CommandError('refused', `another network check is running (its report comes in about ${leftS} s); ask again then, or wait for that one`));
      return running.report;
    }
    this.attention.lease(seconds * 1000);
    const report = runNetworkCheck({ seconds, mode: this.settings.get().discovery, peers: () => this.peers(), dial: handshakeDial() }).finally(() => {
      this.runningCheck = null;
    });
    this.runningCheck = { report, endsAt: Date.now() + seconds * 1000 };
    return report;
  }

  /** Our account credentials for `remote` (null: a verification), where the mode shares them. */
  private accountFor(remote: string | null): AccountPresentation | null {
    return this.policy.sharesAccount(remote, this.modeContext) ? this.accounts.presentation() : null;
  }

  /** The policy of the mode the settings hold now (modes/). */
  private get policy(): ModePolicy {
    return policyFor(this.settings.get().discovery);
  }

  static async open(opts: NodeOptions): Promise<NearbyNode> {
    // Only the user may be able to write what the node believes (storage/dataDirTrust.ts).
    await ensurePrivateDataDir(opts.dataDir);
    // One node per data directory: a second would announce the same identity (storage/dataDirLock.ts).
    const lock = lockDataDir(opts.dataDir);
    try {
      return await NearbyNode.openLocked(opts, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private static async openLocked(opts: NodeOptions, lock: DataDirLock): Promise<NearbyNode> {
    const identity = await loadOrCreateIdentity(opts.dataDir);
    const settings = await SettingsStore.load(opts.dataDir);
    const libraries = await LibraryStore.load(opts.dataDir);
    const contacts = await ContactStore.load(opts.dataDir);
    const invites = await LibraryInviteStore.load(opts.dataDir);
    const broadcastSecret = await BroadcastSecretStore.load(opts.dataDir);
    const contactSecrets = await ContactSecretStore.load(opts.dataDir);
    const credentials = await loadDeviceCredentials(opts.dataDir);
    const myDevices = await MyDeviceStore.load(opts.dataDir);
    const node = new NearbyNode(opts, lock, identity, settings, libraries, contacts, invites, broadcastSecret, contactSecrets, credentials, myDevices);
    const patch: { name?: string; discovery?: DiscoveryMode; everyoneUntil?: null; wideArea?: WideAreaSettings | null } = {};
    if (opts.wideArea) patch.wideArea = opts.wideArea === 'off' ? null : opts.wideArea;
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

  /** The account issuers this node trusts now: --trust-issuer, the setting, and its own account's. */
  get trustedIssuers(): string[] {
    return this.trustedIssuerList().map((i) => i.key);
  }

  get p2pPort(): number {
    return this.port;
  }

  /** Applies the saved discovery mode: the P2P port (advertised in SRV) is bound if the mode opens it. */
  async start(): Promise<void> {
    this.port = this.opts.port ?? this.settings.get().port ?? 0;
    await this.temporaryEveryone.settle();
    this.epochClock.start();
    await this.reopenWideArea();
    await this.applyMode();
    this.manualPeers.sync(this.settings.get().manualPeers);
  }

  /** Goodbyes, then sockets closed: safe to exit afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.discoveryQueue.idle();
    this.presence.close();
    this.pairing.close();
    this.sharing.close();
    this.manualPeers.stop();
    this.epochClock.stop();
    this.temporaryEveryone.stop();
    // Goodbyes on the LAN and the removal from the wide-area domain at once (each bounded in time).
    await Promise.all([this.engine.stop(), this.wideArea?.close()]);
    this.contactsOnly.close();
    await this.links.stop();
    await this.privateEndpoint.close();
    if (this.stateTimer) clearTimeout(this.stateTimer);
    this.attention.stop();
    this.dataDirLock.release(); // last: the directory is free once nothing of this node writes to it
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

  /** What we advertise in the current mode (Contacts only: this epoch's token, host name and port; docs/protocol.md). */
  advertisement(): Advertisement | null {
    return this.policy.advertisement(this.modeContext);
  }

  private openAdvertisement(): Advertisement {
    const encoded = encodeTxt(this.fullMetadata());
    return { instance: this.identity.identity, hostname: hostnameForIdentity(this.identity.identity), port: this.port, txt: encoded.strings };
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    return this.discoveryQueue.run(task);
  }

  /** Applies the current mode's policy: sockets, ports, links and what is advertised. */
  private applyMode(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      const policy = this.policy;
      // Disabled: no links either (closed, none dialled, incoming refused); back on, they resume.
      this.links.setEnabled(policy.discovers);
      this.manualPeers.setEnabled(policy.discovers);
      await this.openPublicPort(policy.listensOnPublicPort);
      if (policy.privateEndpoint) {
        if (!this.privateEndpoint.isOpen) await this.privateEndpoint.renew();
      } else await this.privateEndpoint.close();
      this.engine.setQuestionsMayName(policy.mayNameInQuestions);
      if (policy.discovers) await this.engine.start(this.advertisement());
      else await this.engine.stop();
      this.links.broadcastMetadata();
      this.syncWideArea();
      this.presence.refresh();
    });
  }

  /** The wide-area domain follows the mode: browsed while it discovers, our records there only when it advertises us openly. */
  private syncWideArea(): void {
    const wide = this.wideArea;
    if (!wide || this.closed) return;
    const policy = this.policy;
    wide.setBrowsing(policy.discovers);
    const ad = policy.discovers ? this.advertisement() : null;
    // A change before the port is bound (the libraries hook while starting) waits for it: an SRV with port 0 would be registered.
    if (ad !== null && ad.port === 0) return;
    // Contacts only: nothing that names this device goes into a zone anyone may read (issue 16).
    const open = ad !== null && ad.instance === this.identity.identity;
    wide.advertise(open ? { instance: ad.instance, hostLabel: ad.hostname, port: ad.port, txt: ad.txt, addresses: reachableAddresses() } : null);
  }

  /** Opens wide-area discovery as the settings say (closing the one opened before, its records removed); a key file that cannot be used is a warning. */
  private async reopenWideArea(): Promise<void> {
    const settings = this.settings.get().wideArea ?? null;
    const openedWith = JSON.stringify(settings);
    if (openedWith === this.wideAreaOpenedWith) return;
    this.wideAreaOpenedWith = openedWith;
    const previous = this.wideArea;
    this.wideArea = null;
    this.wideAreaProblem = null;
    await previous?.close();
    if (!settings || this.closed) return;
    try {
      const wide = await WideArea.open(settings, this.identity.identity, leaseFromEnv(process.env[WIDE_AREA_LEASE_ENV]));
      wide.on('warning', (w) => this.warn(w));
      wide.on('peers', () => this.presence.discovered(this.discovery.peers()));
      wide.on('status', () => this.scheduleState());
      wide.setLooking(this.discovery.isLooking);
      this.wideArea = wide;
    } catch (err) {
      this.wideAreaProblem = (err as Error).message;
      this.warn(`wide-area discovery in ${settings.domain} is off: ${this.wideAreaProblem}`);
    }
  }

  private wideAreaSettingsChanged(): void {
    if (JSON.stringify(this.settings.get().wideArea ?? null) === this.wideAreaOpenedWith) return;
    void this.enqueue(async () => {
      if (this.closed) return;
      await this.reopenWideArea();
      this.syncWideArea();
      this.presence.discovered(this.discovery.peers());
    });
  }

  /**
   * Opens the fixed P2P port, or closes it (the links it took stay up). Reopened, it is the usual
   * one: --port or the saved port, else the one it had, else (that one taken meanwhile) a new one.
   */
  private async openPublicPort(open: boolean): Promise<void> {
    const server = this.links.server;
    server.setAccepting(open);
    if (!open) return server.stopListening();
    if (server.isListening) return;
    const chosen = this.opts.port ?? this.settings.get().port ?? null;
    try {
      this.port = await server.listen(chosen ?? this.port);
    } catch (err) {
      const taken = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
      if (chosen !== null || this.port === 0 || !taken) throw err;
      this.port = await server.listen(0);
    }
  }

  /** Where we take links now (a hello says it, and state().self): the fixed port, or this epoch's gated one (Contacts only). */
  private linkPort(): number {
    return this.links.server.isListening ? this.port : this.privateEndpoint.port || this.port;
  }

  /** The libraries hook (DESIGN §1): the TXT record follows at once. */
  private readvertise(): void {
    void this.enqueue(async () => {
      if (this.engine.isRunning) this.engine.setAdvertisement(this.advertisement());
      this.links.broadcastMetadata();
      this.syncWideArea();
      this.scheduleState();
    });
  }

  peers(): Peer[] {
    return this.presence.view.peers;
  }

  private contactsChanged(): void {
    // A new contact gets our full metadata; a removed one, in Contacts only mode, loses its link (presence closes it).
    this.links.broadcastMetadata();
    this.sharing.contactsChanged();
    this.presence.refresh();
    this.scheduleState();
  }

  /** A new epoch: in Contacts only mode, a new token, host name and port (goodbye to the old ones). */
  private newEpoch(): void {
    void this.enqueue(async () => {
      if (this.closed) return;
      if (this.policy.rotatesEachEpoch) await this.renewPrivatePort();
      this.presence.schedule(); // our contacts' tokens changed too
    });
  }

  /** Another network (our addresses changed): the gated port of the last one is not open on this one. */
  private newNetwork(): void {
    void this.enqueue(async () => {
      if (!this.closed && this.policy.privateEndpoint && this.privateEndpoint.isOpen) await this.renewPrivatePort();
      this.syncWideArea(); // our addresses changed
    });
  }

  private async renewPrivatePort(): Promise<void> {
    await this.privateEndpoint.renew();
    if (this.engine.isRunning) this.engine.setAdvertisement(this.advertisement());
  }

  /** Everything we say about ourselves (ownMetadata.ts): in TXT, in a hello (the full library list too), in state().self. */
  private fullMetadata(): OwnMetadata {
    return ownMetadata({ name: this.settings.get().name, version: this.opts.version, identity: this.identity.identity, activeLibraries: this.libraries.active(), deviceModel: this.opts.deviceModel });
  }

  /** Hands a new authenticated link to pairing, so that the peer's requests reach it. */
  attachChannel(channel: PeerChannel): void {
    this.pairing.attach(channel);
    this.contactsOnly.attach(channel);
    this.sharing.attach(channel);
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
    const policy = this.policy;
    let discoveryNote = policy.note;
    if (discoveryNote === null && this.engine.isRunning && this.engine.interfaces().length === 0) {
      discoveryNote = 'No network connection: discovery starts when this device joins a network.';
    }
    const view = this.presence.freshView();
    return {
      self: { ...selfInfo(this.fullMetadata(), { identity: this.identity.identity, hostname: `${hostnameForIdentity(this.identity.identity)}.local`, port: this.linkPort() }), account: this.accounts.ownAccount() },
      mode: s.discovery,
      everyoneUntil: s.everyoneUntil ?? null,
      privateDevices: policy.discovers ? view.privateDevices : 0,
      discoveryNote,
      libraries: this.libraries.libraries(),
      libraryInvites: this.invites.invites(),
      peers: policy.discovers ? view.peers : [],
      manualPeers: this.manualPeers.list(),
      pairing: this.pairing.list(),
      contacts: this.contacts.list(),
      warnings: [...this.warnings],
      wideArea: this.wideAreaState(),
      trustedIssuers: this.trustedIssuerList(),
    };
  }

  /** The issuers trusted (NodeState.trustedIssuers), each once: --trust-issuer's, our own account's, then the setting's. */
  private trustedIssuerList(): TrustedIssuer[] {
    const own = this.accounts.own.account?.account.issuer;
    const sources: Array<[readonly string[], TrustedIssuer['source']]> = [
      [this.opts.trustedIssuers ?? [], 'command-line'],
      [own === undefined ? [] : [own], 'own-account'],
      [this.settings.get().trustedIssuers ?? [], 'settings'],
    ];
    const out = new Map<string, TrustedIssuer>();
    for (const [keys, source] of sources) for (const key of keys) if (!out.has(key)) out.set(key, { key, source });
    return [...out.values()];
  }

  /** The wide-area settings and how registering in the domain goes (NodeState.wideArea). */
  private wideAreaState(): WideAreaState | null {
    const settings = this.settings.get().wideArea ?? null;
    if (!settings) return null;
    const status = this.wideArea?.registration ?? null;
    const updates = { updates: this.wideArea?.updates ?? null, pushServer: this.wideArea?.pushServer ?? null };
    if (status === null) return { ...settings, registration: this.wideAreaProblem ? 'failing' : 'off', problem: this.wideAreaProblem, ...updates };
    return { ...settings, registration: status.kind, problem: status.kind === 'failing' ? status.reason : null, ...updates };
  }

  /** A client of the node (a connection, the window, one request): see NodeSession. */
  openSession(): NodeSession {
    return openNodeSession({
      run: (command, payload, session) => {
        if (this.closed) return Promise.reject(new CommandError('refused', 'the node is shutting down'));
        return runCommand(this.handlers, command, payload, session);
      },
      state: () => this.state(),
      onState: (listener) => {
        this.on('state', listener);
        return () => this.off('state', listener);
      },
      attention: this.attention,
    });
  }

  /** Runs one command on a session of its own (for callers in this process). */
  async invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]> {
    const session = this.openSession();
    try {
      return await session.invoke(command, payload);
    } finally {
      session.close();
    }
  }
}
