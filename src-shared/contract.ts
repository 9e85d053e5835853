// The contract between the node and its user interfaces (DESIGN §3): one map of commands
// (request -> response), each declared once with its payload schema and its result type, and the
// events (node -> UI). The transports (HTTP API, WebSocket, Electron IPC) serve this map through
// one contract server (contractServer.ts); every payload is validated at runtime with its schema.

import type { PeerAccount } from './account.js';
import { z } from 'zod';
import { MANUAL_PEER_MAX_CHARS } from './manualPeer.js';
import { type Library, type LibraryInvite, type Peer } from './peer.js';
import { DISCOVERY_MODES, type DiscoveryMode } from './discoveryModes.js';
import type { DeviceMetadata } from './peerMetadata.js';
import type { Contact, PairingSessionState } from './pairing.js';
import { describeSchemaIssues } from './schemaIssues.js';
import { DNS_SERVER_MAX_CHARS, TSIG_KEY_PATH_MAX_CHARS, WIDE_AREA_DOMAIN_MAX_CHARS, type WideAreaSettings } from './wideArea.js';
import { NETWORK_CHECK_MAX_SECONDS, NETWORK_CHECK_MIN_SECONDS, type NetworkReport } from './networkCheck.js';

export const PAYLOAD_MAX_BYTES = 64 * 1024;
export const DEVICE_NAME_MAX_CHARS = 64;
export const LIBRARY_NAME_MAX_CHARS = 64;
/** Account issuers one device may trust (issue 14): --trust-issuer and the setting together. */
export const TRUSTED_ISSUERS_MAX = 32;
/** A Peer.id as a command names it (startPairing, setAttention). */
export const PEER_ID_MAX_CHARS = 300;
/** setAttention: the most rows one screen reports as visible. */
export const ATTENTION_VISIBLE_PEERS_MAX = 500;
/** "Everyone for 10 minutes" (DESIGN §2): the default and the longest such window. */
export const TEMPORARY_EVERYONE_DEFAULT_MINUTES = 10;
export const TEMPORARY_EVERYONE_MAX_MINUTES = 24 * 60;

const deviceName = z.string().trim().min(1, 'a device name cannot be empty').max(DEVICE_NAME_MAX_CHARS, `a device name is at most ${DEVICE_NAME_MAX_CHARS} characters`);
const libraryName = z.string().trim().min(1, 'a library name cannot be empty').max(LIBRARY_NAME_MAX_CHARS, `a library name is at most ${LIBRARY_NAME_MAX_CHARS} characters`);
const libraryUuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'not a library id (a UUID)');
const empty = z.object({}).strict();
const inviteId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'not an invitation id');
const pairingSessionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a pairing session id');
const manualAddress = z.string().max(MANUAL_PEER_MAX_CHARS * 2);
const peerIdText = z.string().max(PEER_ID_MAX_CHARS, `a device id is at most ${PEER_ID_MAX_CHARS} characters`);

/** This device: what it says about itself (its libraries are in NodeState.libraries) and where it listens. */
export interface SelfInfo extends Omit<DeviceMetadata, 'libraries' | 'librariesOmitted' | 'version'> {
  identity: string;
  hostname: string;
  port: number;
  /** Our own version is always known. */
  version: string;
  /** The account this device's own credentials prove (issue 14); null or absent: none, or they cannot be used (the warnings say why). */
  account?: PeerAccount | null;
}

/** A peer the user added by address, and how reaching it goes. */
export interface ManualPeerState {
  /** Canonical `host:port`. */
  address: string;
  /** online: a P2P link to it is up and it proved the identity pinned for this address. */
  status: 'connecting' | 'online' | 'unreachable';
  /** Why it is unreachable, in words for the user (name not found, refused, timed out, identity changed); else null. */
  reason: string | null;
  lastAttempt: string | null;
  /** The device's name, from its link (null until it first connects). */
  name: string | null;
  /** The identity it proved the first time it connected (pinned); null until then. */
  identity: string | null;
}

export interface NodeState {
  self: SelfInfo;
  mode: DiscoveryMode;
  /** Set while the mode is Everyone for a while (setTemporaryEveryone): when it reverts to Contacts only by itself. */
  everyoneUntil: string | null;
  /** Devices nearby in Contacts only mode that this one cannot (or cannot yet) recognise: how many, never who. */
  privateDevices: number;
  /** Why the peer list is empty or stale, in words for the user; null when discovery runs. */
  discoveryNote: string | null;
  libraries: Library[];
  /** Invitations to libraries that contacts sent and the user has not answered yet (oldest first). */
  libraryInvites: LibraryInvite[];
  peers: Peer[];
  manualPeers: ManualPeerState[];
  /** Pairing sessions in progress, and those that ended recently (with how they ended). */
  pairing: PairingSessionState[];
  /** The devices this one paired with. */
  contacts: Contact[];
  /** Problems the user should know of (a settings file that was reset, an interface lost ...). */
  warnings: string[];
  /** Wide-area discovery (issue 16): its settings and how registering goes; null or absent when off. */
  wideArea?: WideAreaState | null;
  /** The account issuers this device trusts (issue 14): --trust-issuer's, our own account's, then the setting's. */
  trustedIssuers?: TrustedIssuer[];
}

/**
 * An issuer whose accounts this device accepts: its public key, and why: given with --trust-issuer,
 * the one that signed this device's own account (both kept whatever the settings say), or the
 * settings' (editable).
 */
export interface TrustedIssuer {
  key: string;
  source: 'command-line' | 'own-account' | 'settings';
}

/** Wide-area discovery as the settings give it, and whether our records are in the domain now. */
export interface WideAreaState extends WideAreaSettings {
  /** registered: our records are in the domain; failing: the last attempt failed (problem says why); off: none there (Contacts only, Disabled, or starting). */
  registration: 'registered' | 'failing' | 'off';
  problem: string | null;
  /** How changes in the domain reach this device: pushed by its DNS server (RFC 8765), or by polls; null while not browsing. */
  updates?: 'push' | 'poll' | null;
  /** The DNS Push server in use (its name and address), while updates are pushed. */
  pushServer?: string | null;
}

/** What shareLibrary answers: the invitation's id (the contact's node lists it under it) and the library with it. */
export interface LibraryShareResult {
  inviteId: string;
  library: Library;
}

/** What setAttention answers: whether the node counts this session as looking now. */
export interface AttentionAnswer {
  looking: boolean;
}

/**
 * A command's declaration: its payload schema (checked at runtime) and its result type (a type
 * only: nothing of it exists at runtime). Written `command<Result>()(payloadSchema)`.
 */
declare const resultType: unique symbol;
export interface CommandSpec<Payload extends z.ZodType, Result> {
  readonly payload: Payload;
  readonly [resultType]?: Result;
}
export function command<Result>() {
  return <Payload extends z.ZodType>(payload: Payload): CommandSpec<Payload, Result> => ({ payload });
}

/**
 * The commands (DESIGN §3), each declared once: payload schema and result. Every transport
 * (HTTP POST /api/<name>, the WebSocket, Electron IPC) and the validation follow from this map;
 * the node's handlers (src-main/core/commands.ts) are typed from it.
 */
export const commands = {
  getState: command<NodeState>()(empty),
  setMode: command<NodeState>()(z.object({ mode: z.enum(DISCOVERY_MODES) }).strict()),
  /** Everyone for a while, then back to Contacts only by itself (default 10 minutes; fractions allowed, for tests). */
  setTemporaryEveryone: command<NodeState>()(z.object({ minutes: z.number().min(0.05, 'at least 3 seconds').max(TEMPORARY_EVERYONE_MAX_MINUTES, `at most ${TEMPORARY_EVERYONE_MAX_MINUTES} minutes`).optional() }).strict()),
  setName: command<NodeState>()(z.object({ name: deviceName }).strict()),
  createLibrary: command<Library>()(z.object({ name: libraryName }).strict()),
  renameLibrary: command<Library>()(z.object({ uuid: libraryUuid, name: libraryName }).strict()),
  activateLibrary: command<Library>()(z.object({ uuid: libraryUuid }).strict()),
  deactivateLibrary: command<Library>()(z.object({ uuid: libraryUuid }).strict()),
  deleteLibrary: command<{ deleted: string }>()(z.object({ uuid: libraryUuid }).strict()),
  /**
   * Shared libraries (issue 13): an invitation to one of our libraries, sent over the verified
   * link to a contact (`peerId` is Peer.id). Resolves once the contact's node listed it.
   */
  shareLibrary: command<LibraryShareResult>()(z.object({ uuid: libraryUuid, peerId: z.string().min(1, 'choose a contact').max(PEER_ID_MAX_CHARS) }).strict()),
  /** The library of a pending invitation added (same uuid and name, active) and announced at once. */
  acceptLibraryInvite: command<Library>()(z.object({ inviteId }).strict()),
  declineLibraryInvite: command<NodeState>()(z.object({ inviteId }).strict()),
  /** The library removed here, and the members it can reach told that this device left. */
  leaveLibrary: command<{ left: string }>()(z.object({ uuid: libraryUuid }).strict()),
  addManualPeer: command<NodeState>()(z.object({ address: manualAddress }).strict()),
  removeManualPeer: command<NodeState>()(z.object({ address: manualAddress }).strict()),
  /** Pairing (DESIGN §5): `peerId` is Peer.id from the list; the node pairs over its verified link. */
  startPairing: command<PairingSessionState>()(z.object({ peerId: z.string().min(1, 'choose a device').max(PEER_ID_MAX_CHARS) }).strict()),
  confirmPairing: command<PairingSessionState>()(z.object({ sessionId: pairingSessionId }).strict()),
  rejectPairing: command<PairingSessionState>()(z.object({ sessionId: pairingSessionId }).strict()),
  removeContact: command<NodeState>()(z.object({ identity: z.string().max(64) }).strict()),
  /** The account issuers kept in the settings (issue 14), replacing the list; each an issuer's public key as `account create-issuer` printed it. */
  setTrustedIssuers: command<NodeState>()(
    z
      .object({
        issuers: z.array(z.string().max(200, 'an issuer key is 43 characters')).max(TRUSTED_ISSUERS_MAX, `at most ${TRUSTED_ISSUERS_MAX} trusted issuers`),
      })
      .strict(),
  ),
  /** Wide-area discovery (issue 16): a domain with its server and key file (null: the system's resolver, no key), or null to turn it off. */
  setWideArea: command<NodeState>()(
    z
      .object({
        wideArea: z
          .object({
            domain: z.string().max(WIDE_AREA_DOMAIN_MAX_CHARS + 10, `a wide-area domain is at most ${WIDE_AREA_DOMAIN_MAX_CHARS} characters`),
            dnsServer: z.string().max(DNS_SERVER_MAX_CHARS, `a DNS server is at most ${DNS_SERVER_MAX_CHARS} characters`).nullable(),
            tsigKeyFile: z.string().max(TSIG_KEY_PATH_MAX_CHARS, `a key file path is at most ${TSIG_KEY_PATH_MAX_CHARS} characters`).nullable(),
          })
          .strict()
          .nullable(),
      })
      .strict(),
  ),
  /**
   * Who looks at this session's screen (issue 9, liveness by attention): `looking` false for a
   * hidden window or a background tab; the device whose details are open; the devices whose rows
   * are on screen. Fields left out keep their last value. Per session: a one-shot HTTP request
   * ends its session at once, so this command only means something on a WebSocket or in the window.
   */
  setAttention: command<AttentionAnswer>()(
    z
      .object({
        looking: z.boolean(),
        openPeerId: peerIdText.nullable().optional(),
        visiblePeerIds: z.array(peerIdText).max(ATTENTION_VISIBLE_PEERS_MAX, `at most ${ATTENTION_VISIBLE_PEERS_MAX} visible devices`).optional(),
      })
      .strict(),
  ),
  /** The network check (issue 15): listens `seconds` (default 10), then says why devices may not show up, each cause with its fix. */
  networkCheck: command<NetworkReport>()(
    z.object({ seconds: z.number().min(NETWORK_CHECK_MIN_SECONDS, `at least ${NETWORK_CHECK_MIN_SECONDS} second`).max(NETWORK_CHECK_MAX_SECONDS, `at most ${NETWORK_CHECK_MAX_SECONDS} seconds`).optional() }).strict(),
  ),
} as const;

export type CommandName = keyof typeof commands;
export const COMMAND_NAMES = Object.keys(commands) as CommandName[];
export type CommandPayloads = { [K in CommandName]: z.infer<(typeof commands)[K]['payload']> };
export type CommandResults = { [K in CommandName]: (typeof commands)[K] extends CommandSpec<z.ZodType, infer Result> ? Result : never };

/** Events from the node to its UIs. */
export interface EventPayloads {
  state: NodeState;
}
export type EventName = keyof EventPayloads;

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}

export type CommandErrorCode = 'unknown-command' | 'invalid-payload' | 'not-found' | 'refused' | 'internal';

/** An error a UI can show as it is: `message` says what is wrong and what to do. */
export class CommandError extends Error {
  constructor(readonly code: CommandErrorCode, message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Validates a payload for `command`; throws CommandError with a readable reason. */
export function parsePayload<K extends CommandName>(command: K, payload: unknown): CommandPayloads[K] {
  const result = commands[command].payload.safeParse(payload ?? {});
  if (!result.success) {
    throw new CommandError('invalid-payload', `invalid ${command} request: ${describeSchemaIssues(result.error)}`);
  }
  return result.data as CommandPayloads[K];
}

/**
 * One client of the node (DESIGN §3): a WebSocket connection, the Electron window, an event
 * stream, one HTTP request. Commands run on behalf of the session (setAttention is per session).
 */
export interface NodeSession {
  invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]>;
  /**
   * State events for this session: the current state at once (before subscribe returns), then
   * every change. A subscribed session counts as someone looking at the node (issue 9) until it
   * is closed or says otherwise (setAttention looking: false). Returns the unsubscribe.
   */
  subscribe(listener: (state: NodeState) => void): () => void;
  /** Ends the session: no more events, and it stops counting as looking. Idempotent. */
  close(): void;
}

/** What a transport needs of the node: a session per client. */
export interface NodeApi {
  openSession(): NodeSession;
}
