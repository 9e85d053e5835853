// The wide-area settings as a person or a script writes them (src-shared/wideArea.ts), the search
// list of resolv.conf (browse domains, RFC 6763 §11) and the lease a test may shorten.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkWideAreaSettings, parseDnsServer, parseWideAreaDomain } from '../../src-shared/wideArea.js';
import { searchDomainsOf } from '../../src-main/core/wideArea/browseDomains.js';
import { leaseFromEnv } from '../../src-main/core/wideArea/wideArea.js';
import { WIDE_AREA_LEASE_S } from '../../src-main/core/wideArea/constants.js';

describe('wide-area settings', () => {
  test('a domain is a DNS name: a final dot dropped, .local and junk refused with a sentence', () => {
    assert.deepEqual(parseWideAreaDomain(' sd.example.com. '), { ok: true, value: 'sd.example.com' });
    assert.equal(parseWideAreaDomain('x'.repeat(64)).ok, false);
    assert.match((parseWideAreaDomain('a..b') as { error: string }).error, /is not a DNS name/);
    assert.match((parseWideAreaDomain('office.local') as { error: string }).error, /cannot be \.local/);
    assert.match((parseWideAreaDomain('') as { error: string }).error, /got an empty one/);
  });

  test('a DNS server is HOST or HOST:PORT, port 53 unless given, IPv6 in brackets', () => {
    assert.deepEqual(parseDnsServer('192.0.2.53'), { ok: true, value: { host: '192.0.2.53', port: 53 } });
    assert.deepEqual(parseDnsServer('NS.example.com:5353'), { ok: true, value: { host: 'ns.example.com', port: 5353 } });
    assert.deepEqual(parseDnsServer('[2001:db8::53]:54'), { ok: true, value: { host: '2001:db8::53', port: 54 } });
    assert.deepEqual(parseDnsServer('2001:db8::53'), { ok: true, value: { host: '2001:db8::53', port: 53 } });
    assert.match((parseDnsServer('a b') as { error: string }).error, /a DNS server is HOST or HOST:PORT/);
    assert.match((parseDnsServer('h:0') as { error: string }).error, /port is 1 to 65535/);
  });

  test('all three together: the first mistake', () => {
    assert.equal(checkWideAreaSettings({ domain: 'sd.test', dnsServer: null, tsigKeyFile: null }).ok, true);
    assert.match((checkWideAreaSettings({ domain: 'sd.test', dnsServer: 'x y', tsigKeyFile: null }) as { error: string }).error, /DNS server/);
    assert.match((checkWideAreaSettings({ domain: 'sd.test', dnsServer: null, tsigKeyFile: ' ' }) as { error: string }).error, /key file is a path/);
  });

  test("resolv.conf's search list: the last search or domain line, valid names only, three at most", () => {
    assert.deepEqual(searchDomainsOf('nameserver 10.0.0.1\nsearch a.example b.example\n'), ['a.example', 'b.example']);
    assert.deepEqual(searchDomainsOf('domain old.example\nsearch new.example bad..name x.example y.example z.example\n'), ['new.example', 'x.example', 'y.example']);
    assert.deepEqual(searchDomainsOf('nameserver 10.0.0.1\n'), []);
  });

  test('the lease: seconds from the environment within 10 s to a day, else an hour', () => {
    assert.equal(leaseFromEnv('30'), 30);
    for (const raw of [undefined, '', '5', '86401', '1.5', 'soon']) assert.equal(leaseFromEnv(raw), WIDE_AREA_LEASE_S);
  });
});
