// Shared libraries (issue 13): invitations between contacts, and what members of a library tell
// each other over their links (docs/protocol.md §6).
//
// - An invitation goes over the verified link to a contact only; the contact's node lists it for
//   its user (NodeState.libraryInvites), refuses it when we are not its contact (never shown), or
//   says it already has the library. Accepted, the library is added with the same uuid and name,
//   active, and announced at once (the libraries hook); declined, the sender hears so.
// - Members trust members: when two members' links meet (or after a change) each sends what it
//   knows of each library they share (`library-sync`: members with their join times, departures),
//   and each merges it (membership.ts). The first sync of a device that just joined names the
//   invitation it accepted: that is how the inviter admits it.
// - A member leaving tells the members it is linked to; one it was not linked to hears it when it
//   next sends a sync for that library and is answered `library-leave`.
// - Nothing here makes a device that merely announces a library's uuid a member: that is a claim.

import { randomBytes } from 'node:crypto';
import { CommandError, type LibraryShareResult } from '../../../src-shared/contract.js';
import type { Library, LibraryMember, Peer } from '../../../src-shared/peer.js';
import { SerialQueue } from '../../../src-shared/serialQueue.js';
import { ChannelListeners, LIBRARY_SYNC_BATCH_MAX, type LinkMessage, type PeerChannel, type WireLibraryState } from '../p2p/messages.js';
import { departureSchema, laterRename, memberSchema, publicLibrary, LIBRARY_MEMBERS_MAX, type LibraryRecord, type LibraryStore } from '../storage/libraries.js';
import type { LibraryInviteStore } from '../storage/libraryInvites.js';
import type { Departure, Membership } from './membership.js';

/** How long shareLibrary waits for the contact's node to say it listed the invitation. */
export const INVITE_REPLY_WAIT_MS = 5000;
/** Invitations one contact may have waiting here; its newest push out its oldest. */
export const LIBRARY_INVITES_PER_CONTACT_MAX = 100;
/** A library-sync frame is kept under this (the link's frames are at most 64 KiB). */
const SYNC_FRAME_TARGET_BYTES = 48 * 1024;
/** A library's view is sent back to a member that knows less at most this often per link (two members that cannot agree do not loop). */
const SYNC_REPLY_MIN_INTERVAL_MS = 1000;

type InviteReply = Extract<LinkMessage, { type: 'library-invite-reply' }>;

export interface LibrarySharingOptions {
  libraries: LibraryStore;
  invites: LibraryInviteStore;
  /** Who may invite us and whom we may invite: contacts, and My devices (issue 14), under the name we know them by. */
  contacts: { has(identity: string): boolean; get(identity: string): { name: string } | undefined };
  /** Our identity, and the name we go by now. */
  self: string;
  selfName: () => string;
  /** The verified link to a listed device, opened if needed. */
  channelFor: (peer: Peer) => Promise<PeerChannel>;
  log?: (message: string) => void;
  /** How long share() waits for the contact's answer (tests; INVITE_REPLY_WAIT_MS otherwise). */
  inviteReplyWaitMs?: number;
}

export class LibrarySharing {
  private readonly channels = new ChannelListeners();
  /** shareLibrary calls waiting for an answer, by invitation id: who must answer, and the call's resolve. */
  private readonly waiting = new Map<string, (reply: InviteReply | null, from?: string) => void>();
  private readonly repliedAt = new Map<string, number>();
  /** Messages from peers are handled one at a time (each may write the library file). */
  private readonly work = new SerialQueue();
  private closed = false;

  constructor(private readonly opts: LibrarySharingOptions) {}

  private get inviteReplyWaitMs(): number {
    return this.opts.inviteReplyWaitMs ?? INVITE_REPLY_WAIT_MS;
  }

  /** Resolves once the peers' messages received so far are handled (each may write the library file). */
  idle(): Promise<void> {
    return this.work.idle();
  }

  close(): void {
    this.closed = true;
    this.channels.detachAll();
  }

  /** A new authenticated link: its messages are heard, and what we know of the libraries we share with it goes to it. */
  attach(channel: PeerChannel): void {
    if (this.closed || !this.channels.attach(channel, (m) => this.receive(channel, m), () => {})) return;
    const shared = this.opts.libraries.records().filter((lib) => isMember(lib, channel.remoteIdentity) || lib.joinedWith?.from === channel.remoteIdentity);
    this.sendSync(channel, shared);
    // Invitations of this device declined while it could not be told: it hears now, and they go.
    for (const invite of this.opts.invites.declinedFrom(channel.remoteIdentity)) {
      if (!trySend(channel, { type: 'library-invite-reply', inviteId: invite.id, status: 'declined' })) continue;
      void this.work.run(() => this.opts.invites.remove(invite.id).then(() => undefined)).catch(() => undefined);
    }
  }

  // --- commands -------------------------------------------------------------------------------

  async share(uuid: string, peer: Peer): Promise<LibraryShareResult> {
    const lib = this.existing(uuid);
    const identity = peer.identity;
    const contact = identity === null ? undefined : this.opts.contacts.get(identity);
    if (identity === null || contact === undefined) {
      throw new CommandError('refused', `${peer.name} is not a contact: pair with it first, then invite it to “${lib.name}”`);
    }
    if (isMember(lib, identity)) throw new CommandError('refused', `${contact.name} is already a member of “${lib.name}”`);
    if (lib.members.length >= LIBRARY_MEMBERS_MAX) throw new CommandError('refused', `“${lib.name}” already has ${LIBRARY_MEMBERS_MAX} other devices; none can be invited`);
    const channel = await this.opts.channelFor(peer);
    if (channel.remoteIdentity !== identity) throw new CommandError('refused', `the link to ${contact.name} proved another identity`);
    const inviteId = randomBytes(16).toString('base64url');
    await this.opts.libraries.recordInvitation(uuid, { id: inviteId, identity, name: contact.name, at: new Date().toISOString() });
    const reply = this.replyTo(inviteId, identity);
    try {
      channel.send({ type: 'library-invite', inviteId, library: { uuid: lib.uuid, name: lib.name }, members: this.membersWithSelf(lib) });
    } catch {
      this.waiting.get(inviteId)?.(null);
      await this.opts.libraries.dropInvitation(uuid, inviteId);
      throw new CommandError('refused', `the link to ${contact.name} closed before the invitation left; try again`);
    }
    const answer = await reply;
    // No answer in time (the link went down, or its Nearby does not know invitations): it may have
    // arrived, so it stays in `invited` (a join with it is still admitted), and inviting again sends it again.
    if (answer === null) throw new CommandError('refused', `${contact.name} did not say within ${this.inviteReplyWaitMs / 1000} s whether it got the invitation to “${lib.name}”; invite it again when it is nearby`);
    if (answer.status !== 'listed') {
      await this.opts.libraries.dropInvitation(uuid, inviteId);
      if (answer.status === 'already-member') throw new CommandError('refused', `${contact.name} already has the library “${lib.name}”; nothing changed`);
      throw new CommandError('refused', `${contact.name} did not take the invitation${answer.message ? `: ${answer.message}` : ''}`);
    }
    return { inviteId, library: publicLibrary(this.existing(uuid)) };
  }

  /** Renames the library here and tells the members we are linked to (the others at their next sync): the latest rename wins. */
  async rename(uuid: string, name: string): Promise<Library> {
    const before = this.existing(uuid).renamedAt;
    const lib = await this.opts.libraries.rename(uuid, name);
    if (lib.renamedAt !== before) this.broadcast(lib);
    return publicLibrary(lib);
  }

  async accept(inviteId: string): Promise<Library> {
    const invite = this.opts.invites.get(inviteId);
    if (!invite) throw new CommandError('not-found', 'that invitation is not pending any more');
    if (this.opts.libraries.record(invite.uuid)) {
      await this.opts.invites.remove(inviteId);
      throw new CommandError('refused', `you already have the library “${this.opts.libraries.record(invite.uuid)?.name ?? invite.name}”; nothing changed`);
    }
    const joined = await this.opts.libraries.join({ uuid: invite.uuid, name: invite.name, members: invite.members, inviteId, from: invite.from.identity });
    await this.opts.invites.remove(inviteId);
    this.broadcast(joined);
    return publicLibrary(joined);
  }

  /** Tells the sender no; when no link to it is up, the decline waits (not shown) until one is. */
  async decline(inviteId: string): Promise<void> {
    const invite = this.opts.invites.get(inviteId);
    if (!invite) throw new CommandError('not-found', 'that invitation is not pending any more');
    const told = this.channelsTo(invite.from.identity).filter((channel) => trySend(channel, { type: 'library-invite-reply', inviteId, status: 'declined' })).length > 0;
    if (told) await this.opts.invites.remove(inviteId);
    else await this.opts.invites.markDeclined(inviteId);
  }

  /** Removes the library here and tells the members we are linked to; the others hear it at their next sync. */
  async leave(uuid: string): Promise<void> {
    const lib = await this.opts.libraries.delete(uuid);
    for (const channel of this.channels.all()) {
      if (isMember(lib, channel.remoteIdentity)) trySend(channel, { type: 'library-leave', uuid: lib.uuid });
    }
  }

  /** A device is no longer a contact: its invitations go (only contacts' are shown). */
  contactsChanged(): void {
    void this.work.run(() => this.opts.invites.prune((invite) => this.opts.contacts.has(invite.from.identity))).catch((err: Error) => this.opts.log?.(`pending invitations were not pruned: ${err.message}`));
  }

  // --- messages -------------------------------------------------------------------------------

  private receive(channel: PeerChannel, message: LinkMessage): void {
    if (this.closed) return;
    if (message.type === 'library-invite-reply') {
      this.waiting.get(message.inviteId)?.(message, channel.remoteIdentity);
      if (message.status === 'declined') void this.work.run(() => this.dropInvitationById(channel.remoteIdentity, message.inviteId));
      return;
    }
    if (message.type !== 'library-invite' && message.type !== 'library-sync' && message.type !== 'library-leave') return;
    void this.work
      .run(async () => {
        if (message.type === 'library-invite') await this.invited(channel, message);
        else if (message.type === 'library-sync') for (const state of message.libraries) await this.synced(channel, state);
        else await this.left(channel.remoteIdentity, message.uuid);
      })
      .catch((err: Error) => this.opts.log?.(`a library message from a peer could not be handled: ${err.message}`));
  }

  private async invited(channel: PeerChannel, message: Extract<LinkMessage, { type: 'library-invite' }>): Promise<void> {
    const from = channel.remoteIdentity;
    const reply = (status: InviteReply['status'], text?: string): void => void trySend(channel, { type: 'library-invite-reply', inviteId: message.inviteId, status, ...(text ? { message: text } : {}) });
    const contact = this.opts.contacts.get(from);
    if (!contact) return reply('refused', 'only contacts can invite this device to a library');
    if (this.opts.libraries.record(message.library.uuid)) return reply('already-member');
    const members = cleanMembers(message.members).filter((m) => m.identity !== this.opts.self);
    if (!members.some((m) => m.identity === from)) members.unshift({ identity: from, name: contact.name, since: new Date().toISOString() });
    try {
      await this.trimInvitesOf(from);
      await this.opts.invites.add({ id: message.inviteId, uuid: message.library.uuid, name: message.library.name, from: { identity: from, name: contact.name }, members: members.slice(0, LIBRARY_MEMBERS_MAX) });
    } catch (err) {
      return reply('refused', err instanceof CommandError ? err.message : 'the invitation could not be kept');
    }
    reply('listed');
  }

  private async synced(channel: PeerChannel, state: WireLibraryState): Promise<void> {
    const from = channel.remoteIdentity;
    const lib = this.opts.libraries.record(state.uuid);
    // It counts us in a library we do not have (any more): we left.
    if (!lib) return void trySend(channel, { type: 'library-leave', uuid: state.uuid });
    const remote: Membership = { members: cleanMembers(state.members), departed: cleanDepartures(state.departed) };
    const sender = remote.members.find((m) => m.identity === from);
    // Not a member we know: only the invitation we sent it makes it one.
    const admitted = !isMember(lib, from) && state.inviteId !== undefined && (await this.opts.libraries.admit(lib.uuid, state.inviteId, { identity: from, name: sender?.name ?? this.opts.contacts.get(from)?.name ?? 'Unnamed device' }));
    if (!admitted && !isMember(lib, from)) return;
    const merged = await this.opts.libraries.mergeMembers(lib.uuid, remote, this.opts.self);
    const renamed = state.renamedAt !== undefined && (await this.opts.libraries.takeName(lib.uuid, state.name, state.renamedAt));
    const record = this.existing(lib.uuid);
    if (merged.changed || admitted || renamed) this.broadcast(record);
    else if (knowsLess(remote, record, this.opts.self) || hasOlderName(state, record)) this.replyOnce(channel, record);
  }

  private async left(from: string, uuid: string): Promise<void> {
    const lib = this.opts.libraries.record(uuid);
    if (!lib || !isMember(lib, from)) return;
    const departure: Departure = { identity: from, at: new Date().toISOString() };
    const { record, changed } = await this.opts.libraries.removeMember(uuid, departure);
    if (changed) this.broadcast(record);
  }

  // --- helpers --------------------------------------------------------------------------------

  private existing(uuid: string): LibraryRecord {
    const lib = this.opts.libraries.record(uuid);
    if (!lib) throw new CommandError('not-found', `no library with id ${uuid}`);
    return lib;
  }

  private membersWithSelf(lib: LibraryRecord): LibraryMember[] {
    return [{ identity: this.opts.self, name: this.opts.selfName(), since: lib.createdAt }, ...lib.members];
  }

  private channelsTo(identity: string): PeerChannel[] {
    return this.channels.all().filter((c) => c.remoteIdentity === identity);
  }

  /** What we know of `lib` goes to every member we are linked to (and to the inviter we joined with). */
  private broadcast(lib: LibraryRecord): void {
    for (const channel of this.channels.all()) {
      if (isMember(lib, channel.remoteIdentity) || lib.joinedWith?.from === channel.remoteIdentity) this.sendSync(channel, [lib]);
    }
  }

  private replyOnce(channel: PeerChannel, lib: LibraryRecord): void {
    const key = `${channel.remoteIdentity}|${lib.uuid}`;
    const now = Date.now();
    if (now - (this.repliedAt.get(key) ?? -Infinity) < SYNC_REPLY_MIN_INTERVAL_MS) return;
    this.repliedAt.set(key, now);
    if (this.repliedAt.size > 1000) this.repliedAt.delete(this.repliedAt.keys().next().value as string);
    this.sendSync(channel, [lib]);
  }

  /** `library-sync` messages for `libs`, as few as fit the frame size. */
  private sendSync(channel: PeerChannel, libs: readonly LibraryRecord[]): void {
    let batch: WireLibraryState[] = [];
    let bytes = 0;
    const flush = () => {
      if (batch.length > 0) trySend(channel, { type: 'library-sync', libraries: batch });
      batch = [];
      bytes = 0;
    };
    for (const lib of libs) {
      const state: WireLibraryState = { uuid: lib.uuid, name: lib.name, members: this.membersWithSelf(lib), departed: lib.departed.map((d) => ({ ...d })) };
      if (lib.renamedAt !== undefined) state.renamedAt = lib.renamedAt;
      if (lib.joinedWith?.from === channel.remoteIdentity) state.inviteId = lib.joinedWith.inviteId;
      const size = Buffer.byteLength(JSON.stringify(state));
      if (batch.length >= LIBRARY_SYNC_BATCH_MAX || bytes + size > SYNC_FRAME_TARGET_BYTES) flush();
      batch.push(state);
      bytes += size;
    }
    flush();
  }

  /** Resolves with the answer of `identity` (no other device's) to invitation `inviteId`, or null when none came in time. */
  private replyTo(inviteId: string, identity: string): Promise<InviteReply | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), this.inviteReplyWaitMs);
      const done = (reply: InviteReply | null, from?: string) => {
        if (reply !== null && from !== identity) return;
        clearTimeout(timer);
        this.waiting.delete(inviteId);
        resolve(reply);
      };
      this.waiting.set(inviteId, done);
    });
  }

  private async dropInvitationById(identity: string, inviteId: string): Promise<void> {
    for (const lib of this.opts.libraries.records()) {
      if (lib.invited.some((i) => i.id === inviteId && i.identity === identity)) await this.opts.libraries.dropInvitation(lib.uuid, inviteId);
    }
  }

  /** Room for one more invitation of `identity`: its oldest go past LIBRARY_INVITES_PER_CONTACT_MAX. */
  private async trimInvitesOf(identity: string): Promise<void> {
    const theirs = this.opts.invites.list().filter((i) => i.from.identity === identity);
    const excess = new Set(theirs.slice(0, Math.max(0, theirs.length - LIBRARY_INVITES_PER_CONTACT_MAX + 1)).map((i) => i.id));
    if (excess.size > 0) await this.opts.invites.prune((i) => !excess.has(i.id));
  }
}

function isMember(lib: LibraryRecord, identity: string): boolean {
  return lib.members.some((m) => m.identity === identity);
}

/** Whether a member's view lacks someone we count in (ourselves included) or still counts someone who left. */
function knowsLess(remote: Membership, lib: LibraryRecord, self: string): boolean {
  const theirs = new Set(remote.members.map((m) => m.identity));
  if (!theirs.has(self) || lib.members.some((m) => !theirs.has(m.identity))) return true;
  const ours = new Set(lib.members.map((m) => m.identity));
  return remote.members.some((m) => m.identity !== self && !ours.has(m.identity) && lib.departed.some((d) => d.identity === m.identity));
}

/** Whether a member still goes by an older name of the library than ours (it never heard of our rename). */
function hasOlderName(state: WireLibraryState, lib: LibraryRecord): boolean {
  return lib.renamedAt !== undefined && state.name !== lib.name && laterRename(lib.renamedAt, lib.name, { name: state.name, renamedAt: state.renamedAt });
}

/** The well-formed members of a message, each once, names cleaned; the rest is dropped. */
function cleanMembers(raw: readonly unknown[]): LibraryMember[] {
  const out: LibraryMember[] = [];
  for (const item of raw) {
    const parsed = memberSchema.safeParse(item);
    if (parsed.success && !out.some((m) => m.identity === parsed.data.identity)) out.push(parsed.data);
  }
  return out;
}

function cleanDepartures(raw: readonly unknown[]): Departure[] {
  const out: Departure[] = [];
  for (const item of raw) {
    const parsed = departureSchema.safeParse(item);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** Sends `message`; false when the link closed meanwhile (the members meet again at the next link). */
function trySend(channel: PeerChannel, message: LinkMessage): boolean {
  try {
    channel.send(message);
    return true;
  } catch {
    return false;
  }
}
