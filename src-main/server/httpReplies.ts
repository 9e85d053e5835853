// How the API answers over HTTP: JSON bodies with safe headers, and the one error shape
// `{ error: { code, message } }`, on a response or on a socket whose upgrade is refused.

import http from 'node:http';
import type { Duplex } from 'node:stream';

/** Why a request is refused, as the HTTP answer it gets. */
export interface RequestProblem {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

interface ErrorBody {
  error: { code: string; message: string };
}

const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

export function sendJson(res: http.ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(text)), ...extraHeaders });
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, code: string, message: string, extraHeaders: Record<string, string> = {}): void {
  const body: ErrorBody = { error: { code, message } };
  sendJson(res, status, body, extraHeaders);
}

export function sendProblem(res: http.ServerResponse, problem: RequestProblem): void {
  sendError(res, problem.status, problem.code, problem.message, problem.headers);
}

/** Answers an upgrade request with an HTTP error (no WebSocket) and closes the socket. */
export function refuseUpgrade(socket: Duplex, problem: RequestProblem): void {
  const body = JSON.stringify({ error: { code: problem.code, message: problem.message } } satisfies ErrorBody);
  const headers = { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close', ...(problem.headers ?? {}) };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${problem.status} ${http.STATUS_CODES[problem.status] ?? 'Error'}\r\n${head}\r\n${body}`);
}
