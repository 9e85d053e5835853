// Asking one DNS server (unicast, RFC 1035 §4.2): a message over UDP from a fresh socket (a random
// port and id per exchange), sent again after a wait, over TCP when the answer was truncated. The
// socket is connected, so a server that is down ("port unreachable") fails the exchange at once.

import { createSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import { isIPv6 } from 'node:net';
import { lookup } from 'node:dns/promises';
import { randomInt } from 'node:crypto';
import { framed, MessageFramer } from './dnsWire.js';

/** How long one UDP attempt waits for its answer; the whole exchange takes at most attempts × this. */
export const DNS_ATTEMPT_TIMEOUT_MS = 1000;
export const DNS_ATTEMPTS = 2;
/** A TCP exchange (after a truncated answer) may take this long. */
export const DNS_TCP_TIMEOUT_MS = 3000;
const TC_FLAG = 0x0200;
const QR_FLAG = 0x8000;

/** Where the DNS server is: an IP address (a name is looked up first: serverAddress) and a port. */
export interface DnsServer {
  host: string;
  port: number;
}

export class DnsUnreachableError extends Error {}

export function newMessageId(): number {
  return randomInt(0, 0x10000);
}

/** A server's name looked up is kept this long: one poll asks it many questions. */
const SERVER_NAME_KEPT_MS = 60_000;
const SERVER_NAMES_KEPT_MAX = 16;
const serverNames = new Map<string, { address: string; until: number }>();

/** The server's address: `host` itself when it is one, else what the system resolver says (kept a minute). */
export async function serverAddress(server: DnsServer): Promise<DnsServer> {
  if (/^[\d.]+$/.test(server.host) || server.host.includes(':')) return server;
  const kept = serverNames.get(server.host);
  if (kept && kept.until > Date.now()) return { host: kept.address, port: server.port };
  try {
    const found = await lookup(server.host);
    if (serverNames.size >= SERVER_NAMES_KEPT_MAX) serverNames.delete(serverNames.keys().next().value as string);
    serverNames.set(server.host, { address: found.address, until: Date.now() + SERVER_NAME_KEPT_MS });
    return { host: found.address, port: server.port };
  } catch {
    serverNames.delete(server.host);
    throw new DnsUnreachableError(`the DNS server name ${server.host} cannot be resolved`);
  }
}

export function describeServer(server: DnsServer): string {
  return isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/** Whether `answer` is the response to the message with `id` (QR set, same id). */
function answers(answer: Buffer, id: number): boolean {
  return answer.length >= 12 && answer.readUInt16BE(0) === id && (answer.readUInt16BE(2) & QR_FLAG) !== 0;
}

function exchangeUdp(server: DnsServer, message: Buffer, attempts: number, attemptTimeoutMs: number): Promise<Buffer> {
  const id = message.readUInt16BE(0);
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
    let tries = 0;
    let timer: NodeJS.Timeout | null = null;
    let open = true;
    const finish = (err: Error | null, answer?: Buffer) => {
      if (!open) return;
      open = false;
      if (timer) clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(answer as Buffer);
    };
    const send = () => {
      if (!open) return;
      if (tries++ >= attempts) return finish(new DnsUnreachableError(`the DNS server ${describeServer(server)} does not answer`));
      socket.send(message, (err) => err && finish(new DnsUnreachableError(`the DNS server ${describeServer(server)} cannot be reached: ${err.message}`)));
      timer = setTimeout(send, attemptTimeoutMs);
    };
    socket.on('message', (answer) => answers(answer, id) && finish(null, answer));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'nothing listens on its port' : err.message;
      finish(new DnsUnreachableError(`the DNS server ${describeServer(server)} cannot be reached: ${why}`));
    });
    // Node calls back with the error when connecting fails, e.g. no route to the server (its types leave the argument out).
    const onConnect = (err?: NodeJS.ErrnoException) => {
      if (err) finish(new DnsUnreachableError(`the DNS server ${describeServer(server)} cannot be reached: ${err.message}`));
      else if (open) send();
    };
    socket.connect(server.port, server.host, onConnect as () => void);
  });
}

function exchangeTcp(server: DnsServer, message: Buffer): Promise<Buffer> {
  const id = message.readUInt16BE(0);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: server.host, port: server.port });
    const framer = new MessageFramer();
    const fail = (why: string) => {
      socket.destroy();
      reject(new DnsUnreachableError(`the DNS server ${describeServer(server)} (TCP) ${why}`));
    };
    socket.setTimeout(DNS_TCP_TIMEOUT_MS, () => fail('does not answer'));
    socket.on('error', (err) => fail(`cannot be reached: ${err.message}`));
    socket.on('connect', () => socket.write(framed(message)));
    socket.on('data', (chunk: Buffer) => {
      const [answer] = framer.push(chunk);
      if (answer === undefined) return;
      socket.destroy();
      if (answers(answer, id)) resolve(answer);
      else reject(new DnsUnreachableError(`the DNS server ${describeServer(server)} (TCP) answered another question`));
    });
  });
}

/** Sends `message` to `server` and resolves with its answer; DnsUnreachableError when none comes. */
export async function exchange(server: DnsServer, message: Buffer, attempts = DNS_ATTEMPTS, attemptTimeoutMs = DNS_ATTEMPT_TIMEOUT_MS): Promise<Buffer> {
  const address = await serverAddress(server);
  const answer = await exchangeUdp(address, message, attempts, attemptTimeoutMs);
  return (answer.readUInt16BE(2) & TC_FLAG) !== 0 ? exchangeTcp(address, message) : answer;
}
