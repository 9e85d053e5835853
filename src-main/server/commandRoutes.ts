// The API's routes under /api/ (DESIGN §3): POST /api/<command> runs one command of the contract
// on a session of its own (its JSON body is the payload; empty = {}), GET /api/state is getState,
// GET /api/events the event stream, and /api/ws the WebSocket (upgraded elsewhere). Errors keep
// the contract's codes, with their HTTP statuses.

import type http from 'node:http';
import { COMMAND_NAMES, isCommandName, PAYLOAD_MAX_BYTES, type CommandName, type NodeApi } from '../../src-shared/contract.js';
import { answerOnce } from '../../src-shared/contractServer.js';
import type { RequestProblem } from './httpReplies.js';
import { sendError, sendJson, sendProblem } from './httpReplies.js';
import { WEBSOCKET_PATH } from './webSocketTransport.js';

export interface ApiRouteContext {
  node: NodeApi;
  /** Why the request may not use the API (401: the token), or null when it may. */
  authorize(req: http.IncomingMessage): RequestProblem | null;
  logError(message: string, error: unknown): void;
  /** Serves GET /api/events on this request. */
  openEvents(req: http.IncomingMessage, res: http.ServerResponse): void;
}

function statusForCommandError(code: string): number {
  switch (code) {
    case 'not-found':
    case 'unknown-command':
      return 404;
    case 'refused':
      return 409;
    case 'invalid-payload':
      return 400;
    default:
      return 500;
  }
}

class BodyError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The payload in a request body: JSON, sent as such; nothing at all is `{}`. */
function parseJsonBody(raw: Buffer, contentType: string | undefined, command: string): unknown {
  if (raw.length === 0 || raw.toString('utf8').trim() === '') return {};
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json') {
    throw new BodyError(415, 'invalid-payload', `the ${command} request body must be JSON sent with "Content-Type: application/json"${type ? `, not "${type}"` : ''}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new BodyError(400, 'invalid-payload', `the ${command} request body is not valid UTF-8 text`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new BodyError(400, 'invalid-payload', `the ${command} request body is not valid JSON: ${why}`);
  }
}

/** Reads a JSON body of at most PAYLOAD_MAX_BYTES (refused as soon as it is larger). */
function readJsonBody(req: http.IncomingMessage, command: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new BodyError(413, 'payload-too-large', `the ${command} request body is larger than ${PAYLOAD_MAX_BYTES} bytes`);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > PAYLOAD_MAX_BYTES) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      settle();
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size <= PAYLOAD_MAX_BYTES) return void chunks.push(chunk);
      chunks.length = 0;
      req.off('data', onData);
      finish(() => reject(tooLarge()));
    };
    req.on('data', onData);
    req.on('error', (err) => finish(() => reject(err)));
    req.on('end', () =>
      finish(() => {
        try {
          resolve(parseJsonBody(Buffer.concat(chunks), req.headers['content-type'], command));
        } catch (err) {
          reject(err);
        }
      }),
    );
  });
}

/** One command on a session of its own: the session is this request. */
async function handleCommand(command: CommandName, req: http.IncomingMessage, res: http.ServerResponse, ctx: ApiRouteContext): Promise<void> {
  let payload: unknown;
  try {
    payload = command === 'getState' && req.method === 'GET' ? {} : await readJsonBody(req, command);
  } catch (err) {
    if (err instanceof BodyError) sendError(res, err.status, err.code, err.message, err.status === 413 ? { Connection: 'close' } : {});
    else sendError(res, 400, 'invalid-payload', `the ${command} request body could not be read`);
    return;
  }
  const answer = await answerOnce(ctx.node, { command, payload }, { label: 'sd-nearby API', logError: ctx.logError });
  if (answer.ok) sendJson(res, 200, answer.result);
  else sendError(res, statusForCommandError(answer.error.code), answer.error.code, answer.error.message);
}

/** Answers a request for /api/<route> (the Host and Origin checks passed already). */
export async function handleApiRoute(route: string, req: http.IncomingMessage, res: http.ServerResponse, ctx: ApiRouteContext): Promise<void> {
  const problem = ctx.authorize(req);
  if (problem !== null) return sendProblem(res, problem);
  const method = req.method ?? 'GET';
  if (route === 'state') {
    if (method !== 'GET') return sendError(res, 405, 'method-not-allowed', 'use GET /api/state', { Allow: 'GET' });
    return handleCommand('getState', req, res, ctx);
  }
  if (route === WEBSOCKET_PATH.slice('/api/'.length)) {
    return sendError(res, 426, 'upgrade-required', `${WEBSOCKET_PATH} is the WebSocket of the contract; connect to it with a WebSocket client`, { Upgrade: 'websocket', Connection: 'Upgrade' });
  }
  if (route === 'events') {
    if (method !== 'GET') return sendError(res, 405, 'method-not-allowed', 'use GET /api/events', { Allow: 'GET' });
    return ctx.openEvents(req, res);
  }
  if (!isCommandName(route)) {
    const shown = route.length > 64 ? `${route.slice(0, 64)}…` : route;
    return sendError(res, 404, 'unknown-command', `unknown command "${shown}"; the commands are ${COMMAND_NAMES.join(', ')} (POST /api/<command>), plus GET /api/state and GET /api/events`);
  }
  if (method !== 'POST') return sendError(res, 405, 'method-not-allowed', `use POST /api/${route} with a JSON body`, { Allow: 'POST' });
  return handleCommand(route, req, res, ctx);
}
