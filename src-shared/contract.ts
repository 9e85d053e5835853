// The contract between the node and its user interfaces (DESIGN §3): one list of commands
// (request -> response) and events (node -> UI). Transports (HTTP API, WebSocket, Electron IPC)
// are generated from this list; every payload is validated at runtime with these schemas.

import { z } from 'zod';
import { MANUAL_PEER_MAX_CHARS } from './manualPeer.js';
import { DISCOVERY_MODES, type DiscoveryMode, type Library, type Peer } from './peer.js';
import type { DeviceMetadata } from './peerMetadata.js';
import type { Contact, PairingSessionState } from './pairing.js';

export const PAYLOAD_MAX_BYTES = 64 * 1024;
export const DEVICE_NAME_MAX_CHARS = 64;
export const LIBRARY_NAME_MAX_CHARS = 64;
/** "Everyone for 10 minutes" (DESIGN §2): the default and the longest such window. */
export const TEMPORARY_EVERYONE_DEFAULT_MINUTES = 10;
export const TEMPORARY_EVERYONE_MAX_MINUTES = 24 * 60;

const deviceName = z.string().trim().min(1, 'a device name cannot be empty').max(DEVICE_NAME_MAX_CHARS, `a device name is at most ${DEVICE_NAME_MAX_CHARS} characters`);
const libraryName = z.string().trim().min(1, 'a library name cannot be empty').max(LIBRARY_NAME_MAX_CHARS, `a library name is at most ${LIBRARY_NAME_MAX_CHARS} characters`);
const libraryUuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'not a library id (a UUID)');
const empty = z.object({}).strict();
const pairingSessionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a pairing session id');

/** The commands; each has a payload schema. Their results are typed in CommandResults. */
export const commandSchemas = {
  getState: empty,
  setMode: z.object({ mode: z.enum(DISCOVERY_MODES) }).strict(),
  /** Everyone for a while, then back to Contacts only by itself (default 10 minutes; fractions allowed, for tests). */
  setTemporaryEveryone: z.object({ minutes: z.number().min(0.05, 'at least 3 seconds').max(TEMPORARY_EVERYONE_MAX_MINUTES, `at most ${TEMPORARY_EVERYONE_MAX_MINUTES} minutes`).optional() }).strict(),
  setName: z.object({ name: deviceName }).strict(),
  createLibrary: z.object({ name: libraryName }).strict(),
  renameLibrary: z.object({ uuid: libraryUuid, name: libraryName }).strict(),
  activateLibrary: z.object({ uuid: libraryUuid }).strict(),
  deactivateLibrary: z.object({ uuid: libraryUuid }).strict(),
  deleteLibrary: z.object({ uuid: libraryUuid }).strict(),
  addManualPeer: z.object({ address: z.string().max(MANUAL_PEER_MAX_CHARS * 2) }).strict(),
  removeManualPeer: z.object({ address: z.string().max(MANUAL_PEER_MAX_CHARS * 2) }).strict(),
  /** Pairing (DESIGN §5): `peerId` is Peer.id from the list; the node pairs over its verified link. */
  startPairing: z.object({ peerId: z.string().min(1, 'choose a device').max(300) }).strict(),
  confirmPairing: z.object({ sessionId: pairingSessionId }).strict(),
  rejectPairing: z.object({ sessionId: pairingSessionId }).strict(),
  removeContact: z.object({ identity: z.string().max(64) }).strict(),
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandPayloads = { [K in CommandName]: z.infer<(typeof commandSchemas)[K]> };

/** This device: what it says about itself (its libraries are in NodeState.libraries) and where it listens. */
export interface SelfInfo extends Omit<DeviceMetadata, 'libraries' | 'librariesOmitted' | 'version'> {
  identity: string;
  hostname: string;
  port: number;
  /** Our own version is always known. */
  version: string;
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
  peers: Peer[];
  manualPeers: ManualPeerState[];
  /** Pairing sessions in progress, and those that ended recently (with how they ended). */
  pairing: PairingSessionState[];
  /** The devices this one paired with. */
  contacts: Contact[];
  /** Problems the user should know of (a settings file that was reset, an interface lost ...). */
  warnings: string[];
}

export interface CommandResults {
  getState: NodeState;
  setMode: NodeState;
  setTemporaryEveryone: NodeState;
  setName: NodeState;
  createLibrary: Library;
  renameLibrary: Library;
  activateLibrary: Library;
  deactivateLibrary: Library;
  deleteLibrary: { deleted: string };
  addManualPeer: NodeState;
  removeManualPeer: NodeState;
  startPairing: PairingSessionState;
  confirmPairing: PairingSessionState;
  rejectPairing: PairingSessionState;
  removeContact: NodeState;
}

/** Events from the node to its UIs. */
export interface EventPayloads {
  state: NodeState;
}
export type EventName = keyof EventPayloads;

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commandSchemas, name);
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
  const result = commandSchemas[command].safeParse(payload ?? {});
  if (!result.success) {
    const reason = result.error.issues
      .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    throw new CommandError('invalid-payload', `invalid ${command} request: ${reason}`);
  }
  return result.data as CommandPayloads[K];
}

/** What a transport needs of the node. */
export interface NodeApi {
  invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]>;
  on(event: 'state', listener: (state: NodeState) => void): void;
  off(event: 'state', listener: (state: NodeState) => void): void;
}
