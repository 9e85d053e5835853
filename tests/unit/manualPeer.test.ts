import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManualPeer } from '../../src-shared/manualPeer.js';

function ok(input: string): string {
  const r = parseManualPeer(input);
  assert.ok(r.ok, `${input}: ${r.ok ? '' : r.reason}`);
  return r.value.text;
}
function reason(input: string): string {
  const r = parseManualPeer(input);
  assert.ok(!r.ok, `${input} should be refused`);
  return r.reason;
}

describe('parseManualPeer', () => {
  test('the four accepted forms, port 7373 when omitted', () => {
    assert.equal(ok('192.168.1.20:7373'), '192.168.1.20:7373');
    assert.equal(ok('[fe80::1%eth0]:9000'), '[fe80::1%eth0]:9000');
    assert.equal(ok('[2001:db8::5]'), '[2001:db8::5]:7373');
    assert.equal(ok('NAS.local:8080'), 'nas.local:8080');
    assert.equal(ok('  nas  '), 'nas:7373');
    assert.equal(ok('10.0.0.1'), '10.0.0.1:7373');
  });

  test('what a user gets wrong gets a reason to act on', () => {
    assert.match(reason('999.1.1.1:99999'), /not an IPv4 address/);
    assert.match(reason('10.0.0.1:99999'), /port must be from 1 to 65535/);
    assert.match(reason('host:'), /port is missing/);
    assert.match(reason(''), /enter an address/);
    assert.match(reason('   '), /enter an address/);
    assert.match(reason(':7373'), /host is missing/);
    assert.match(reason('fe80::1'), /in brackets/);
    assert.match(reason('bad_host!:1'), /not a valid host name/);
    assert.match(reason('h:0'), /port must be from 1 to 65535/);
    assert.match(reason('h:abc'), /port must be a number/);
    assert.match(reason('x'.repeat(300)), /at most/);
  });
});
