// Runs inside a namespace host (tests/net/attack-api.test.ts): clients of a node's HTTP API on
// that host's loopback that do not behave, over raw sockets (what a hostile program can do).
// Prints JSON lines on stdout: {"report": ...} once its clients settled, {"closed": ...} as the
// node drops them. Holds its connections until killed (or `holdMs` passed).
//
//   apiClientsMain.ts streams <host:port> <token> <sse> <ws> <holdMs>
//       opens <sse> GET /api/events and <ws> /api/ws upgrades with the token, reads each status
//       line, then never reads again; reports how many were accepted and how many refused
//   apiClientsMain.ts idle <host:port> <count> <holdMs>
//       opens <count> connections that send nothing; reports how many the node closed
//   apiClientsMain.ts slow <sse|ws> <host:port> <token> <bytesPerSecond> <holdMs>
//       one stream read at <bytesPerSecond> (0: never) for <holdMs>; reports whether the node dropped it
//   apiClientsMain.ts flood <host:port> <token> <holdMs>
//       a WebSocket that sends getState requests as fast as it can and reads nothing

import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const [mode, ...args] = process.argv.slice(2);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
const started = Date.now();
/** How long a stream that is read again may keep coming before it counts as still served. */
const DROP_CHECK_MS = 5_000;
/** How long connections may take to settle (be accepted or closed by a busy node), and how often they are counted meanwhile. */
const SETTLE_MAX_MS = 15_000;
const SETTLE_STEP_MS = 1_000;

function hostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i), port: Number(text.slice(i + 1)) };
}

function requestText(kind: 'sse' | 'ws', address: string, token: string): string {
  const auth = `Authorization: Bearer ${token}\r\n`;
  if (kind === 'sse') return `GET /api/events HTTP/1.1\r\nHost: ${address}\r\n${auth}\r\n`;
  const key = randomBytes(16).toString('base64');
  return `GET /api/ws HTTP/1.1\r\nHost: ${address}\r\n${auth}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`;
}

interface Opened {
  socket: Socket;
  /** The HTTP status of the answer (101 for an upgrade), or an error code when there was none. */
  status: string;
}

/** Connects, sends `text`, reads until the status line is in, then stops reading (when `pause`). */
function open(address: string, text: string, pause = true): Promise<Opened> {
  return new Promise((resolve) => {
    const socket = connect(hostPort(address));
    let head = '';
    let settled = false;
    const settle = (status: string) => {
      if (settled) return;
      settled = true;
      if (pause) socket.pause();
      resolve({ socket, status });
    };
    socket.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? 'error'));
    socket.on('close', () => settle('closed'));
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      head += chunk.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m?.[1] !== undefined) settle(m[1]);
    });
  });
}

function count(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** Resolves when the node closed `socket` (ms since start), or null at `limitMs`. */
function closedBy(socket: Socket, limitMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(Date.now() - started);
    const timer = setTimeout(() => resolve(null), limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

async function streams(address: string, token: string, sse: number, ws: number, holdMs: number): Promise<void> {
  const opened: Array<Opened & { kind: string }> = [];
  // In batches, as a script would: every connection gets its answer before the next batch.
  const kinds = [...Array<'sse'>(sse).fill('sse'), ...Array<'ws'>(ws).fill('ws')];
  for (let i = 0; i < kinds.length; i += 100) {
    const batch = kinds.slice(i, i + 100);
    const results = await Promise.all(batch.map((kind) => open(address, requestText(kind, address, token))));
    results.forEach((r, j) => opened.push({ ...r, kind: batch[j]! }));
  }
  await sleep(500);
  const stillOpen = (kind: string, status: string) => opened.filter((o) => o.kind === kind && o.status === status && !o.socket.destroyed).length;
  print({
    report: {
      sse: count(opened.filter((o) => o.kind === 'sse').map((o) => o.status)),
      ws: count(opened.filter((o) => o.kind === 'ws').map((o) => o.status)),
      sseOpen: stillOpen('sse', '200'),
      wsOpen: stillOpen('ws', '101'),
    },
  });
  await sleep(holdMs);
}

async function idle(address: string, n: number, holdMs: number): Promise<void> {
  const sockets: Socket[] = [];
  let closedByNode = 0;
  const refusals: string[] = [];
  for (let i = 0; i < n; i++) {
    const socket = connect(hostPort(address));
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => refusals.push(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? 'data'));
    socket.on('close', () => closedByNode++);
    sockets.push(socket);
    if (i % 100 === 99) await sleep(10);
  }
  // A busy node accepts late (the kernel completes handshakes for it): count once the number of
  // connections it holds stops changing. One still connecting is not held by the node.
  const held = () => sockets.filter((s) => !s.destroyed && !s.connecting).length;
  let last = -1;
  for (let waited = 0; waited < SETTLE_MAX_MS && held() !== last; waited += SETTLE_STEP_MS) {
    last = held();
    await sleep(SETTLE_STEP_MS);
  }
  print({ report: { opened: n, closedByNode, stillOpen: held(), answers: count(refusals) } });
  await sleep(holdMs);
}

/**
 * Whether the node dropped `socket`: a reset shows at once, but a stream closed in front of a
 * reader that does not read ends only after what the kernel holds for it: read it all, and a
 * dropped stream ends, a served one keeps coming.
 */
async function droppedByNode(socket: Socket): Promise<boolean> {
  if (socket.destroyed) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), DROP_CHECK_MS);
    const ended = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('end', ended);
    socket.once('close', ended);
    socket.resume();
  });
}

async function slow(kind: 'sse' | 'ws', address: string, token: string, bytesPerSecond: number, holdMs: number): Promise<void> {
  const { socket, status } = await open(address, requestText(kind, address, token));
  let read = 0;
  const tickMs = 100;
  // 0 bytes a second: a reader that stalled (reads nothing after the status line).
  const reader = setInterval(() => {
    if (bytesPerSecond === 0) return;
    const chunk = socket.read(Math.max(1, Math.floor((bytesPerSecond * tickMs) / 1000))) as Buffer | null;
    if (chunk !== null) read += chunk.length;
  }, tickMs);
  const resetAt = await closedBy(socket, holdMs);
  clearInterval(reader);
  print({ closed: { kind, status, resetAtMs: resetAt, dropped: resetAt !== null || (await droppedByNode(socket)), bytesRead: read } });
}

/** A masked text frame (RFC 6455 §5.2; clients must mask), for payloads under 64 KiB. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, masked]);
}

async function flood(address: string, token: string, holdMs: number): Promise<void> {
  const { socket, status } = await open(address, requestText('ws', address, token));
  let sent = 0;
  let writable = true;
  socket.on('drain', () => (writable = true));
  const pump = setInterval(() => {
    // As fast as the node takes them in (its reading is not what is tested), never reading the answers.
    while (writable && !socket.destroyed) {
      writable = socket.write(clientTextFrame(`{"id":${sent},"command":"getState","payload":{}}`));
      sent++;
    }
  }, 5);
  const resetAt = await closedBy(socket, holdMs);
  clearInterval(pump);
  print({ closed: { kind: 'flood', status, resetAtMs: resetAt, dropped: resetAt !== null || (await droppedByNode(socket)), requestsSent: sent } });
}

switch (mode) {
  case 'streams':
    await streams(args[0]!, args[1]!, Number(args[2]), Number(args[3]), Number(args[4]));
    break;
  case 'idle':
    await idle(args[0]!, Number(args[1]), Number(args[2]));
    break;
  case 'slow':
    await slow(args[0] as 'sse' | 'ws', args[1]!, args[2]!, Number(args[3]), Number(args[4]));
    break;
  case 'flood':
    await flood(args[0]!, args[1]!, Number(args[2]));
    break;
  default:
    throw new Error(`unknown mode ${mode}`);
}
process.exit(0);
