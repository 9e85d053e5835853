// The P2P link over TLS on 127.0.0.1 inside this process (no discovery runs): hello with metadata,
// messages both ways, liveness, a misbehaving peer dropped for what it did, one link per pair.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { PeerLink, type LinkCloseReason, type LinkTiming } from '../../src-main/core/p2p/link.js';
import { LinkManager } from '../../src-main/core/p2p/linkManager.js';
import { encodeFrame } from '../../src-main/core/p2p/frames.js';
import { createTlsIdentity, provenIdentity, tlsOptions, type TlsIdentity } from '../../src-main/core/p2p/tlsIdentity.js';
import type { LinkMessage } from '../../src-main/core/p2p/messages.js';
import { emptyDeviceMetadata, type DeviceMetadata } from '../../src-shared/peerMetadata.js';

const FAST: Partial<LinkTiming> = { helloTimeoutMs: 500, pingIntervalMs: 150, silenceLimitMs: 600, frameDeadlineMs: 400 };
const meta = (name: string, libraries: DeviceMetadata['libraries'] = []): DeviceMetadata => ({ ...emptyDeviceMetadata(), name, operatingSystem: 'linux', deviceModel: 'NAS', version: '0.1.0', libraries });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const newId = (): TlsIdentity => createTlsIdentity(generateKeyPairSync('ed25519').privateKey);

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A server whose every connection becomes a PeerLink (FAST timing); resolves each link's close reason. */
async function linkServer(id: TlsIdentity, timing: Partial<LinkTiming> = FAST): Promise<{ port: number; links: PeerLink[]; closed: Promise<LinkCloseReason> }> {
  const links: PeerLink[] = [];
  let resolveClosed: (r: LinkCloseReason) => void = () => {};
  const closed = new Promise<LinkCloseReason>((r) => (resolveClosed = r));
  const server: Server = createServer({ ...tlsOptions(id), requestCert: true }, (socket) => {
    const remote = provenIdentity(socket);
    if (!remote) return socket.destroy();
    const link = new PeerLink({ socket, localIdentity: id.identity, remoteIdentity: remote, outgoing: false, hello: { metadata: meta('Server'), port: 1 }, timing });
    link.on('close', (reason) => resolveClosed(reason));
    links.push(link);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => {
    for (const l of links) l.close();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, links, closed };
}

/** A raw TLS client with its own key: sends whatever bytes the test wants. */
function rawClient(port: number): Promise<TLSSocket> {
  const id = newId();
  return new Promise((resolve, reject) => {
    const s = connect({ ...tlsOptions(id), host: '127.0.0.1', port, checkServerIdentity: () => undefined });
    s.on('data', () => {});
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => s.destroy());
  });
}

const hello = encodeFrame({ type: 'hello', version: 1, metadata: meta('Client'), port: 2 });

async function manager(name: string, timing?: Partial<LinkTiming>): Promise<{ m: LinkManager; id: TlsIdentity; port: number }> {
  const id = newId();
  let port = 0;
  const m = new LinkManager({ tls: id, hello: () => ({ metadata: meta(name), port }), ...(timing ? { linkTiming: timing } : {}) });
  port = await m.listen(0);
  cleanups.push(() => m.stop());
  return { m, id, port };
}

describe('PeerLink', () => {
  test('hello both ways: metadata, the full library list and the listening port; messages reach the other side', async () => {
    const a = await manager('Alpha');
    const b = await manager('Bravo');
    const libraries = Array.from({ length: 50 }, (_, i) => ({ uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, identity: b.id.identity }));
    const bWithLibraries = new LinkManager({ tls: b.id, hello: () => ({ metadata: meta('Bravo', libraries), port: b.port }) });
    const bPort = await bWithLibraries.listen(0);
    cleanups.push(() => bWithLibraries.stop());
    const received = new Promise<LinkMessage>((resolve) => bWithLibraries.on('channel', (c) => c.on('message', resolve)));
    const r = await a.m.dial('127.0.0.1', bPort);
    assert.equal(r.identity, b.id.identity, 'the dial proves the identity');
    const link = a.m.adopt(r.socket, r.identity, true, 'manual')!;
    await new Promise((res) => link.on('ready', res));
    assert.equal(link.remoteMetadata?.name, 'Bravo');
    assert.equal(link.remoteMetadata?.libraries.length, 50);
    assert.equal(link.remoteListenPort, b.port);
    link.send({ type: 'pair-request', requestId: 'abcdefgh', commitment: `${'A'.repeat(43)}=` });
    assert.deepEqual(await received, { type: 'pair-request', requestId: 'abcdefgh', commitment: `${'A'.repeat(43)}=` });
    const [ready] = a.m.readyLinks();
    assert.equal(ready?.remoteIdentity, b.id.identity);
    assert.equal(ready?.remoteMetadata?.libraries.length, 50);
  });

  test('metadata is cleaned as it arrives, and ours is cut to the link caps before it leaves (the peer takes our hello)', async () => {
    const a = await manager('Alpha');
    const b = await manager(`${'😀'.repeat(300)}\u202e`); // 601 UTF-16 units: over the 256 a hello may carry
    const r = await a.m.dial('127.0.0.1', b.port);
    const link = a.m.adopt(r.socket, r.identity, true, 'manual')!;
    await new Promise((resolve, reject) => {
      link.on('ready', resolve);
      link.on('close', (reason) => reject(new Error(`the link closed (${reason}) instead of taking the hello`)));
    });
    assert.equal(link.remoteMetadata?.name, `${'😀'.repeat(63)}…`);
  });

  test('pings keep a quiet link alive past the silence limit', async () => {
    const a = await manager('Alpha', FAST);
    const b = await manager('Bravo', FAST);
    const r = await a.m.dial('127.0.0.1', b.port);
    const link = a.m.adopt(r.socket, r.identity, true, 'manual')!;
    await new Promise((res) => link.on('ready', res));
    await sleep(1500);
    assert.equal(link.closed, false);
    assert.ok(a.m.linkTo(b.id.identity));
    assert.ok(b.m.linkTo(a.id.identity));
  });

  const misbehaviours: Array<[string, (s: TLSSocket) => void, LinkCloseReason]> = [
    ['says nothing after TLS', () => {}, 'no-hello'],
    ['goes silent after its hello', (s) => s.write(hello), 'silent'],
    ['sends a message before its hello', (s) => s.write(encodeFrame({ type: 'ping', n: 1 })), 'bad-message'],
    ['sends a second hello', (s) => s.write(Buffer.concat([hello, hello])), 'bad-message'],
    ['sends a message that fails the schema', (s) => s.write(Buffer.concat([hello, encodeFrame({ type: 'ping', n: -1 })])), 'bad-message'],
    ['sends an unknown message type', (s) => s.write(Buffer.concat([hello, encodeFrame({ type: 'shell', cmd: 'rm -rf /' })])), 'bad-message'],
    ['sends an oversize frame header', (s) => s.write(Buffer.concat([hello, Buffer.from([0x7f, 0xff, 0xff, 0xff])])), 'bad-frame'],
    ['sends bytes that are not JSON', (s) => s.write(Buffer.concat([hello, Buffer.from([0, 0, 0, 3, 0x7b, 0x7b, 0x7b])])), 'bad-frame'],
    ['begins a frame and never finishes it', (s) => s.write(Buffer.concat([hello, encodeFrame({ type: 'ping', n: 1 }).subarray(0, 6)])), 'slow-frame'],
    ['floods messages', (s) => s.write(Buffer.concat([hello, ...Array.from({ length: 200 }, (_, i) => encodeFrame({ type: 'ping', n: i }))])), 'flood'],
  ];
  for (const [what, act, reason] of misbehaviours) {
    test(`a peer that ${what} is dropped (${reason})`, async () => {
      const server = await linkServer(newId());
      const client = await rawClient(server.port);
      const clientClosed = new Promise((r) => client.once('close', r));
      act(client);
      assert.equal(await server.closed, reason);
      await clientClosed;
    });
  }

  // Issue 11: 16 links each sending 52 KB of metadata 19 times a second took 65 % of a core.
  const METADATA_TIMING: Partial<LinkTiming> = { ...FAST, pingIntervalMs: 1000, silenceLimitMs: 5000, metadataBurst: 3, metadataIntervalMs: 300, metadataSupersededMax: 5 };
  const update = (name: string) => encodeFrame({ type: 'metadata', metadata: meta(name) });

  test('metadata now and then is taken at once; a burst past it is coalesced, the newest applied at its turn', async () => {
    const server = await linkServer(newId(), METADATA_TIMING);
    const client = await rawClient(server.port);
    client.write(hello);
    while (server.links.length === 0) await sleep(5);
    const link = server.links[0]!;
    const seen: string[] = [];
    link.on('metadata', (m) => seen.push(m.name));
    client.write(Buffer.concat([update('One'), update('Two'), update('Three')]));
    await sleep(100);
    assert.deepEqual(seen, ['One', 'Two', 'Three'], 'a few changes are taken at once');
    client.write(Buffer.concat([update('Four'), update('Five'), update('Six')]));
    await sleep(100);
    assert.deepEqual(seen, ['One', 'Two', 'Three'], 'past the burst, updates wait for their turn');
    await sleep(400);
    assert.deepEqual(seen, ['One', 'Two', 'Three', 'Six'], 'the newest is applied at its turn, the ones it replaced never');
    assert.equal(link.remoteMetadata?.name, 'Six');
    assert.equal(link.closed, false);
  });

  test('a stream of metadata updates closes the link (metadata-flood), before any of them is validated', async () => {
    const server = await linkServer(newId(), METADATA_TIMING);
    const client = await rawClient(server.port);
    const seen: string[] = [];
    client.write(hello);
    while (server.links.length === 0) await sleep(5);
    server.links[0]!.on('metadata', (m) => seen.push(m.name));
    client.write(Buffer.concat(Array.from({ length: 12 }, (_, i) => update(`Update ${i}`))));
    assert.equal(await server.closed, 'metadata-flood');
    assert.deepEqual(seen, ['Update 0', 'Update 1', 'Update 2'], 'only the burst was taken');
  });

  /** Alpha linked to Bravo with the short metadata pace; the names of the metadata updates Bravo takes. */
  async function linkedWithMetadataTiming(): Promise<{ link: PeerLink; seenAtB: string[] }> {
    const a = await manager('Alpha', METADATA_TIMING);
    const b = await manager('Bravo', METADATA_TIMING);
    const seenAtB: string[] = [];
    b.m.on('channel', (channel) => (channel as PeerLink).on('metadata', (m) => seenAtB.push(m.name)));
    const r = await a.m.dial('127.0.0.1', b.port);
    const link = a.m.adopt(r.socket, r.identity, true, 'manual')!;
    await new Promise((res) => link.on('ready', res));
    await sleep(50);
    return { link, seenAtB };
  }

  test('our own metadata changes go at the pace the peer takes them: the newest is sent at its turn, and the link stays', async () => {
    const { link, seenAtB } = await linkedWithMetadataTiming();
    for (let i = 0; i < 30; i++) link.sendMetadata(meta(`Alpha ${i}`));
    await sleep(100);
    assert.deepEqual(seenAtB, ['Alpha 0', 'Alpha 1', 'Alpha 2']);
    await sleep(400);
    assert.deepEqual(seenAtB, ['Alpha 0', 'Alpha 1', 'Alpha 2', 'Alpha 29']);
    assert.equal(link.closed, false, 'the peer did not take it for a stream');
  });

  test('metadata the peer has already is not sent again and spends none of the pace: the next real change goes at once', async () => {
    const { link, seenAtB } = await linkedWithMetadataTiming();
    link.sendMetadata(meta('Alpha 1'));
    for (let i = 0; i < 10; i++) link.sendMetadata(meta('Alpha 1')); // contacts changed elsewhere: nothing new for this peer
    await sleep(50);
    link.sendMetadata(meta('Alpha 2'));
    link.sendMetadata(meta('Alpha 3'));
    await sleep(100);
    assert.deepEqual(seenAtB, ['Alpha 1', 'Alpha 2', 'Alpha 3'], 'the repeats took no turn: the changes after them went at once');
  });

  test('two links to one peer: both sides keep the same one, dialled by the lower identity', async () => {
    const a = await manager('Alpha');
    const b = await manager('Bravo');
    const [ra, rb] = await Promise.all([a.m.dial('127.0.0.1', b.port), b.m.dial('127.0.0.1', a.port)]);
    a.m.adopt(ra.socket, ra.identity, true, 'mdns');
    b.m.adopt(rb.socket, rb.identity, true, 'mdns');
    await sleep(300);
    const la = a.m.linkTo(b.id.identity);
    const lb = b.m.linkTo(a.id.identity);
    assert.ok(la && lb, 'each side has a link');
    const aIsLower = a.id.identity < b.id.identity;
    assert.equal(la.outgoing, aIsLower, 'Alpha keeps the link the lower identity dialled');
    assert.equal(lb.outgoing, !aIsLower, 'and so does Bravo');
    assert.equal(a.m.readyLinks().length, 1);
    assert.equal(b.m.readyLinks().length, 1);
  });

  test('a node that dials itself is not linked', async () => {
    const a = await manager('Alpha');
    const r = await a.m.dial('127.0.0.1', a.port);
    assert.equal(r.identity, a.id.identity);
    assert.equal(a.m.adopt(r.socket, r.identity, true, 'manual'), null);
    await sleep(100);
    assert.equal(a.m.readyLinks().length, 0);
  });
});
