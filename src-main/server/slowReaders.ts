// Clients that do not read what the node sends them (issue 11). The state is coalesced before it
// reaches a transport (contractServer.ts: while one is being written, only the newest waits), so
// a slow reader costs at most about two states; what is left is a reader that takes nothing at
// all, and one whose answers pile up (a WebSocket client that sends requests without reading the
// answers). Both are dropped: a stalled reader after READER_STALL_MS, a buffer over
// READER_BUFFERED_MAX_BYTES at once. The web UI reconnects by itself and gets the current state.

import type { Duplex } from 'node:stream';

/**
 * A reader that has finished taking nothing for this long while something waits for it is dropped.
 * A state of 500 devices is about 1 MB, which a link of 1 Mbit/s carries in 8 s.
 */
export const READER_STALL_MS = 10_000;
/** Bytes waiting in the node for one client beyond which it is dropped: a few of the largest states, never a backlog. */
export const READER_BUFFERED_MAX_BYTES = 8 * 1024 * 1024;
/** How often a reader's buffer is looked at. */
const READER_CHECK_INTERVAL_MS = 1_000;

export interface ReaderWatch {
  /** A write to this reader completed (the socket took it): the reader is moving. */
  progressed(): void;
  /** Looks at the buffer now (after a write): drops the reader when it holds too much. */
  check(): void;
  stop(): void;
}

/** Watches what waits in `socket` for its reader; calls `drop` once with the reason when it must go. */
export function watchReader(socket: Duplex, drop: (reason: string) => void): ReaderWatch {
  let lastProgressAt = Date.now();
  let dropped = false;
  const dropOnce = (reason: string) => {
    if (dropped) return;
    dropped = true;
    clearInterval(timer);
    drop(reason);
  };
  const check = () => {
    if (dropped) return;
    const waiting = socket.writableLength;
    if (waiting === 0) {
      lastProgressAt = Date.now();
      return;
    }
    if (waiting > READER_BUFFERED_MAX_BYTES) return dropOnce(`the client left more than ${READER_BUFFERED_MAX_BYTES} bytes unread`);
    if (Date.now() - lastProgressAt > READER_STALL_MS) dropOnce(`the client read nothing for ${READER_STALL_MS / 1000} s`);
  };
  const timer = setInterval(check, READER_CHECK_INTERVAL_MS);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
  return {
    progressed: () => void (lastProgressAt = Date.now()),
    check,
    stop: () => clearInterval(timer),
  };
}
