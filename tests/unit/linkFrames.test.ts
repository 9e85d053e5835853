import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameError, encodeFrame } from '../../src-main/core/p2p/frames.js';
import { FRAME_MAX_BYTES } from '../../src-main/core/p2p/messages.js';

function header(length: number): Buffer {
  const b = Buffer.alloc(FRAME_HEADER_BYTES);
  b.writeUInt32BE(length);
  return b;
}

function frameOfBytes(body: Buffer): Buffer {
  return Buffer.concat([header(body.length), body]);
}

describe('link frames: 4-byte length + JSON', () => {
  test('a frame is a big-endian length and the UTF-8 JSON', () => {
    const f = encodeFrame({ type: 'ping', n: 7 });
    const body = Buffer.from('{"type":"ping","n":7}');
    assert.equal(f.readUInt32BE(0), body.length);
    assert.deepEqual(f.subarray(FRAME_HEADER_BYTES), body);
  });

  test('messages come out whole however the stream is cut, even a byte at a time', () => {
    const messages = [{ type: 'ping', n: 1 }, { name: 'Zoë 📷', list: [1, 2, 3] }, 'text', 42];
    const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
    for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
      const decoder = new FrameDecoder();
      const out: unknown[] = [];
      for (let i = 0; i < stream.length; i += size) out.push(...decoder.push(stream.subarray(i, i + size)));
      assert.deepEqual(out, messages, `chunks of ${size}`);
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  test('a frame of exactly the limit is taken; one byte more is refused from its header alone', () => {
    const exact = Buffer.alloc(FRAME_MAX_BYTES, 0x20); // JSON whitespace ...
    exact[0] = 0x31; // ... around the number 1
    assert.deepEqual(new FrameDecoder().push(frameOfBytes(exact)), [1]);
    const decoder = new FrameDecoder();
    assert.throws(() => decoder.push(header(FRAME_MAX_BYTES + 1)), (e: unknown) => e instanceof FrameError && e.kind === 'oversize');
    assert.equal(decoder.pendingBytes, 0, 'nothing is held for a refused frame');
    assert.throws(() => new FrameDecoder().push(header(0xffffffff)), (e: unknown) => e instanceof FrameError && e.kind === 'oversize');
  });

  test('we never send an oversize frame either', () => {
    assert.throws(() => encodeFrame('x'.repeat(FRAME_MAX_BYTES)), (e: unknown) => e instanceof FrameError && e.kind === 'oversize');
  });

  test('an empty frame or one that is not JSON fails the stream, for good', () => {
    assert.throws(() => new FrameDecoder().push(header(0)), (e: unknown) => e instanceof FrameError && e.kind === 'empty');
    const decoder = new FrameDecoder();
    assert.throws(() => decoder.push(frameOfBytes(Buffer.from('{"half":'))), (e: unknown) => e instanceof FrameError && e.kind === 'not-json');
    assert.throws(() => decoder.push(encodeFrame({ fine: true })), FrameError, 'no message is taken after a failure');
    assert.throws(() => new FrameDecoder().push(frameOfBytes(Buffer.from([0xff, 0xfe, 0x00]))), FrameError);
  });

  test('a valid frame before a bad one is still refused with the stream', () => {
    const decoder = new FrameDecoder();
    assert.throws(() => decoder.push(Buffer.concat([encodeFrame({ ok: 1 }), header(FRAME_MAX_BYTES + 1)])), FrameError);
  });
});
