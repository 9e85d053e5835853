// "Someone is looking" at a node: a client subscribed to its state through GET /api/events
// (Server-Sent Events), over the node's Unix-socket API as the bench starts it, kept open until
// close(). Every `state` event is turned into listed/dropped events by peer name, time-stamped on
// arrival (performance.now()), as serve's `+`/`-` lines are: what the looking client sees.

import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { NodeState } from '../../src-shared/contract.js';
import { EventLog, now } from './proc.js';

export class StateSubscription {
  /** Listed / dropped by peer name, as the subscribed client saw them. */
  readonly events = new EventLog();
  /** `state` events received (the first is the state at subscription). */
  states = 0;
  /** Why the stream ended before close(), if it did. */
  error: string | null = null;
  /** performance.now() of the first state event. */
  firstStateAt: number | null = null;
  private entries = new Map<string, number>();
  private req: ClientRequest | null = null;
  private res: IncomingMessage | null = null;
  private closing = false;

  private constructor(readonly label: string) {}

  /** Subscribes; resolves once the first state arrived (or rejects after timeoutMs). */
  static open(socketPath: string, label: string, timeoutMs = 10000): Promise<StateSubscription> {
    const sub = new StateSubscription(label);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.close();
        reject(new Error(`${label}: no state on /api/events within ${timeoutMs} ms`));
      }, timeoutMs);
      const req = request({ socketPath, path: '/api/events', method: 'GET', headers: { host: 'localhost', accept: 'text/event-stream' } }, (res) => {
        sub.res = res;
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          reject(new Error(`${label}: GET /api/events answered ${res.statusCode}`));
          res.resume();
          return;
        }
        let buf = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          const t = now();
          buf += chunk;
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (!data) continue; // a keepalive comment
            try {
              sub.onState(JSON.parse(data) as NodeState, t);
            } catch (e) {
              sub.error = `${label}: unreadable state event: ${(e as Error).message}`;
            }
            if (sub.states === 1) {
              clearTimeout(timer);
              resolve(sub);
            }
          }
        });
        res.on('close', () => {
          if (!sub.closing) sub.error ??= `${label}: the node closed /api/events`;
        });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        if (!sub.closing) sub.error ??= `${label}: /api/events: ${e.message}`;
        reject(e);
      });
      req.end();
      sub.req = req;
    });
  }

  private onState(state: NodeState, t: number): void {
    this.states++;
    this.firstStateAt ??= t;
    // One name may have several entries (an mDNS entry and a link entry of one device).
    const next = new Map<string, number>();
    for (const p of state.peers) next.set(p.name, (next.get(p.name) ?? 0) + 1);
    for (const name of next.keys()) if (!this.entries.has(name)) this.events.push({ t, kind: 'listed', key: name });
    for (const name of this.entries.keys()) if (!next.has(name)) this.events.push({ t, kind: 'dropped', key: name });
    this.entries = next;
  }

  close(): void {
    this.closing = true;
    this.res?.destroy();
    this.req?.destroy();
  }
}
