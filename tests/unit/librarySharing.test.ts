// Shared libraries (issue 13) between nodes' sharing services over in-memory links, with the real
// stores on disk: invitations to contacts only, accept, decline, members meeting, leaving, and
// what a hostile or mistaken peer sends.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CommandError } from '../../src-shared/contract.js';
import type { Peer } from '../../src-shared/peer.js';
import { mergeMembership } from '../../src-main/core/libraries/membership.js';
import { LibrarySharing } from '../../src-main/core/libraries/librarySharing.js';
import { LibraryStore } from '../../src-main/core/storage/libraries.js';
import { LIBRARY_INVITES_FILE, LIBRARY_INVITES_MAX, LibraryInviteStore } from '../../src-main/core/storage/libraryInvites.js';
import type { PeerChannel } from '../../src-main/core/p2p/messages.js';
import { channelPair, identityFromSeed, type MemoryChannel } from '../support/memoryChannel.js';
import { peerFixture } from '../support/nodeStateFixture.js';
import { useTempDirs } from '../support/tempDirs.js';

const freshDir = useTempDirs('sharing');

interface Device {
  name: string;
  dir: string;
  identity: string;
  libraries: LibraryStore;
  invites: LibraryInviteStore;
  contacts: Map<string, string>;
  sharing: LibrarySharing;
  /** The link to each other device, by identity. */
  links: Map<string, PeerChannel>;
}

async function device(name: string, inviteReplyWaitMs?: number): Promise<Device> {
  const dir = await freshDir();
  const identity = identityFromSeed(name);
  const libraries = await LibraryStore.load(dir);
  const invites = await LibraryInviteStore.load(dir);
  const contacts = new Map<string, string>();
  const links = new Map<string, PeerChannel>();
  const sharing = new LibrarySharing({
    libraries,
    invites,
    contacts: { has: (id) => contacts.has(id), get: (id) => (contacts.has(id) ? { identity: id, name: contacts.get(id)!, addedAt: new Date().toISOString() } : undefined) },
    self: identity,
    selfName: () => name,
    inviteReplyWaitMs,
    channelFor: async (peer) => {
      const link = links.get(peer.identity!);
      if (!link) throw new CommandError('refused', `${peer.name} is not connected`);
      return link;
    },
  });
  return { name, dir, identity, libraries, invites, contacts, sharing, links };
}

function pair(a: Device, b: Device): void {
  a.contacts.set(b.identity, b.name);
  b.contacts.set(a.identity, a.name);
}

/** Links a and b (as a link coming up: each side's service attached to its end). */
function link(a: Device, b: Device): [MemoryChannel, MemoryChannel] {
  const [atA, atB] = channelPair(a.identity, b.identity);
  a.links.set(b.identity, atA);
  b.links.set(a.identity, atB);
  a.sharing.attach(atA);
  b.sharing.attach(atB);
  return [atA, atB];
}

function peerOf(d: Device): Peer {
  return peerFixture(d.identity, d.name);
}

/** Waits until what was sent to `d` so far has arrived (links deliver on the next turn) and been handled. */
async function handled(d: Device): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await d.sharing.idle();
}

async function until(what: string, condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const membersOf = (d: Device, uuid: string) => (d.libraries.get(uuid)?.members ?? []).map((m) => m.identity).sort();

describe('shared libraries between nodes', () => {
  test('A invites contact B; B lists it, accepts: same uuid, name, active; each lists the other as a member', async () => {
    const [a, b] = await Promise.all([device('Laptop'), device('Desktop')]);
    pair(a, b);
    link(a, b);
    const photos = await a.libraries.create('Photos');
    const { inviteId, library } = await a.sharing.share(photos.uuid, peerOf(b));
    assert.deepEqual(library.invited.map((i) => i.identity), [b.identity], 'A remembers the invitation');
    const [invite] = b.invites.invites();
    assert.deepEqual({ id: invite?.id, uuid: invite?.uuid, name: invite?.name, from: invite?.from }, { id: inviteId, uuid: photos.uuid, name: 'Photos', from: { identity: a.identity, name: 'Laptop' } });

    const joined = await b.sharing.accept(inviteId);
    assert.deepEqual([joined.uuid, joined.name, joined.active], [photos.uuid, 'Photos', true]);
    assert.deepEqual(joined.members.map((m) => m.identity), [a.identity]);
    assert.deepEqual(b.invites.invites(), [], 'no longer pending');
    await until('A admits B', () => membersOf(a, photos.uuid).includes(b.identity));
    assert.deepEqual(a.libraries.get(photos.uuid)?.invited, [], 'the invitation is answered');
    await until('B hears that A lists it', () => b.libraries.record(photos.uuid)?.joinedWith === undefined);
  });

  test('a third member is known to all once the members meet; one that leaves stays out even when a stale member still counts it', async () => {
    const [a, b, c] = await Promise.all([device('A'), device('B'), device('C')]);
    pair(a, b);
    pair(a, c);
    link(a, b);
    link(a, c);
    const lib = await a.libraries.create('Family');
    await b.sharing.accept((await a.sharing.share(lib.uuid, peerOf(b))).inviteId);
    await c.sharing.accept((await a.sharing.share(lib.uuid, peerOf(c))).inviteId);
    await until('A lists B and C', () => membersOf(a, lib.uuid).length === 2);
    await until('B learns of C through A', () => membersOf(b, lib.uuid).includes(c.identity));
    await until('C learns of B through A', () => membersOf(c, lib.uuid).includes(b.identity));

    // B and C (not contacts) meet as members; then B leaves: both hear it over their links.
    link(b, c);
    await b.sharing.leave(lib.uuid);
    assert.equal(b.libraries.get(lib.uuid), undefined, 'gone here');
    await until('C hears B left', () => !membersOf(c, lib.uuid).includes(b.identity));
    await until('A hears B left', () => !membersOf(a, lib.uuid).includes(b.identity));
    // A stale view that still counts B (sent before the departure) does not bring it back.
    const stale = { identity: b.identity, name: 'B', since: new Date(Date.now() - 60_000).toISOString() };
    a.links.get(c.identity)!.send({ type: 'library-sync', libraries: [{ uuid: lib.uuid, name: 'Family', members: [{ identity: a.identity, name: 'A', since: lib.createdAt }, stale], departed: [] }] });
    await handled(c);
    assert.ok(!membersOf(c, lib.uuid).includes(b.identity));
  });

  test('a member we were not linked to when we left hears it at its next sync', async () => {
    const [a, b] = await Promise.all([device('A'), device('B')]);
    pair(a, b);
    const [ab] = link(a, b);
    const lib = await a.libraries.create('Music');
    await b.sharing.accept((await a.sharing.share(lib.uuid, peerOf(b))).inviteId);
    await until('A admits B', () => membersOf(a, lib.uuid).includes(b.identity));
    ab.close();
    a.links.clear();
    b.links.clear();
    await b.sharing.leave(lib.uuid); // nobody to tell
    assert.ok(membersOf(a, lib.uuid).includes(b.identity));
    link(a, b); // A sends what it knows; B answers that it is not in it
    await until('A hears B left', () => !membersOf(a, lib.uuid).includes(b.identity));
    assert.deepEqual(a.libraries.record(lib.uuid)?.departed.map((d) => d.identity), [b.identity]);
  });

  test('a rename reaches the members: at once over a link, at the next sync for one away; the latest rename wins, a stranger cannot rename', async () => {
    const [a, b, c] = await Promise.all([device('A'), device('B'), device('C')]);
    pair(a, b);
    pair(a, c);
    const [ab] = link(a, b);
    link(a, c);
    const lib = await a.libraries.create('Photos');
    await b.sharing.accept((await a.sharing.share(lib.uuid, peerOf(b))).inviteId);
    await c.sharing.accept((await a.sharing.share(lib.uuid, peerOf(c))).inviteId);
    await until('A lists B and C', () => membersOf(a, lib.uuid).length === 2);

    const renamed = await a.sharing.rename(lib.uuid, 'Family photos');
    assert.equal(renamed.name, 'Family photos');
    await until('B and C take the new name', () => b.libraries.get(lib.uuid)?.name === 'Family photos' && c.libraries.get(lib.uuid)?.name === 'Family photos');

    // B renames while away from A; A renames later still: when they meet, A's later name wins on both.
    ab.close();
    a.links.delete(b.identity);
    b.links.delete(a.identity);
    await b.sharing.rename(lib.uuid, 'Holidays');
    await new Promise((r) => setTimeout(r, 5));
    await a.sharing.rename(lib.uuid, 'Holidays 2026');
    await until('C takes A\'s rename', () => c.libraries.get(lib.uuid)?.name === 'Holidays 2026');
    link(a, b);
    await until('B takes the later name', () => b.libraries.get(lib.uuid)?.name === 'Holidays 2026');
    assert.equal(a.libraries.get(lib.uuid)?.name, 'Holidays 2026', 'A keeps its later name');

    // A device that is not a member announcing the library with a new name changes nothing.
    const d = await device('D');
    pair(a, d);
    const [, atD] = link(a, d);
    const { renamedAt } = a.libraries.record(lib.uuid)!;
    const later = new Date(Date.parse(renamedAt!) + 1000).toISOString();
    atD.send({ type: 'library-sync', libraries: [{ uuid: lib.uuid, name: 'Stolen', renamedAt: later, members: [{ identity: d.identity, name: 'D', since: later }], departed: [] }] });
    await handled(a);
    assert.equal(a.libraries.get(lib.uuid)?.name, 'Holidays 2026', 'not renamed by a stranger');
  });

  test('a contact that does not answer the invitation: share says so; the invitation stays (a join with it still counts), and inviting again replaces it', async () => {
    const [a, b] = await Promise.all([device('A', 200), device('B')]);
    pair(a, b);
    const [atA] = channelPair(a.identity, b.identity);
    a.links.set(b.identity, atA);
    a.sharing.attach(atA); // B's end has nobody listening: no answer comes
    const lib = await a.libraries.create('Photos');
    await assert.rejects(a.sharing.share(lib.uuid, peerOf(b)), /B did not say within 0\.2 s whether it got the invitation to “Photos”; invite it again when it is nearby/);
    const first = a.libraries.get(lib.uuid)?.invited ?? [];
    assert.deepEqual(first.map((i) => i.identity), [b.identity], 'kept: it may have arrived');
    await assert.rejects(a.sharing.share(lib.uuid, peerOf(b)));
    assert.equal(a.libraries.get(lib.uuid)?.invited.length, 1, 'the new invitation replaced the old one');
  });

  test('an invitation from a device that is not our contact is refused and never shown', async () => {
    const [a, b] = await Promise.all([device('A'), device('Stranger')]);
    a.contacts.set(b.identity, 'B'); // A thinks B is its contact; B does not know A
    link(a, b);
    const lib = await a.libraries.create('Photos');
    await assert.rejects(a.sharing.share(lib.uuid, peerOf(b)), (err: Error) => err instanceof CommandError && /did not take the invitation: only contacts/.test(err.message));
    assert.deepEqual(b.invites.invites(), [], 'never listed');
    assert.deepEqual(a.libraries.get(lib.uuid)?.invited, [], 'nothing left waiting');
  });

  test('we invite contacts only; a member again is refused; an invitation for a library the contact has says so and changes nothing', async () => {
    const [a, b, s] = await Promise.all([device('A'), device('B'), device('S')]);
    pair(a, b);
    link(a, b);
    link(a, s);
    const lib = await a.libraries.create('Photos');
    await assert.rejects(a.sharing.share(lib.uuid, peerOf(s)), /S is not a contact: pair with it first/);
    // B already has a library with this uuid.
    await b.libraries.join({ uuid: lib.uuid, name: 'Photos', members: [], inviteId: 'earlier-invite', from: a.identity });
    const before = JSON.stringify(b.libraries.list());
    await assert.rejects(a.sharing.share(lib.uuid, peerOf(b)), /B already has the library “Photos”; nothing changed/);
    assert.equal(JSON.stringify(b.libraries.list()), before);
    assert.deepEqual(b.invites.invites(), []);
    assert.deepEqual(a.libraries.get(lib.uuid)?.invited, []);
  });

  test('declined: the sender forgets the invitation; accepting an invitation for a library we got meanwhile changes nothing', async () => {
    const [a, b, c] = await Promise.all([device('A'), device('B'), device('C')]);
    pair(a, b);
    pair(c, b);
    link(a, b);
    link(c, b);
    const lib = await a.libraries.create('Photos');
    const first = await a.sharing.share(lib.uuid, peerOf(b));
    await b.sharing.decline(first.inviteId);
    await until('A forgets it', () => a.libraries.get(lib.uuid)?.invited.length === 0);
    const again = await a.sharing.share(lib.uuid, peerOf(b));
    await b.sharing.accept(again.inviteId);
    // C invites B to a library of the same uuid (C forged it): B has it already.
    await c.libraries.join({ uuid: lib.uuid, name: 'Forged', members: [], inviteId: 'xxxxxxxx', from: a.identity });
    await assert.rejects(c.sharing.share(lib.uuid, peerOf(b)), /already has the library/);
    assert.equal(b.libraries.get(lib.uuid)?.name, 'Photos');
  });

  test('declined while the sender is away: not shown any more, and the sender hears it when their link comes up', async () => {
    const [a, b] = await Promise.all([device('A'), device('B')]);
    pair(a, b);
    const [ab] = link(a, b);
    const lib = await a.libraries.create('Photos');
    const { inviteId } = await a.sharing.share(lib.uuid, peerOf(b));
    ab.close();
    a.links.clear();
    b.links.clear();
    await b.sharing.decline(inviteId);
    assert.deepEqual(b.invites.invites(), [], 'gone from the list at once');
    await assert.rejects(b.sharing.accept(inviteId), /not pending any more/, 'a declined invitation cannot be accepted');
    assert.equal(a.libraries.get(lib.uuid)?.invited.length, 1, 'A still waits: it could not be told');
    const reloaded = await LibraryInviteStore.load(b.dir);
    assert.deepEqual(reloaded.declinedFrom(a.identity).map((i) => i.id), [inviteId], 'the decline waits on disk');
    link(a, b);
    await until('A hears the decline', () => a.libraries.get(lib.uuid)?.invited.length === 0);
    await until('B forgets the invitation once told', () => b.invites.declinedFrom(a.identity).length === 0);
  });

  test('a device announcing our uuid with an invitation id we never gave it is not admitted', async () => {
    const [a, m] = await Promise.all([device('A'), device('Mallory')]);
    pair(a, m);
    const lib = await a.libraries.create('Photos');
    const [, atM] = link(a, m);
    atM.send({ type: 'library-sync', libraries: [{ uuid: lib.uuid, name: 'Photos', members: [{ identity: m.identity, name: 'M', since: new Date().toISOString() }], departed: [], inviteId: 'guessed-invite-id' }] });
    atM.send({ type: 'library-leave', uuid: lib.uuid });
    await handled(a);
    assert.deepEqual(membersOf(a, lib.uuid), []);
  });

  test('hostile invitations: names cleaned and capped, malformed members dropped, an empty name refused', async () => {
    const [a, b] = await Promise.all([device('A'), device('B')]);
    pair(a, b);
    const [atA] = link(a, b);
    const uuid = randomUUID();
    atA.send({
      type: 'library-invite',
      inviteId: 'hostile-1',
      library: { uuid, name: `  Ph\u202eotos\u0000 ${'x'.repeat(200)}` },
      members: [{ identity: 'not-an-identity', name: 'x', since: 'yesterday' }, { identity: a.identity, name: '\u0007A\u200f', since: new Date().toISOString() }],
    });
    await until('listed', () => b.invites.invites().length === 1);
    const [invite] = b.invites.invites();
    assert.ok(invite!.name.startsWith('Photos x') && [...invite!.name].length <= 64, invite!.name);
    assert.deepEqual(b.invites.get('hostile-1')?.members.map((m) => [m.identity, m.name]), [[a.identity, 'A']]);
    atA.send({ type: 'library-invite', inviteId: 'hostile-2', library: { uuid: randomUUID(), name: ' \u200b ' }, members: [] });
    await until('answered', () => atA.peer!.sent.some((m) => m.type === 'library-invite-reply' && m.inviteId === 'hostile-2'));
    const reply = atA.peer!.sent.find((m) => m.type === 'library-invite-reply' && m.inviteId === 'hostile-2');
    assert.equal(reply?.type === 'library-invite-reply' ? reply.status : null, 'refused');
    assert.equal(b.invites.invites().length, 1);
  });
});

describe('pending invitations', () => {
  test(`at most ${LIBRARY_INVITES_MAX} wait: the oldest go first; one contact's new invitation to a library replaces its older one`, async () => {
    // A full file written at once (a thousand atomic writes one by one would cost seconds), then five more added.
    const dir = await freshDir();
    const contacts = Array.from({ length: 11 }, (_, i) => identityFromSeed(`contact ${i}`));
    const invite = (i: number) => ({ id: `invite-${String(i).padStart(5, '0')}`, uuid: randomUUID(), name: `L${i}`, from: { identity: contacts[i % contacts.length]!, name: 'C' }, members: [] });
    const received = new Date().toISOString();
    writeFileSync(join(dir, LIBRARY_INVITES_FILE), JSON.stringify({ version: 1, invites: Array.from({ length: LIBRARY_INVITES_MAX }, (_, i) => ({ ...invite(i), received })) }));
    const store = await LibraryInviteStore.load(dir);
    assert.equal(store.invites().length, LIBRARY_INVITES_MAX, 'the full file is read');
    for (let i = LIBRARY_INVITES_MAX; i < LIBRARY_INVITES_MAX + 5; i++) await store.add(invite(i));
    const ids = store.invites().map((i) => i.id);
    assert.equal(ids.length, LIBRARY_INVITES_MAX);
    assert.equal(ids[0], 'invite-00005', 'the five oldest went');
    const uuid = store.invites()[10]!.uuid;
    const from = store.invites()[10]!.from;
    await store.add({ id: 'invite-again', uuid, name: 'Again', from, members: [] });
    assert.equal(store.invites().filter((i) => i.uuid === uuid).length, 1);
    assert.equal(store.invites().at(-1)!.id, 'invite-again');
  });
});

describe('membership merge', () => {
  const x = identityFromSeed('x');
  const y = identityFromSeed('y');
  const self = identityFromSeed('self');
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

  test('the latest of a join and a departure wins, a departure a tie; what others say of us is ignored', () => {
    const local = { members: [{ identity: x, name: 'X', since: t(1) }], departed: [] };
    const left = mergeMembership(local, { members: [], departed: [{ identity: x, at: t(5) }] }, { self, max: 32 });
    assert.deepEqual(left.members, []);
    const staleJoin = mergeMembership(left, { members: [{ identity: x, name: 'X', since: t(2) }], departed: [] }, { self, max: 32 });
    assert.deepEqual(staleJoin.members, [], 'an older join does not undo a departure');
    const rejoined = mergeMembership(left, { members: [{ identity: x, name: 'X', since: t(9) }], departed: [] }, { self, max: 32 });
    assert.deepEqual(rejoined.members.map((m) => m.identity), [x], 'invited again later: in again');
    const tie = mergeMembership(local, { members: [], departed: [{ identity: x, at: t(1) }] }, { self, max: 32 });
    assert.deepEqual(tie.members, []);
    const aboutUs = mergeMembership(local, { members: [{ identity: self, name: 'me', since: t(3) }], departed: [{ identity: self, at: t(4) }] }, { self, max: 32 });
    assert.deepEqual(aboutUs, { members: local.members, departed: local.departed });
  });

  test('nothing new: the same arrays come back; the cap keeps newcomers out', () => {
    const local = { members: [{ identity: x, name: 'X', since: t(1) }], departed: [] };
    const same = mergeMembership(local, { members: [{ identity: x, name: 'Other name', since: t(3) }], departed: [] }, { self, max: 32 });
    assert.equal(same.members, local.members);
    assert.equal(same.departed, local.departed);
    const full = mergeMembership(local, { members: [{ identity: y, name: 'Y', since: t(2) }], departed: [] }, { self, max: 1 });
    assert.deepEqual(full.members.map((m) => m.identity), [x]);
  });
});
