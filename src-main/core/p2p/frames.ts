// Framing on the P2P link (DESIGN §5): each message is a 4-byte big-endian length and that many
// bytes of UTF-8 JSON. A frame over FRAME_MAX_BYTES is refused from its header alone, before its
// body is buffered: a peer cannot make us hold more than one frame's worth of its bytes.

import { FRAME_MAX_BYTES } from './messages.js';

export const FRAME_HEADER_BYTES = 4;

export type FrameErrorKind = 'oversize' | 'empty' | 'not-json';

export class FrameError extends Error {
  constructor(readonly kind: FrameErrorKind, message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** One frame for `message` (any JSON value). Throws when it would exceed `maxBytes`. */
export function encodeFrame(message: unknown, maxBytes = FRAME_MAX_BYTES): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxBytes) throw new FrameError('oversize', `a message of ${body.length} bytes exceeds the ${maxBytes}-byte frame limit`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Splits a byte stream into frames and parses each as JSON. `push` returns the values complete so
 * far; it throws FrameError on an oversize or empty frame or one that is not JSON, after which the
 * stream cannot be trusted and the link is dropped.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed = false;

  constructor(private readonly maxBytes = FRAME_MAX_BYTES) {}

  /** Bytes held, waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): unknown[] {
    if (this.failed) throw new FrameError('not-json', 'the stream already failed');
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.buffered < FRAME_HEADER_BYTES) break;
      const head = this.peek(FRAME_HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length > this.maxBytes) return this.fail('oversize', `a frame of ${length} bytes exceeds the ${this.maxBytes}-byte limit`);
      if (length === 0) return this.fail('empty', 'an empty frame');
      if (this.buffered < FRAME_HEADER_BYTES + length) break;
      const frame = this.take(FRAME_HEADER_BYTES + length);
      try {
        out.push(JSON.parse(frame.toString('utf8', FRAME_HEADER_BYTES)));
      } catch {
        return this.fail('not-json', 'a frame that is not JSON');
      }
    }
    return out;
  }

  private fail(kind: FrameErrorKind, message: string): never {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    throw new FrameError(kind, message);
  }

  private peek(n: number): Buffer {
    if ((this.chunks[0]?.length ?? 0) < n) this.chunks = [Buffer.concat(this.chunks)];
    return (this.chunks[0] as Buffer).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}
