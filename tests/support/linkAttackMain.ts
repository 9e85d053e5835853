// Runs inside a namespace host: hostile input to a node's P2P port (argv[2]: an Attack as JSON).
// Prints one JSON line with what happened to each connection (when the node closed it).

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createTlsIdentity, tlsOptions } from '../../src-main/core/p2p/tlsIdentity.js';
import { encodeFrame, FrameDecoder } from '../../src-main/core/p2p/frames.js';
import type { TlsIdentity } from '../../src-main/core/p2p/tlsIdentity.js';
import type { Attack, AttackResult, PairingFloodResult } from './linkAttack.js';
import { PAIRING_REVEAL_DEADLINE_MS } from '../../src-main/core/p2p/pairing.js';

const attack = JSON.parse(process.argv[2] ?? '{}') as Attack;
// The runner tells a process that never got this far (tsx start-up) from an attack that hung.
process.stderr.write('attacker started\n');
const id = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
const hello = encodeFrame({ type: 'hello', version: 1, metadata: { name: 'Attacker', operatingSystem: 'linux', deviceModel: null, version: '1', libraries: [] } });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** metadata-flood: a few distinct big messages, sent in turn. */
const messages = attack.kind === 'metadata-flood' ? Array.from({ length: 8 }, (_, n) => bigMetadata(id.identity, attack.messageBytes, n)) : [];
/** A pairing flood opens its links this many at a time: the node refuses many handshakes at once from one address. */
const PAIRING_FLOOD_HANDSHAKES_AT_ONCE = 4;

/** Resolves with ms from `start` to the socket's close (or null when still open at `limitMs`). */
function closedAfter(socket: Socket, start: number, limitMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
    socket.on('error', () => {});
    socket.resume(); // read (and drop) what the node sends, or its close is never seen
  });
}

function tcp(): Socket {
  const s = netConnect({ host: attack.host, port: attack.port });
  s.on('error', () => {});
  return s;
}

function tls(key = id, localAddress?: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ ...tlsOptions(key), host: attack.host, port: attack.port, checkServerIdentity: () => undefined, ...(localAddress ? { localAddress } : {}) });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('the TLS handshake with the node did not finish within 10 s'));
    }, 10_000);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

type Sustained = NonNullable<AttackResult['sustained']>;

/**
 * Keeps `count` links open until `limitMs` has passed: each with a fresh key, a hello, then
 * `feed(socket, n)` called every `everyMs` (n counts its calls); a link the node closes (or
 * refuses) is opened again after `reopenAfterMs`.
 */
async function sustain(count: number, addressOf: (i: number) => string | undefined, everyMs: number, reopenAfterMs: number, limitMs: number, feed: (s: TLSSocket, n: number) => number): Promise<Sustained> {
  const stats: Sustained = { linksOpened: 0, linksClosedByNode: 0, openAtEnd: 0, messagesSent: 0 };
  const end = Date.now() + limitMs;
  const open = new Set<TLSSocket>();
  const slot = async (i: number): Promise<void> => {
    let key = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
    while (Date.now() < end) {
      let s: TLSSocket;
      try {
        s = await tls(key, addressOf(i));
        // The node saw this key: the next link of this slot has a fresh one. (A connection refused
        // before TLS keeps its key: the node never saw it, and making keys is the attacker's cost.)
        key = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
      } catch {
        stats.linksClosedByNode++; // refused before or during TLS
        await sleep(reopenAfterMs);
        continue;
      }
      stats.linksOpened++;
      s.on('error', () => {}); // a reset when the node closes it
      open.add(s);
      s.write(hello);
      s.resume();
      let n = 0;
      const timer = setInterval(() => {
        if (!s.destroyed) stats.messagesSent += feed(s, n++);
      }, everyMs);
      const closedByNode = await new Promise<boolean>((resolve) => {
        const left = setTimeout(() => resolve(false), Math.max(0, end - Date.now()));
        s.once('close', () => {
          clearTimeout(left);
          resolve(true);
        });
      });
      clearInterval(timer);
      if (!closedByNode) return;
      open.delete(s);
      stats.linksClosedByNode++;
      await sleep(reopenAfterMs);
    }
  };
  await Promise.all(Array.from({ length: count }, (_, i) => slot(i)));
  stats.openAtEnd = [...open].filter((s) => !s.destroyed).length;
  for (const s of open) s.destroy();
  return stats;
}

/** A metadata message of about `bytes`: the attacker's name with a counter (a change each time) and libraries. */
function bigMetadata(identity: string, bytes: number, n: number): Buffer {
  const libraries: Array<{ uuid: string; identity: string }> = [];
  const perLibrary = JSON.stringify({ uuid: randomUUID(), identity }).length + 1;
  while ((libraries.length + 1) * perLibrary < bytes) libraries.push({ uuid: randomUUID(), identity });
  return encodeFrame({ type: 'metadata', metadata: { name: `Attacker ${n}`, operatingSystem: 'linux', deviceModel: null, version: '1', libraries } });
}

/**
 * One flooding link: a fresh key, a hello, then pair-request after pair-request, never a reveal.
 * Each request is answered by a nonce (a session the node holds) or a reject; the next request
 * goes out right after a reject (a little later when refused at once, as a patient flooder would).
 */
/**
 * The flood's requests the node holds, by when their nonce came. One whose deadline has (nearly)
 * passed is not counted: the node dropped it, and its reject may still be on the way on its own
 * link while a new nonce arrives on another (two TCP connections keep no order between them).
 */
const REJECT_IN_FLIGHT_MS = 150;
function countHeld(held: Map<string, number>, now: number): number {
  let n = 0;
  for (const nonceAt of held.values()) if (now - nonceAt < PAIRING_REVEAL_DEADLINE_MS - REJECT_IN_FLIGHT_MS) n++;
  return n;
}

async function floodPairing(socket: TLSSocket, name: string, untilMs: number, out: PairingFloodResult, held: Map<string, number>): Promise<void> {
  out.links++;
  socket.on('error', () => {});
  const send = (message: unknown) => {
    if (!socket.destroyed) socket.write(encodeFrame(message));
  };
  send({ type: 'hello', version: 1, metadata: { name, operatingSystem: 'linux', deviceModel: null, version: '1', libraries: [] } });
  const requests = new Map<string, number | null>(); // request id -> when its nonce came (null: none yet)
  // A link the node closes (the caps make room for newer ones) ends its requests with it.
  socket.once('close', () => {
    if (Date.now() >= untilMs) return; // our own close at the end
    for (const [requestId, nonceAt] of requests) {
      held.delete(requestId);
      if (nonceAt !== null) out.endedWithLink++;
    }
    requests.clear();
  });
  const request = () => {
    if (Date.now() >= untilMs || socket.destroyed) return;
    const requestId = randomBytes(12).toString('base64url');
    requests.set(requestId, null);
    send({ type: 'pair-request', requestId, commitment: randomBytes(32).toString('base64') });
  };
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    let messages: unknown[];
    try {
      messages = decoder.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const raw of messages) {
      const m = raw as { type?: string; n?: number; requestId?: string; reason?: string };
      if (m.type === 'ping') send({ type: 'pong', n: m.n });
      if (m.type === 'hello') request();
      if (typeof m.requestId !== 'string' || !requests.has(m.requestId)) continue;
      if (m.type === 'pair-nonce') {
        requests.set(m.requestId, Date.now());
        out.accepted++;
        held.set(m.requestId, Date.now());
        out.heldAtOnceMax = Math.max(out.heldAtOnceMax, countHeld(held, Date.now()));
      } else if (m.type === 'pair-reject') {
        const nonceAt = requests.get(m.requestId) ?? null;
        requests.delete(m.requestId);
        if (nonceAt !== null) {
          held.delete(m.requestId);
          out.droppedAfterMs.push(Date.now() - nonceAt);
          request();
        } else {
          const reason = m.reason ?? '';
          out.refusedReasons[reason] = (out.refusedReasons[reason] ?? 0) + 1;
          setTimeout(request, 250);
        }
      }
    }
  });
  await sleep(Math.max(0, untilMs - Date.now()));
  for (const nonceAt of requests.values()) if (nonceAt !== null) out.droppedAfterMs.push(null);
  socket.destroy();
}

async function run(): Promise<AttackResult> {
  const limit = attack.limitMs ?? 20_000;
  const start = Date.now();
  switch (attack.kind) {
    case 'garbage': {
      // Random bytes instead of a TLS ClientHello.
      const s = tcp();
      s.once('connect', () => s.write(randomBytes(4096)));
      return { closedAfterMs: [await closedAfter(s, start, limit)] };
    }
    case 'garbage-after-tls': {
      const s = await tls();
      const t0 = Date.now();
      s.write(randomBytes(4096));
      return { closedAfterMs: [await closedAfter(s, t0, limit)] };
    }
    case 'oversize': {
      // A frame header announcing 4 GiB, then bytes: refused from the header alone.
      const s = await tls();
      const t0 = Date.now();
      s.write(hello);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(0xffffffff);
      s.write(Buffer.concat([head, randomBytes(1024)]));
      return { closedAfterMs: [await closedAfter(s, t0, limit)] };
    }
    case 'not-json': {
      const s = await tls();
      const t0 = Date.now();
      const body = Buffer.from('{"type": "hello", ');
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      s.write(Buffer.concat([head, body]));
      return { closedAfterMs: [await closedAfter(s, t0, limit)] };
    }
    case 'invalid-message': {
      const s = await tls();
      const t0 = Date.now();
      s.write(hello);
      s.write(encodeFrame({ type: 'pair-confirm', requestId: 'x' }));
      return { closedAfterMs: [await closedAfter(s, t0, limit)] };
    }
    case 'message-flood': {
      const s = await tls();
      const t0 = Date.now();
      s.write(hello);
      const ping = encodeFrame({ type: 'ping', n: 1 });
      s.write(Buffer.concat(Array.from({ length: 1000 }, () => ping)));
      return { closedAfterMs: [await closedAfter(s, t0, limit)] };
    }
    case 'silent-tcp': {
      // Slowloris: TCP connections that never start TLS, or trickle one byte a second.
      const sockets = Array.from({ length: attack.count ?? 1 }, () => tcp());
      const trickle = setInterval(() => {
        for (const s of sockets) if (attack.trickle && !s.destroyed && s.readyState === 'open') s.write(Buffer.from([0x16]));
      }, 1000);
      const results = await Promise.all(sockets.map((s) => closedAfter(s, start, limit)));
      clearInterval(trickle);
      return { closedAfterMs: results };
    }
    case 'silent-tls': {
      // TLS done, then nothing (no hello), or a hello then a frame trickled a byte a second.
      const s = await tls();
      const t0 = Date.now();
      let trickle: NodeJS.Timeout | null = null;
      if (attack.trickle) {
        s.write(hello);
        const frame = encodeFrame({ type: 'ping', n: 1 });
        let i = 0;
        trickle = setInterval(() => {
          if (!s.destroyed) s.write(frame.subarray(i % frame.length, (i % frame.length) + 1));
          i++;
        }, 1000);
      }
      const result = await closedAfter(s, t0, limit);
      if (trickle) clearInterval(trickle);
      return { closedAfterMs: [result] };
    }
    case 'pairing-flood': {
      const result: PairingFloodResult = { links: 0, accepted: 0, droppedAfterMs: [], endedWithLink: 0, refusedReasons: {}, heldAtOnceMax: 0 };
      const held = new Map<string, number>();
      const until = start + attack.durationMs;
      // A few handshakes at a time (the node refuses many at once from one address), all links kept.
      const floods: Array<Promise<void>> = [];
      for (let i = 0; i < attack.count; i += PAIRING_FLOOD_HANDSHAKES_AT_ONCE) {
        const batch = Array.from({ length: Math.min(PAIRING_FLOOD_HANDSHAKES_AT_ONCE, attack.count - i) }, () => tls(createTlsIdentity(generateKeyPairSync('ed25519').privateKey)).catch(() => null));
        for (const socket of await Promise.all(batch)) if (socket) floods.push(floodPairing(socket, attack.name, until, result, held));
      }
      await Promise.all(floods);
      return { closedAfterMs: [], pairing: result };
    }
    case 'connection-flood': {
      // Many connections at once, each starting a TLS handshake and then saying nothing.
      const count = attack.count ?? 500;
      const sockets: Socket[] = [];
      for (let i = 0; i < count; i++) {
        const s = tlsConnect({ ...tlsOptions(id), host: attack.host, port: attack.port, checkServerIdentity: () => undefined });
        s.on('error', () => {});
        sockets.push(s);
      }
      await sleep(50);
      const results = await Promise.all(sockets.map((s) => closedAfter(s, start, limit)));
      return { closedAfterMs: results };
    }
    case 'link-table-flood': {
      const ping = (n: number) => encodeFrame({ type: 'ping', n });
      const stats = await sustain(attack.count, (i) => attack.addresses[i % attack.addresses.length], 1000, attack.reopenAfterMs, limit, (s, n) => {
        s.write(ping(n));
        return 1;
      });
      return { closedAfterMs: [], sustained: stats };
    }
    case 'metadata-flood': {
      // Each link sends its own messages, built once (building 52 KB of JSON is the attacker's cost, not the node's).
      const everyMs = 1000 / attack.perSecond;
      const stats = await sustain(attack.count, () => undefined, everyMs, attack.reopenAfterMs, limit, (s, n) => {
        s.write(messages[n % messages.length]!);
        return 1;
      });
      return { closedAfterMs: [], sustained: stats };
    }
  }
}

const result = await run();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
