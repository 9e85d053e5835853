import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  IDENTITY_KEY_BYTES,
  IDENTITY_TEXT_LENGTH,
  decodeRemoteIdentity,
  encodeRemoteIdentity,
  identityFingerprint,
  isRemoteIdentity,
  shortIdentity,
} from '../../src-shared/identity.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('remote identity format', () => {
  test('constants', () => {
    assert.equal(IDENTITY_KEY_BYTES, 32);
    assert.equal(IDENTITY_TEXT_LENGTH, 43);
  });

  test('encode/decode round trip with random 32-byte keys', () => {
    for (let i = 0; i < 500; i++) {
      const key = new Uint8Array(randomBytes(32));
      const text = encodeRemoteIdentity(key);
      assert.equal(text.length, 43);
      assert.match(text, /^[A-Za-z0-9+/]{43}$/);
      assert.ok(isRemoteIdentity(text), text);
      assert.deepEqual(decodeRemoteIdentity(text), key);
    }
  });

  test('encoding is standard base64 without padding', () => {
    const key = new Uint8Array(randomBytes(32));
    assert.equal(encodeRemoteIdentity(key), Buffer.from(key).toString('base64').replace(/=$/, ''));
    assert.equal(encodeRemoteIdentity(new Uint8Array(32)), 'A'.repeat(43));
    assert.equal(encodeRemoteIdentity(new Uint8Array(32).fill(0xff)), '/'.repeat(42) + '8');
  });

  test('an ed25519 public key from node:crypto encodes to a valid identity (the DESIGN example too)', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x!;
    const text = encodeRemoteIdentity(new Uint8Array(Buffer.from(x, 'base64url')));
    assert.ok(isRemoteIdentity(text));
    assert.ok(isRemoteIdentity('0l9vTOWu+5aJs0cyWxdfJEGtloEepGRAXcEuDeTDRPk'));
  });

  test('encode refuses keys that are not 32 bytes', () => {
    for (const n of [0, 31, 33, 64]) assert.throws(() => encodeRemoteIdentity(new Uint8Array(n)), /32 bytes/);
  });

  test('rejects wrong lengths: 42 and 44 characters', () => {
    const good = encodeRemoteIdentity(new Uint8Array(randomBytes(32)));
    assert.equal(isRemoteIdentity(good.slice(0, 42)), false);
    assert.equal(decodeRemoteIdentity(good.slice(0, 42)), null);
    assert.equal(isRemoteIdentity(good + 'A'), false);
    assert.equal(decodeRemoteIdentity(good + 'A'), null);
    assert.equal(isRemoteIdentity(''), false);
  });

  test("rejects padding '='", () => {
    const good = encodeRemoteIdentity(new Uint8Array(randomBytes(32)));
    assert.equal(isRemoteIdentity(good + '='), false);
    assert.equal(decodeRemoteIdentity(good + '='), null);
    assert.equal(isRemoteIdentity(good.slice(0, 42) + '='), false);
  });

  test("rejects url-safe characters '-' and '_'", () => {
    const good = encodeRemoteIdentity(new Uint8Array(randomBytes(32)));
    for (const ch of ['-', '_']) {
      const bad = ch + good.slice(1);
      assert.equal(isRemoteIdentity(bad), false, bad);
      assert.equal(decodeRemoteIdentity(bad), null);
    }
    // A key whose standard encoding has '+' and '/' is fine; its url-safe spelling is not.
    const key = new Uint8Array(32).fill(0xfb); // 0xfb… encodes with '+' and '/'
    const standard = encodeRemoteIdentity(key);
    assert.match(standard, /[+/]/);
    const urlSafe = standard.replace(/\+/g, '-').replace(/\//g, '_');
    assert.equal(isRemoteIdentity(urlSafe), false);
  });

  test('rejects a non-canonical last character (its 2 low bits must be zero)', () => {
    const good = encodeRemoteIdentity(new Uint8Array(randomBytes(32)));
    const head = good.slice(0, 42);
    let accepted = 0;
    for (const [index, ch] of [...ALPHABET].entries()) {
      const ok = isRemoteIdentity(head + ch);
      assert.equal(ok, index % 4 === 0, `last char ${ch}`);
      if (ok) {
        accepted++;
        // The accepted ones round-trip exactly.
        assert.equal(encodeRemoteIdentity(decodeRemoteIdentity(head + ch)!), head + ch);
      } else {
        assert.equal(decodeRemoteIdentity(head + ch), null);
      }
    }
    assert.equal(accepted, 16);
  });

  test('rejects other characters, whitespace and non-strings', () => {
    const good = encodeRemoteIdentity(new Uint8Array(randomBytes(32)));
    for (const bad of [` ${good.slice(1)}`, `${good.slice(0, 42)}\n`, `.${good.slice(1)}`, `é${good.slice(1)}`]) {
      assert.equal(isRemoteIdentity(bad), false, JSON.stringify(bad));
    }
    for (const bad of [null, undefined, 42, {}, [good]]) assert.equal(isRemoteIdentity(bad), false);
  });

  test('shortIdentity gives the first 8 characters', () => {
    assert.equal(shortIdentity('0l9vTOWu+5aJs0cyWxdfJEGtloEepGRAXcEuDeTDRPk'), '0l9vTOWu');
  });
});

describe('identity fingerprints (issue 11)', () => {
  test('10 characters of Crockford base32 (no I, L, O, U) in two groups: the first 50 bits of the key', () => {
    assert.equal(identityFingerprint(encodeRemoteIdentity(new Uint8Array(32))), '00000-00000');
    assert.equal(identityFingerprint(encodeRemoteIdentity(new Uint8Array(32).fill(0xff))), 'ZZZZZ-ZZZZZ');
    // The groups 1, 2, ... 10 of 5 bits: 00001 00010 00011 00100 00101 00110 00111 01000 01001 01010.
    const key = new Uint8Array(32);
    key.set([0x08, 0x86, 0x42, 0x98, 0xe8, 0x4a, 0x80]);
    assert.equal(identityFingerprint(encodeRemoteIdentity(key)), '12345-6789A');
    for (let i = 0; i < 200; i++) assert.match(identityFingerprint(encodeRemoteIdentity(new Uint8Array(randomBytes(32))))!, /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });

  test('keys that differ in their first 50 bits have different fingerprints; nothing for a malformed identity', () => {
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    b[6] = 0x40; // bit 49
    assert.notEqual(identityFingerprint(encodeRemoteIdentity(a)), identityFingerprint(encodeRemoteIdentity(b)));
    assert.equal(identityFingerprint('not an identity'), null);
  });
});
