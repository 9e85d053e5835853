// The node's handlers of the contract's commands (DESIGN §3): one per command of the map in
// src-shared/contract.ts, typed from it, so that a command declared there without a handler here
// (or with the wrong result) does not build. The payload arrives validated; the session is the
// client that sent it. What the handlers need of the node is CommandHost, nothing more.

import { CommandError, parsePayload, TEMPORARY_EVERYONE_DEFAULT_MINUTES, type CommandName, type CommandPayloads, type CommandResults, type NodeSession, type NodeState } from '../../src-shared/contract.js';
import { isAbsolute } from 'node:path';
import { parseManualPeer } from '../../src-shared/manualPeer.js';
import { toDisplayText } from '../../src-shared/displayText.js';
import { isRemoteIdentity } from '../../src-shared/identity.js';
import type { Peer } from '../../src-shared/peer.js';
import type { ContactStore } from './storage/contacts.js';
import { publicLibrary, type LibraryStore } from './storage/libraries.js';
import type { LibrarySharing } from './libraries/librarySharing.js';
import type { PeerChannel } from './p2p/messages.js';
import type { PairingService } from './p2p/pairing.js';
import type { Attention } from './peers/attention.js';
import { MANUAL_PEERS_MAX, type SettingsStore } from './storage/settings.js';
import { checkWideAreaSettings } from '../../src-shared/wideArea.js';
import { loadTsigKeyFile } from './wideArea/tsigKeyFile.js';
import { NETWORK_CHECK_DEFAULT_SECONDS, type NetworkReport } from '../../src-shared/networkCheck.js';

export type CommandHandlers = {
  [K in CommandName]: (payload: CommandPayloads[K], session: NodeSession) => Promise<CommandResults[K]>;
};

/** What the handlers need of the node. */
export interface CommandHost {
  readonly settings: Pick<SettingsStore, 'get' | 'update' | 'modify'>;
  readonly libraries: Pick<LibraryStore, 'create' | 'rename' | 'activate' | 'deactivate'>;
  /** Invitations and membership of shared libraries (issue 13); deleting a library is leaving it. */
  readonly sharing: Pick<LibrarySharing, 'share' | 'accept' | 'decline' | 'leave' | 'rename'>;
  readonly contacts: Pick<ContactStore, 'remove'>;
  readonly pairing: Pick<PairingService, 'start' | 'confirm' | 'reject'>;
  readonly attention: Pick<Attention, 'lease' | 'update'>;
  state(): NodeState;
  /** Discovery and links follow the mode the settings hold; resolves once they did. */
  applyMode(): Promise<void>;
  /** (Re)arms the return to Contacts only of "Everyone for a while". */
  armTemporaryEveryone(): void;
  /** The advertisement and the links follow the settings; resolves once they did. */
  readvertise(): Promise<void>;
  /** The manual peers follow the settings' list. */
  syncManualPeers(): void;
  /** The listed device a command names by its list id. */
  peerById(peerId: string): Peer | undefined;
  /** The link to a listed device, opened if needed (pairing runs over a link that proved the identity, DESIGN §5); rejects with the reason. */
  channelFor(peer: Peer): Promise<PeerChannel>;
  /** Runs the network check for `seconds` (doctor/networkCheck.ts); one at a time: a second call gets the running one's report. */
  networkCheck(seconds: number): Promise<NetworkReport>;
}

export function createCommandHandlers(host: CommandHost): CommandHandlers {
  return {
    ...stateHandlers(host),
    ...modeHandlers(host),
    ...libraryHandlers(host),
    ...manualPeerHandlers(host),
    ...pairingHandlers(host),
    ...wideAreaHandlers(host),
    setTrustedIssuers: async ({ issuers }) => {
      const keys: string[] = [];
      for (const raw of issuers) {
        const key = raw.trim();
        // toDisplayText cuts a long paste to 20 characters, its own ellipsis included.
        if (!isRemoteIdentity(key)) throw new CommandError('invalid-payload', `“${toDisplayText(key, 20)}” is not an issuer's public key: paste the last line \`sd-nearby account create-issuer\` printed (43 characters)`);
        if (!keys.includes(key)) keys.push(key);
      }
      await host.settings.update({ trustedIssuers: keys });
      return host.state();
    },
    networkCheck: ({ seconds = NETWORK_CHECK_DEFAULT_SECONDS }) => host.networkCheck(seconds),
  };
}

function wideAreaHandlers(host: CommandHost): Pick<CommandHandlers, 'setWideArea'> {
  return {
    // Checked before it is saved: a domain that is not one, or a key file the node cannot use, is refused with the reason (issue 16).
    setWideArea: async ({ wideArea }) => {
      if (wideArea === null) {
        await host.settings.update({ wideArea: null });
        return host.state();
      }
      const checked = checkWideAreaSettings({ domain: wideArea.domain, dnsServer: blankToNull(wideArea.dnsServer), tsigKeyFile: blankToNull(wideArea.tsigKeyFile) });
      if (!checked.ok) throw new CommandError('invalid-payload', checked.error);
      if (checked.value.tsigKeyFile !== null) {
        // The node reads it wherever it was started from: a relative path would mean another file after a restart.
        if (!isAbsolute(checked.value.tsigKeyFile)) throw new CommandError('invalid-payload', `give the key file's full path (such as /etc/sd-nearby/update.key), not ${JSON.stringify(checked.value.tsigKeyFile)}`);
        try {
          await loadTsigKeyFile(checked.value.tsigKeyFile);
        } catch (err) {
          throw new CommandError('invalid-payload', (err as Error).message);
        }
      }
      await host.settings.update({ wideArea: checked.value });
      return host.state();
    },
  };
}

function blankToNull(text: string | null): string | null {
  return text === null || text.trim() === '' ? null : text.trim();
}

function stateHandlers(host: CommandHost): Pick<CommandHandlers, 'getState' | 'setName' | 'setAttention'> {
  return {
    getState: async () => {
      // A plain getState is a short look (issue 9): a script polling GET /api/state keeps the list exact.
      host.attention.lease();
      return host.state();
    },
    setName: async ({ name }) => {
      await host.settings.update({ name });
      await host.readvertise();
      return host.state();
    },
    setAttention: async (payload, session) => ({ looking: host.attention.update(session, payload) }),
  };
}

function modeHandlers(host: CommandHost): Pick<CommandHandlers, 'setMode' | 'setTemporaryEveryone'> {
  return {
    setMode: async ({ mode }) => {
      await host.settings.update({ discovery: mode, everyoneUntil: null });
      host.armTemporaryEveryone();
      await host.applyMode();
      return host.state();
    },
    setTemporaryEveryone: async ({ minutes = TEMPORARY_EVERYONE_DEFAULT_MINUTES }) => {
      const until = new Date(Date.now() + Math.round(minutes * 60_000)).toISOString();
      await host.settings.update({ discovery: 'everyone', everyoneUntil: until });
      host.armTemporaryEveryone();
      await host.applyMode();
      return host.state();
    },
  };
}

function libraryHandlers(host: CommandHost): Pick<CommandHandlers, 'createLibrary' | 'renameLibrary' | 'activateLibrary' | 'deactivateLibrary' | 'deleteLibrary' | 'shareLibrary' | 'acceptLibraryInvite' | 'declineLibraryInvite' | 'leaveLibrary'> {
  return {
    createLibrary: async ({ name }) => publicLibrary(await host.libraries.create(name)),
    renameLibrary: ({ uuid, name }) => host.sharing.rename(uuid, name),
    activateLibrary: async ({ uuid }) => publicLibrary(await host.libraries.activate(uuid)),
    deactivateLibrary: async ({ uuid }) => publicLibrary(await host.libraries.deactivate(uuid)),
    deleteLibrary: async ({ uuid }) => {
      await host.sharing.leave(uuid);
      return { deleted: uuid };
    },
    shareLibrary: async ({ uuid, peerId }) => {
      const peer = host.peerById(peerId);
      if (!peer) throw new CommandError('not-found', 'that device is not in the list any more');
      return host.sharing.share(uuid, peer);
    },
    acceptLibraryInvite: ({ inviteId }) => host.sharing.accept(inviteId),
    declineLibraryInvite: async ({ inviteId }) => {
      await host.sharing.decline(inviteId);
      return host.state();
    },
    leaveLibrary: async ({ uuid }) => {
      await host.sharing.leave(uuid);
      return { left: uuid };
    },
  };
}

function manualPeerHandlers(host: CommandHost): Pick<CommandHandlers, 'addManualPeer' | 'removeManualPeer'> {
  return {
    addManualPeer: async ({ address }) => {
      const parsed = parseManualPeer(address);
      if (!parsed.ok) throw new CommandError('invalid-payload', parsed.reason);
      const text = parsed.value.text;
      await host.settings.modify(({ manualPeers: current }) => {
        if (current.includes(text)) throw new CommandError('refused', `${text} is already in the list`);
        if (current.length >= MANUAL_PEERS_MAX) throw new CommandError('refused', `at most ${MANUAL_PEERS_MAX} manual peers; remove one first`);
        return { manualPeers: [...current, text] };
      });
      host.syncManualPeers();
      return host.state();
    },
    removeManualPeer: async ({ address }) => {
      const parsed = parseManualPeer(address);
      const key = parsed.ok ? parsed.value.text : address.trim();
      await host.settings.modify(({ manualPeers: current, pinnedIdentities }) => {
        if (!current.includes(key)) throw new CommandError('not-found', `${key} is not in the list of manual peers`);
        // Its pinned identity goes with it: added again, the address pins whatever it proves then.
        const pins = { ...pinnedIdentities };
        delete pins[key];
        return { manualPeers: current.filter((a) => a !== key), pinnedIdentities: pins };
      });
      host.syncManualPeers();
      return host.state();
    },
  };
}

function pairingHandlers(host: CommandHost): Pick<CommandHandlers, 'startPairing' | 'confirmPairing' | 'rejectPairing' | 'removeContact'> {
  return {
    startPairing: async ({ peerId }) => {
      const peer = host.peerById(peerId);
      if (!peer) throw new CommandError('not-found', 'that device is not in the list any more');
      return host.pairing.start(await host.channelFor(peer));
    },
    confirmPairing: async ({ sessionId }) => host.pairing.confirm(sessionId),
    rejectPairing: async ({ sessionId }) => host.pairing.reject(sessionId),
    removeContact: async ({ identity }) => {
      await host.contacts.remove(identity);
      return host.state();
    },
  };
}

/** Runs one command for `session`; the payload is validated here whatever the transport did. */
export async function runCommand<K extends CommandName>(handlers: CommandHandlers, command: K, payload: unknown, session: NodeSession): Promise<CommandResults[K]> {
  const handler: CommandHandlers[K] = handlers[command];
  return handler(parsePayload(command, payload), session);
}
