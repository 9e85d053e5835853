// The network an address counts against (src-main/core/p2p/addressPrefix.ts): limits per /24 and
// per IPv6 /64, so that a host does not get more room by taking more addresses (issue 11).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressPrefix } from '../../src-main/core/p2p/addressPrefix.js';

describe('addressPrefix', () => {
  test('IPv4: the /24; IPv4-mapped IPv6 counts as IPv4', () => {
    assert.equal(addressPrefix('10.1.2.3'), '10.1.2.0/24');
    assert.equal(addressPrefix('10.1.2.254'), '10.1.2.0/24');
    assert.equal(addressPrefix('::ffff:10.1.2.3'), '10.1.2.0/24');
    assert.notEqual(addressPrefix('10.1.3.1'), addressPrefix('10.1.2.1'));
  });

  test('IPv6: the /64, however the address is written; link-local ones by interface', () => {
    assert.equal(addressPrefix('2001:db8:0:7::1'), '2001:db8:0:7::/64');
    assert.equal(addressPrefix('2001:DB8:0:7:aaaa:bbbb:cccc:dddd'), '2001:db8:0:7::/64');
    assert.equal(addressPrefix('2001:0db8:0000:0007:0:0:0:1'), '2001:db8:0:7::/64');
    assert.equal(addressPrefix('2001:db8::1'), '2001:db8::/64');
    assert.notEqual(addressPrefix('2001:db8:0:8::1'), addressPrefix('2001:db8:0:7::1'));
    assert.equal(addressPrefix('fe80::1%eth0'), addressPrefix('fe80::abcd:1234%eth0'));
    assert.notEqual(addressPrefix('fe80::1%eth0'), addressPrefix('fe80::1%eth1'));
    assert.equal(addressPrefix('::1'), '::/64');
  });

  test('anything else is a prefix of its own (counted alone, never not at all)', () => {
    assert.equal(addressPrefix(''), '');
    assert.equal(addressPrefix('not an address'), 'not an address');
  });
});
