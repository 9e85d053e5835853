// Issue 5: Contacts only. Four hosts on a namespace LAN, epochs of 3 s (SD_NEARBY_EPOCH_MS):
// S (the private device), C (its contact, paired through the API), X (a stranger) and O (a
// one-sided contact: it holds S's secret, S does not hold it). Shown:
// 1. every packet S sends over two epochs holds none of its name, identity (text or key bytes),
//    libraries, OS, model or host name; its token changes each epoch and differs from C's;
// 2. C finds S, verified, within 2 s of S starting; X lists no device for S and a metadata
//    request to S's port gets it nothing (a decoy certificate, a closed connection); O neither;
// 3. after S removes C, C no longer resolves S's broadcasts;
// 4. "Everyone for a while" returns to Contacts only by itself.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import type { NodeState } from '../../src-shared/contract.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import { decodeRemoteIdentity } from '../../src-shared/identity.js';
import { hostnameForIdentity } from '../../src-main/core/discovery/engine.js';
import { epochOf, isPrivateToken, privateServerName } from '../../src-main/core/contactsOnly/broadcastTokens.js';
import { isRoot, Lan, type CapturedPacket, type Host } from '../support/lan.js';
import { REPO_ROOT, sleep, startNode, tempDataDir, type NearbyProcess } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const EPOCH_MS = 3000;
const STEP_TIMEOUT_MS = 15_000;
const env = { SD_NEARBY_EPOCH_MS: String(EPOCH_MS), SD_NEARBY_PAIRING_TIMEOUT_MS: '15000' };
const S_NAME = 'Secret Laptop';
const S_MODEL = 'MacBook Pro';
const S_LIBRARY = 'Holiday photos';

async function macOf(host: Host): Promise<string> {
  return (await host.run('cat', ['/sys/class/net/eth0/address'])).stdout.trim().toLowerCase();
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
}

const broadcastSecretOf = async (node: NearbyProcess) => (await readJson<{ secret: string }>(join(node.dataDir, 'broadcast-secret.json'))).secret;
const contactSecretsOf = async (node: NearbyProcess) =>
  (await readJson<{ secrets: Array<{ identity: string; secret: string }> }>(join(node.dataDir, 'contact-secrets.json')).catch(() => ({ secrets: [] }))).secrets;

/** The records of the mDNS responses in packets, decoded (what an observer reads). */
function mdnsRecords(packets: CapturedPacket[]): Array<{ time: number; type: string; name: string; data: unknown; ttl: number }> {
  const out: Array<{ time: number; type: string; name: string; data: unknown; ttl: number }> = [];
  for (const p of packets) {
    if (p.protocol !== 'udp' || (p.srcPort !== 5353 && p.dstPort !== 5353)) continue;
    try {
      const msg = dnsPacket.decode(p.payload);
      if (msg.type !== 'response') continue; // a query's known answers are what the sender heard from others
      for (const r of [...(msg.answers ?? []), ...(msg.additionals ?? [])]) {
        const data = r.type === 'TXT' ? (r.data as Buffer[]).map((b) => b.toString()) : (r as { data?: unknown }).data;
        out.push({ time: p.time, type: r.type, name: r.name, data, ttl: (r as { ttl?: number }).ttl ?? 0 });
      }
    } catch {
      // not a DNS message
    }
  }
  return out;
}

/** Runs the outsider's probe (tests/support/privateProbeMain.ts) from `host` against `address:port`. */
async function probe(host: Host, address: string, port: number, servername?: string): Promise<{ certIdentity: string | null; frames: unknown[]; closedByServer: boolean; error: string | null }> {
  const args = ['--import', 'tsx', join(REPO_ROOT, 'tests/support/privateProbeMain.ts'), address, String(port), ...(servername ? [servername] : [])];
  const r = await host.run(process.execPath, args, { cwd: REPO_ROOT, timeoutMs: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { certIdentity: string | null; frames: unknown[]; closedByServer: boolean; error: string | null };
}

describe('Contacts only', { skip }, () => {
  let lan: Lan;
  let s: NearbyProcess;
  let c: NearbyProcess;
  let x: NearbyProcess;
  let idS: string;
  let idC: string;

  const listsVerified = (st: NodeState, identity: string) => st.peers.some((p) => p.identity === identity && p.verified);
  /** Probes S's port of the current epoch (as C, its contact, sees it); once more if the epoch turned meanwhile. */
  const probeS = async (from: Host, servername?: string | (() => string)) => {
    for (let attempt = 0; ; attempt++) {
      const port = (await c.state()).peers.find((p) => p.identity === idS)?.port;
      assert.ok(port, 'C knows S’s port');
      const r = await probe(from, lan.hosts[0]!.ipv4!, port, typeof servername === 'function' ? servername() : servername);
      if (r.certIdentity !== null || attempt >= 3) return r;
      await sleep(300);
    }
  };
  const startS = (dataDir?: string) =>
    startNode(lan.hosts[0]!, { name: S_NAME, libraries: [S_LIBRARY], env: { ...env, SD_NEARBY_DEVICE_MODEL: S_MODEL }, ...(dataDir ? { dataDir } : {}) });

  before(async () => {
    lan = await Lan.create({ hosts: 4, ipv6Dad: false });
    [s, c, x] = await Promise.all([startS(), startNode(lan.hosts[1]!, { name: 'Contact Desktop', env }), startNode(lan.hosts[2]!, { name: 'Stranger', env })]);
    [idS, idC] = await Promise.all([s.identity(), c.identity()]);
    // Pairing, in Everyone mode, through the API (as issue 4 built it).
    const { state } = await s.waitForState((st) => listsVerified(st, idC), STEP_TIMEOUT_MS, 'S links to C');
    const peerId = state.peers.find((p) => p.identity === idC && p.verified)!.id;
    assert.equal((await s.command('startPairing', { peerId })).status, 200);
    const session = async (node: NearbyProcess, other: string) =>
      (await node.waitForState((st) => st.pairing.some((p) => p.peerIdentity === other && p.code !== null), STEP_TIMEOUT_MS, 'the code')).state.pairing.find(
        (p: PairingSessionState) => p.peerIdentity === other,
      )!;
    const [atS, atC] = await Promise.all([session(s, idC), session(c, idS)]);
    assert.equal(atS.code, atC.code);
    assert.equal((await s.command('confirmPairing', { sessionId: atS.id })).status, 200);
    assert.equal((await c.command('confirmPairing', { sessionId: atC.id })).status, 200);
    await s.waitForState((st) => st.contacts.some((k) => k.identity === idC), STEP_TIMEOUT_MS, 'C in S’s contacts');
    await c.waitForState((st) => st.contacts.some((k) => k.identity === idS), STEP_TIMEOUT_MS, 'S in C’s contacts');
  });
  after(async () => {
    await Promise.allSettled([s?.stop('SIGKILL'), c?.stop('SIGKILL'), x?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  test('pairing gave each side the other’s broadcast secret, over the link', async () => {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const [atC, atS] = await Promise.all([contactSecretsOf(c), contactSecretsOf(s)]);
      const ok = atC.find((e) => e.identity === idS)?.secret === (await broadcastSecretOf(s)) && atS.find((e) => e.identity === idC)?.secret === (await broadcastSecretOf(c));
      if (ok) break;
      assert.ok(Date.now() < deadline, `secrets not exchanged: ${JSON.stringify({ atC: atC.map((e) => e.identity), atS: atS.map((e) => e.identity) })}`);
      await sleep(100);
    }
    if (process.platform !== 'win32') {
      for (const f of ['broadcast-secret.json', 'contact-secrets.json']) assert.equal((await fsp.stat(join(s.dataDir, f))).mode & 0o777, 0o600, f);
    }
  });

  test('1. over two epochs, nothing S sends names it; its token changes each epoch and differs from C’s', async () => {
    const macS = await macOf(lan.hosts[0]!);
    const macC = await macOf(lan.hosts[1]!);
    // The switch itself ends with goodbyes for the Everyone records (they name S, as they did
    // while announced); the capture starts once the node is in Contacts only mode.
    assert.equal((await s.command('setMode', { mode: 'contacts-only' })).status, 200);
    assert.equal((await c.command('setMode', { mode: 'contacts-only' })).status, 200);
    await sleep(200);
    const everything = await lan.capture(`ether src ${macS}`);
    const mdns = await lan.capture('udp port 5353');
    // Traffic of every kind meanwhile: C links to S (TLS), X probes S's port.
    const { state } = await c.waitForState((st) => listsVerified(st, idS), STEP_TIMEOUT_MS, 'C finds S');
    const port = state.peers.find((p) => p.identity === idS)!.port!;
    const ipS = lan.hosts[0]!.ipv4!;
    await probe(lan.hosts[2]!, ipS, port);
    await sleep(2 * EPOCH_MS + 500);
    const [sent, heard] = await Promise.all([everything.stop(), mdns.stop()]);
    assert.ok(sent.some((p) => p.protocol === 'tcp'), 'the capture holds S’s TLS traffic too');

    const stS = await s.state();
    const library = stS.libraries.find((l) => l.name === S_LIBRARY)!;
    const needles: Array<[string, Buffer]> = [
      ['name', Buffer.from(S_NAME)],
      ['identity (text)', Buffer.from(idS)],
      ['identity (key bytes)', Buffer.from(decodeRemoteIdentity(idS)!)],
      ['identity (hex)', Buffer.from(Buffer.from(decodeRemoteIdentity(idS)!).toString('hex'))],
      ['identity host name', Buffer.from(hostnameForIdentity(idS))],
      ['library uuid', Buffer.from(library.uuid)],
      ['library name', Buffer.from(S_LIBRARY)],
      ['OS', Buffer.from('linux')],
      ['model', Buffer.from('macbook')],
      ['version', Buffer.from(`${stS.self.version}`)],
      ['system host name', Buffer.from(lan.hosts[0]!.hostname)],
    ];
    const lower = (b: Buffer) => Buffer.from(b.toString('latin1').toLowerCase(), 'latin1');
    const all = Buffer.concat(sent.map((p) => p.payload));
    const leaks = needles.filter(([, n]) => sent.some((p) => lower(p.payload).includes(lower(n)) || p.payload.includes(n)) || all.includes(n) || lower(all).includes(lower(n)));
    assert.deepEqual(leaks.map(([what]) => what), [], `S sent ${sent.length} packets`);

    const own = mdnsRecords(sent);
    const tokensS = [...new Set(own.filter((r) => r.type === 'PTR' && r.name === '_sd._udp.local' && r.ttl > 0).map((r) => String(r.data).split('.')[0]!))];
    const tokensC = [...new Set(mdnsRecords(heard.filter((p) => p.srcMac === macC)).filter((r) => r.type === 'PTR' && r.name === '_sd._udp.local' && r.ttl > 0).map((r) => String(r.data).split('.')[0]!))];
    assert.ok(tokensS.length >= 3, `a token per epoch (start + 2 epochs): ${tokensS.join(' ')}`);
    assert.ok(tokensS.every(isPrivateToken) && tokensC.every(isPrivateToken), `${tokensS.join(' ')} / ${tokensC.join(' ')}`);
    assert.ok(tokensC.length >= 1 && tokensC.every((t) => !tokensS.includes(t)), 'C’s tokens are not S’s');
    const srv = own.filter((r) => r.type === 'SRV' && r.ttl > 0).map((r) => r.data as { port: number; target: string });
    assert.equal(new Set(srv.map((d) => d.port)).size, tokensS.length, 'a new port each epoch');
    assert.equal(new Set(srv.map((d) => d.target)).size, tokensS.length, 'a new host name each epoch');
    const txt = own.filter((r) => r.type === 'TXT' && r.ttl > 0).map((r) => JSON.stringify(r.data));
    assert.deepEqual([...new Set(txt)], ['[""]'], 'the TXT record says nothing');
    // What an observer sees (for the report).
    const t0 = own[0]?.time ?? 0;
    console.log('observer sees (S, contacts only, 3 s epochs):');
    for (const r of own.filter((r) => r.type !== 'AAAA').slice(0, 40)) console.log(`  +${((r.time - t0) / 1000).toFixed(2)}s ${r.type} ${r.name} ttl=${r.ttl} ${JSON.stringify(r.data)}`);
    console.log(`  tokens of S: ${tokensS.join(' ')}; of C: ${tokensC.join(' ')}`);
  });

  test('2. C finds S, verified and with full metadata, within 2 s of S starting; X and O learn nothing', async () => {
    const mode = (await c.state()).mode;
    assert.equal(mode, 'contacts-only');
    assert.deepEqual(await s.stop('SIGTERM'), { code: 0, signal: null });
    await c.waitForState((st) => !st.peers.some((p) => p.identity === idS), STEP_TIMEOUT_MS, 'S gone from C');
    const t0 = Date.now();
    s = await startS(s.dataDir);
    const apiUp = Date.now();
    const found = await c.waitForState((st) => listsVerified(st, idS), STEP_TIMEOUT_MS, 'C finds S again');
    const sinceStart = Date.now() - apiUp;
    console.log(`C (1 contact) found S verified ${sinceStart} ms after S's API was up (${Date.now() - t0} ms after the process started)`);
    assert.ok(sinceStart <= 2000, `${sinceStart} ms`);
    const peer = found.state.peers.find((p) => p.identity === idS)!;
    assert.equal(peer.name, S_NAME, 'the full metadata, over the link');
    assert.equal(peer.deviceModel, S_MODEL);
    assert.ok(peer.libraries.length === 1, JSON.stringify(peer.libraries));

    // The same with 50 contacts on C (49 more, with their secrets): 150 tokens to recognise.
    assert.deepEqual(await c.stop('SIGTERM'), { code: 0, signal: null });
    const contactsFile = join(c.dataDir, 'contacts.json');
    const secretsFile = join(c.dataDir, 'contact-secrets.json');
    const contacts = await readJson<{ version: 1; contacts: Array<{ identity: string; name: string; addedAt: string }> }>(contactsFile);
    const secrets = await readJson<{ version: 1; secrets: Array<{ identity: string; secret: string; receivedAt: string }> }>(secretsFile);
    for (let i = 0; i < 49; i++) {
      const identity = randomBytes(32).toString('base64').replace(/=+$/, '');
      const at = new Date().toISOString();
      contacts.contacts.push({ identity, name: `Friend ${i}`, addedAt: at });
      secrets.secrets.push({ identity, secret: randomBytes(32).toString('base64'), receivedAt: at });
    }
    await fsp.writeFile(contactsFile, JSON.stringify(contacts));
    await fsp.writeFile(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
    c = await startNode(lan.hosts[1]!, { name: 'Contact Desktop', env, dataDir: c.dataDir });
    assert.equal((await c.state()).contacts.length, 50);
    await c.waitForState((st) => listsVerified(st, idS), STEP_TIMEOUT_MS, 'C (50 contacts) finds S');
    assert.deepEqual(await s.stop('SIGTERM'), { code: 0, signal: null });
    await c.waitForState((st) => !st.peers.some((p) => p.identity === idS), STEP_TIMEOUT_MS, 'S gone from C');
    s = await startS(s.dataDir);
    const apiUp50 = Date.now();
    await c.waitForState((st) => listsVerified(st, idS), STEP_TIMEOUT_MS, 'C (50 contacts) finds S again');
    const sinceStart50 = Date.now() - apiUp50;
    console.log(`C (50 contacts) found S verified ${sinceStart50} ms after S's API was up`);
    assert.ok(sinceStart50 <= 2000, `${sinceStart50} ms`);

    // X: no device for S, only a count; its probe of S's port gets a decoy and a closed connection.
    const stX = await x.state();
    assert.ok(!stX.peers.some((p) => p.identity === idS || p.name === S_NAME), JSON.stringify(stX.peers.map((p) => p.name)));
    assert.ok(stX.privateDevices >= 1, `X counts private devices: ${stX.privateDevices}`);
    for (const servername of [undefined, 'secret-laptop.local']) {
      const r = await probeS(lan.hosts[2]!, servername);
      assert.ok(r.certIdentity !== null && r.certIdentity !== idS, `the decoy, not S’s identity (${String(servername)})`);
      assert.equal(r.closedByServer, true);
      assert.deepEqual(r.frames, [], 'no hello, no metadata');
    }

    // O holds S's current secret and S as a contact, but S does not hold O.
    const dataO = tempDataDir('one-sided');
    const secretS = await broadcastSecretOf(s);
    const now = new Date().toISOString();
    await fsp.writeFile(join(dataO, 'contacts.json'), JSON.stringify({ version: 1, contacts: [{ identity: idS, name: 'Old friend', addedAt: now }] }));
    await fsp.writeFile(join(dataO, 'contact-secrets.json'), JSON.stringify({ version: 1, secrets: [{ identity: idS, secret: secretS, receivedAt: now }] }), { mode: 0o600 });
    const o = await startNode(lan.hosts[3]!, { name: 'One-sided', env, dataDir: dataO });
    try {
      await sleep(2 * EPOCH_MS);
      const stO = await o.state();
      assert.ok(!stO.peers.some((p) => p.identity === idS || p.name === S_NAME || p.name === 'Old friend'), JSON.stringify(stO.peers.map((p) => [p.name, p.verified])));
      // Its own metadata request, with a server name its copy of the secret makes: the link is cut before a word.
      const r = await probeS(lan.hosts[3]!, () => privateServerName(Buffer.from(secretS, 'base64'), epochOf(Date.now(), EPOCH_MS)));
      assert.equal(r.closedByServer, true);
      assert.deepEqual(r.frames, [], 'no metadata for a device S does not hold as a contact');
    } finally {
      await o.stop('SIGKILL');
    }
  });

  test('3. after S removes C, C no longer resolves S’s broadcasts', async () => {
    const before = await broadcastSecretOf(s);
    assert.equal((await s.command('removeContact', { identity: idC })).status, 200);
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while ((await broadcastSecretOf(s)) === before) {
      assert.ok(Date.now() < deadline, 'the secret was not rotated');
      await sleep(50);
    }
    await c.waitForState((st) => !st.peers.some((p) => p.identity === idS), 3000, 'S gone from C');
    const heldByC = (await contactSecretsOf(c)).find((e) => e.identity === idS)?.secret;
    assert.equal(heldByC, before, 'C keeps the old secret (nobody gave it the new one)');
    // Watch C over the next epochs: S's broadcasts go on, and C never lists S again.
    const until = Date.now() + 2 * EPOCH_MS + 500;
    while (Date.now() < until) {
      const st = await c.state();
      assert.ok(!st.peers.some((p) => p.identity === idS || p.name === S_NAME), `C lists S: ${JSON.stringify(st.peers.map((p) => p.name))}`);
      await sleep(200);
    }
    assert.ok((await c.state()).privateDevices >= 1, 'to C, S is now just a private device');
  });

  test('4. “Everyone for a while” is visible to everyone, then returns to Contacts only by itself', async () => {
    assert.equal((await s.state()).mode, 'contacts-only');
    const r = await s.command<NodeState>('setTemporaryEveryone', { minutes: 0.1 }); // 6 s
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.mode, 'everyone');
    assert.ok(r.body.everyoneUntil !== null && Date.parse(r.body.everyoneUntil) > Date.now());
    const seen = await x.waitForState((st) => st.peers.some((p) => p.identity === idS && p.name === S_NAME), 3000, 'X sees S by name');
    console.log(`X listed S by name ${seen.elapsedMs} ms after "Everyone for a while"`);
    const back = await s.waitForState((st) => st.mode === 'contacts-only' && st.everyoneUntil === null, 10_000, 'S back to Contacts only');
    console.log(`S returned to Contacts only ${back.elapsedMs} ms after X saw it`);
    await x.waitForState((st) => !st.peers.some((p) => p.identity === idS), 5000, 'S gone from X');
  });
});
