// TSIG (RFC 8945), the BIND key file and the UPDATE messages of a wide-area registration.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import { hmac, readTsig, signMessage, verifyMessage, type TsigAlgorithm, type TsigKey } from '../../src-main/core/wideArea/tsig.js';
import { loadTsigKeyFile, parseTsigKeyFile, TsigKeyFileError } from '../../src-main/core/wideArea/tsigKeyFile.js';
import { registrationUpdate, removalUpdate, UPDATE_LEASE_OPTION_CODE, type Registration } from '../../src-main/core/wideArea/dnsUpdate.js';

// A request nsupdate (BIND 9.18) signed with this key at time 0x6b1526a5, captured on loopback:
//   zone example.test / update add foo.example.test 60 TXT "hello" / send
const BIND_KEY_FILE = `key "nearby-test-key" {
\talgorithm hmac-sha256;
\tsecret "6M0pSUyztIA7KqfBWckXEpXZG+R+JPGMDp/qM62YBkc=";
};
`;
const BIND_SIGNED_UPDATE = Buffer.from(
  '9e5328000001000000010001076578616d706c650474657374000006000103666f6fc00c001000010000003c00060568656c6c6f0f6e65617262792d746573742d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b1526a5012c0020f7c37b7fe96d894d13d74ab67603a5355f924fbf9ec8cffa4a69b6fe1a8c08769e5300000000',
  'hex',
);
const BIND_TIME_SIGNED_S = 0x6b1526a5;

describe('TSIG (RFC 8945)', () => {
  test("the MAC of a key's algorithm matches RFC 4231 test cases 1 and 2 (SHA-256 and SHA-512), the message given in pieces", () => {
    const mac = (algorithm: TsigAlgorithm, secret: Buffer, ...parts: string[]) => hmac({ name: 'k', algorithm, secret }, parts.map((p) => Buffer.from(p))).toString('hex');
    assert.equal(mac('hmac-sha256', Buffer.alloc(20, 0x0b), 'Hi ', 'There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    assert.equal(mac('hmac-sha256', Buffer.from('Jefe'), 'what do ya want ', 'for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    assert.equal(mac('hmac-sha512', Buffer.alloc(20, 0x0b), 'Hi There'), '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854');
    assert.equal(mac('hmac-sha512', Buffer.from('Jefe'), 'what do ya want for nothing?'), '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737');
  });

  const key = parseTsigKeyFile(BIND_KEY_FILE, 'the test key');

  test("a request BIND's nsupdate signed is verified with the key tsig-keygen wrote", () => {
    assert.deepEqual(verifyMessage(BIND_SIGNED_UPDATE, key, null, BIND_TIME_SIGNED_S + 10), { ok: true });
  });

  test("signing the same message at the same time gives BIND's bytes exactly", () => {
    const found = readTsig(BIND_SIGNED_UPDATE);
    assert.ok(found);
    const { signed } = signMessage(found.unsigned, key, BIND_TIME_SIGNED_S);
    assert.equal(signed.toString('hex'), BIND_SIGNED_UPDATE.toString('hex'));
  });

  test('a changed byte, another secret or a stale time is refused, each saying why', () => {
    const tampered = Buffer.from(BIND_SIGNED_UPDATE);
    tampered.writeUInt8(tampered.readUInt8(40) ^ 1, 40); // inside the TXT data
    assert.match(String((verifyMessage(tampered, key, null, BIND_TIME_SIGNED_S) as { reason: string }).reason), /signature does not match/);
    const other: TsigKey = { ...key, secret: Buffer.alloc(32, 7) };
    assert.match(String((verifyMessage(BIND_SIGNED_UPDATE, other, null, BIND_TIME_SIGNED_S) as { reason: string }).reason), /BADSIG/);
    assert.match(String((verifyMessage(BIND_SIGNED_UPDATE, key, null, BIND_TIME_SIGNED_S + 301) as { reason: string }).reason), /BADTIME/);
    const renamed: TsigKey = { ...key, name: 'another-key' };
    assert.match(String((verifyMessage(BIND_SIGNED_UPDATE, renamed, null, BIND_TIME_SIGNED_S) as { reason: string }).reason), /another key/);
  });

  test('a response is checked with the MAC of its request first (§5.3)', () => {
    const request = registrationUpdate(0x1234, registration());
    const { mac } = signMessage(request, key, 1_800_000_000);
    const response = Buffer.from(request.subarray(0, 12));
    response.writeUInt16BE(0xa800, 2); // QR, opcode UPDATE
    response.fill(0, 4);
    const signedResponse = signWithRequestMac(response, key, mac, 1_800_000_001);
    assert.deepEqual(verifyMessage(signedResponse, key, mac, 1_800_000_001), { ok: true });
    assert.equal(verifyMessage(signedResponse, key, Buffer.alloc(mac.length), 1_800_000_001).ok, false);
  });
});

/** A response signed as a server does (the request's MAC before the message), written out from §4.3.3 here, apart from the code under test (key "nearby-test-key", hmac-sha256). */
function signWithRequestMac(response: Buffer, key: TsigKey, requestMac: Buffer, timeS: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(requestMac.length);
  const variables = Buffer.concat([
    Buffer.from('0f6e65617262792d746573742d6b657900', 'hex'),
    Buffer.from('00ff00000000', 'hex'),
    Buffer.from('0b686d61632d73686132353600', 'hex'),
    Buffer.from([0, 0, (timeS >>> 24) & 0xff, (timeS >>> 16) & 0xff, (timeS >>> 8) & 0xff, timeS & 0xff]),
    Buffer.from('012c00000000', 'hex'),
  ]);
  const mac = createHmac('sha256', key.secret).update(prefix).update(requestMac).update(response).update(variables).digest();
  const rdata = Buffer.concat([Buffer.from('0b686d61632d73686132353600', 'hex'), variables.subarray(-12, -6), Buffer.from('012c0020', 'hex'), mac, response.subarray(0, 2), Buffer.from('00000000', 'hex')]);
  const head = Buffer.from('0f6e65617262792d746573742d6b657900 00fa 00ff 00000000'.replace(/ /g, ''), 'hex');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(rdata.length);
  const out = Buffer.concat([response, head, len, rdata]);
  out.writeUInt16BE(response.readUInt16BE(10) + 1, 10);
  return out;
}

function registration(): Registration {
  return {
    zone: 'example.test',
    serviceName: '_sd._udp.example.test',
    instanceName: 'AbC+/xyz._sd._udp.example.test',
    hostName: 'h0123abcd.example.test',
    port: 7373,
    txt: [Buffer.from('name=Laptop'), Buffer.from('os=Linux')],
    addresses: ['192.0.2.7', '2001:db8::7', 'not an address'],
    ttlS: 120,
    leaseS: 3600,
  };
}

describe('the BIND key file', () => {
  test('what tsig-keygen writes is read: name, algorithm, secret', () => {
    const key = parseTsigKeyFile(BIND_KEY_FILE, 'f');
    assert.equal(key.name, 'nearby-test-key');
    assert.equal(key.algorithm, 'hmac-sha256');
    assert.equal(key.secret.toString('base64'), '6M0pSUyztIA7KqfBWckXEpXZG+R+JPGMDp/qM62YBkc=');
  });

  test('comments and other spacing are fine', () => {
    const key = parseTsigKeyFile('# made by hand\nkey "k1" { // the one\n algorithm HMAC-SHA512 ; /* long */ secret "AAAA\n BBBB";\n};', 'f');
    assert.equal(key.algorithm, 'hmac-sha512');
    assert.equal(key.secret.length, 6);
  });

  for (const [why, text, expected] of [
    ['no key', 'options { };', /holds no key: expected key "name"/],
    ['two keys', 'key "a" { algorithm hmac-sha256; secret "AAAA"; }; key "b" { algorithm hmac-sha256; secret "AAAA"; };', /holds 2 keys/],
    ['an unknown algorithm', 'key "a" { algorithm hmac-sha3; secret "AAAA"; };', /uses algorithm hmac-sha3; supported are .*hmac-sha256/],
    ['no algorithm', 'key "a" { secret "AAAA"; };', /has no algorithm/],
    ['no secret', 'key "a" { algorithm hmac-sha256; };', /has no secret/],
    ['a secret that is not base64', 'key "a" { algorithm hmac-sha256; secret "not base64!"; };', /is not base64/],
  ] as const) {
    test(`${why}: one line saying so`, () => {
      assert.throws(
        () => parseTsigKeyFile(text, 'the TSIG key file k.key'),
        (err: Error) => err instanceof TsigKeyFileError && expected.test(err.message) && err.message.startsWith('the TSIG key file k.key') && !err.message.includes('\n'),
      );
    });
  }

  test('a missing file is one line naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsig-'));
    await assert.rejects(loadTsigKeyFile(join(dir, 'none.key')), /none\.key cannot be read: it does not exist/);
    writeFileSync(join(dir, 'ok.key'), BIND_KEY_FILE);
    assert.equal((await loadTsigKeyFile(join(dir, 'ok.key'))).name, 'nearby-test-key');
  });
});

describe('the UPDATE messages (RFC 2136)', () => {
  const decode = (buf: Buffer) => dnsPacket.decode(buf) as unknown as { opcode: string; questions: Array<{ name: string; type: string }>; authorities: Array<{ name: string; type: string; class: string; ttl: number; data: unknown }>; additionals: Array<{ type: string; options: Array<{ code: number; data: Buffer }> }> };

  test('a registration clears our names, then adds PTR, SRV, TXT, A and AAAA, and asks for a lease', () => {
    const m = decode(registrationUpdate(7, registration()));
    assert.equal(m.opcode, 'UPDATE');
    assert.deepEqual(m.questions, [{ name: 'example.test', type: 'SOA', class: 'IN' }]);
    assert.deepEqual(
      m.authorities.map((r) => [r.name, r.type, r.class]),
      [
        ['AbC+/xyz._sd._udp.example.test', 'ANY', 'ANY'],
        ['h0123abcd.example.test', 'ANY', 'ANY'],
        ['_sd._udp.example.test', 'PTR', 'IN'],
        ['AbC+/xyz._sd._udp.example.test', 'SRV', 'IN'],
        ['AbC+/xyz._sd._udp.example.test', 'TXT', 'IN'],
        ['h0123abcd.example.test', 'A', 'IN'],
        ['h0123abcd.example.test', 'AAAA', 'IN'],
      ],
    );
    assert.deepEqual(m.authorities[3]?.data, { priority: 0, weight: 0, port: 7373, target: 'h0123abcd.example.test' });
    assert.deepEqual((m.authorities[4]?.data as Buffer[]).map(String), ['name=Laptop', 'os=Linux']);
    const lease = m.additionals[0]?.options.find((o) => o.code === UPDATE_LEASE_OPTION_CODE);
    assert.equal(lease?.data.readUInt32BE(0), 3600);
  });

  test('a removal deletes exactly our PTR (class NONE) and everything at our two names', () => {
    const buf = removalUpdate(8, registration());
    const m = decode(buf);
    assert.deepEqual(
      m.authorities.map((r) => [r.name, r.type, r.ttl]),
      [
        ['_sd._udp.example.test', 'PTR', 0],
        ['AbC+/xyz._sd._udp.example.test', 'ANY', 0],
        ['h0123abcd.example.test', 'ANY', 0],
      ],
    );
    assert.equal(m.authorities[0]?.class, 'UNKNOWN_254'); // NONE: dns-packet has no name for it
  });
});
