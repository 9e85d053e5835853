// Who may talk to the API (DESIGN §3), checked before anything else: the Host header must name
// this server (DNS rebinding), an Origin header must be this server's own origin (cross-site
// requests from a browser), and a bearer token is required whenever one is set: `serve` always
// sets one on TCP, from a file only the owner can read (apiToken.ts), since any user of the
// machine can reach loopback (on the WebSocket also as `?token=`: browsers cannot set its headers).

import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RequestProblem } from './httpReplies.js';

/** Strips IPv6 brackets and lowercases. */
export function bareHost(host: string): string {
  const h = host.trim().toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** `host:port` as it appears in a Host header / URL: IPv6 literals bracketed. */
export function formatHostPort(host: string, port: number): string {
  const h = bareHost(host);
  return isIPv6(h) ? `[${h}]:${port}` : `${h}:${port}`;
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = bareHost(host);
  if (h === 'localhost' || h === 'localhost.') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1] !== undefined && mapped[1].startsWith('127.');
  }
  return false;
}

/** A token is required whenever the API listens on anything but a loopback address. */
export function requiresToken(host: string): boolean {
  return !isLoopbackHost(host);
}

/** 0.0.0.0 or ::: listening on every interface. */
export function isWildcardHost(host: string): boolean {
  const h = bareHost(host);
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** Constant-time comparison (hashing first makes the lengths equal). */
function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export interface GuardOptions {
  host: string;
  /** The port actually bound (known once listening). */
  port(): number;
  /** Listening on a Unix socket: the Host header is `localhost`. */
  socketPath?: string;
  /** The token to require, or null. */
  token: string | null;
  /** Where the token is to be found, for the 401's sentence (e.g. `the token this server was started with (--api-token)`). */
  tokenSource: string;
}

export interface Guards {
  /** Why a request may not be served (403: Host or Origin), or null when it may. */
  hostOrOriginProblem(req: http.IncomingMessage): RequestProblem | null;
  /** Why the request lacks the token (401), or null; `queryToken` is the WebSocket's `?token=`. */
  tokenProblem(req: http.IncomingMessage, queryToken?: string | null): RequestProblem | null;
}

export function createGuards(opts: GuardOptions): Guards {
  const allowedHostHeaders = (): Set<string> => {
    if (opts.socketPath !== undefined) return new Set(['localhost']);
    const port = opts.port();
    const set = new Set<string>([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, formatHostPort(opts.host, port)]);
    if (port === 80) for (const h of ['localhost', '127.0.0.1', '[::1]']) set.add(h);
    if (isWildcardHost(opts.host)) {
      // Listening on every interface: the machine's own addresses are legitimate Host names
      // (IP literals cannot be rebound by a DNS attacker).
      for (const list of Object.values(networkInterfaces())) {
        for (const info of list ?? []) {
          const addr = info.address.split('%')[0] ?? info.address;
          if (isIP(addr) !== 0) set.add(formatHostPort(addr, port));
        }
      }
    }
    return set;
  };

  const hostOrOriginProblem = (req: http.IncomingMessage): RequestProblem | null => {
    const allowed = allowedHostHeaders();
    const hostHeader = (req.headers.host ?? '').trim().toLowerCase();
    if (!allowed.has(hostHeader)) {
      return {
        status: 403,
        code: 'forbidden-host',
        message: `requests must be addressed to this API by one of ${[...allowed].join(', ')} (got Host "${hostHeader}"); this protects against DNS rebinding`,
      };
    }
    const origin = req.headers.origin;
    if (origin === undefined) return null;
    const o = origin.trim().toLowerCase();
    if (o.startsWith('http://') && allowed.has(o.slice('http://'.length))) return null;
    return {
      status: 403,
      code: 'forbidden-origin',
      message: `requests from web pages of other sites are refused (Origin "${origin}"); open the page from this server or call the API without an Origin header`,
    };
  };

  const tokenProblem = (req: http.IncomingMessage, queryToken: string | null = null): RequestProblem | null => {
    const token = opts.token;
    if (token === null) return null;
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m !== null && m[1] !== undefined && tokenMatches(m[1], token)) return null;
    if (queryToken !== null && tokenMatches(queryToken, token)) return null;
    const where = opts.tokenSource;
    const what = auth === '' && queryToken === null ? 'this API needs a token' : 'the token is wrong';
    return {
      status: 401,
      code: 'unauthorized',
      message: `${what}: send the header "Authorization: Bearer <token>" with ${where}`,
      headers: { 'WWW-Authenticate': 'Bearer realm="sd-nearby"' },
    };
  };

  return { hostOrOriginProblem, tokenProblem };
}
