// Proves the multi-host harness (tests/support/lan.ts & co.) works: a LAN of network namespaces,
// avahi and python-zeroconf as third-party mDNS peers, a capture on the bridge, an IPv6-only
// LAN, a host on two LANs, and cleanup even when the owning process is killed.
// Needs root (network namespaces); skips itself otherwise, saying why.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lan, cleanupStaleNamespaces, isRoot, ownNamespaces, type Host } from '../support/lan.js';
import { startAvahi, parseAvahiBrowse, parseAvahiTxt, unescapeAvahiLabel, type Avahi } from '../support/avahi.js';
import { startZeroconfPublisher, zeroconfBrowse, PYTHON } from '../support/zeroconf.js';
import { parsePcap, ipv6ToString } from '../support/capture.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LAN_TS = fileURLToPath(new URL('../support/lan.ts', import.meta.url));

function whyCannotRun(): string | false {
  if (!isRoot()) return 'needs root for network namespaces';
  const missing: string[] = [];
  for (const tool of ['ip', 'unshare', 'tcpdump', 'avahi-daemon', 'avahi-browse', 'avahi-publish', 'dbus-daemon']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(tool);
  }
  if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import zeroconf']).status !== 0) missing.push('python3-zeroconf (/usr/bin/python3)');
  return missing.length ? `missing tools: ${missing.join(', ')}` : false;
}
const skip = whyCannotRun();

const TYPE = '_sd._udp';

/** Running (not gone, not a zombie waiting for init to reap it). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// pure parsers (no root needed)

test('avahi-browse -p parsing: escapes, TXT order, partial lines', () => {
  assert.equal(unescapeAvahiLabel('My\\032Dev\\.1\\\\x\\195\\169'), 'My Dev.1\\xé');
  assert.deepEqual(parseAvahiTxt('"b" "a=\\"q\\"" "c=\\195\\169\\\\"'), ['c=é\\', 'a="q"', 'b']);
  const out =
    '+;eth0;IPv4;My\\032Dev;_sd._udp;local\n' +
    '=;eth0;IPv4;My\\032Dev;_sd._udp;local;h1.local;10.0.0.1;7373;"v=1" "id=x;y"\n' +
    '=;eth0;IPv6;My\\032Dev;_sd._udp;local;h1.local;fe80::1;7373;\n' +
    '=;eth0;IPv4;Partial;_sd._udp;local;h1.local;10.0'; // still being written: ignored
  const s = parseAvahiBrowse(out);
  assert.equal(s.length, 2);
  assert.deepEqual(s[0], {
    interface: 'eth0',
    protocol: 'IPv4',
    name: 'My Dev',
    type: '_sd._udp',
    domain: 'local',
    hostname: 'h1.local',
    address: '10.0.0.1',
    port: 7373,
    txt: ['id=x;y', 'v=1'],
  });
  assert.deepEqual(s[1]?.txt, []);
});

test('pcap parsing: IPv4 and IPv6 UDP in Ethernet frames', () => {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const rec = (frame: Buffer, sec: number, usec: number) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(sec, 0);
    h.writeUInt32LE(usec, 4);
    h.writeUInt32LE(frame.length, 8);
    h.writeUInt32LE(frame.length, 12);
    return Buffer.concat([h, frame]);
  };
  const payload = Buffer.from('hello');
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(5353, 0);
  udp.writeUInt16BE(5353, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const eth = (type: number) => {
    const e = Buffer.alloc(14);
    Buffer.from([1, 0, 0x5e, 0, 0, 0xfb]).copy(e, 0);
    Buffer.from([2, 0, 0, 0, 0, 1]).copy(e, 6);
    e.writeUInt16BE(type, 12);
    return e;
  };
  const ip4 = Buffer.alloc(20);
  ip4[0] = 0x45;
  ip4.writeUInt16BE(20 + 8 + payload.length, 2);
  ip4[8] = 255;
  ip4[9] = 17;
  Buffer.from([10, 1, 2, 3]).copy(ip4, 12);
  Buffer.from([224, 0, 0, 251]).copy(ip4, 16);
  const ip6 = Buffer.alloc(40);
  ip6[0] = 0x60;
  ip6.writeUInt16BE(8 + payload.length, 4);
  ip6[6] = 17;
  ip6[7] = 255;
  Buffer.from('fe800000000000000000000000000001', 'hex').copy(ip6, 8);
  Buffer.from('ff0200000000000000000000000000fb', 'hex').copy(ip6, 24);
  const pcap = Buffer.concat([
    header,
    rec(Buffer.concat([eth(0x0800), ip4, udp, payload]), 1000, 500),
    rec(Buffer.concat([eth(0x86dd), ip6, udp, payload]), 1001, 0),
    Buffer.from([1, 2, 3]), // truncated trailing record
  ]);
  const p = parsePcap(pcap);
  assert.equal(p.length, 2);
  assert.deepEqual(
    p.map((x) => [x.ipVersion, x.src, x.dst, x.srcPort, x.dstPort, x.payload.toString(), x.time, x.ttl]),
    [
      [4, '10.1.2.3', '224.0.0.251', 5353, 5353, 'hello', 1000000.5, 255],
      [6, 'fe80::1', 'ff02::fb', 5353, 5353, 'hello', 1001000, 255],
    ],
  );
  assert.equal(p[0]?.dstMac, '01:00:5e:00:00:fb');
  assert.equal(ipv6ToString(Buffer.from('20010db8000000000001000000000001', 'hex')), '2001:db8::1:0:0:1');
});

// ---------------------------------------------------------------------------------------------

describe('dual-stack LAN of two hosts', { skip }, () => {
  let lan: Lan;
  let h1: Host;
  let h2: Host;
  let avahi2: Avahi;

  before(async () => {
    lan = await Lan.create({ hosts: 2 });
    [h1, h2] = lan.hosts as [Host, Host];
    avahi2 = await startAvahi(h2);
  });
  after(async () => {
    await lan?.destroy();
  });

  test('hosts have their own namespace, hostname, IPv4 and IPv6 link-local addresses', async () => {
    assert.equal(lan.hosts.length, 2);
    assert.match(lan.switchNs, new RegExp(`^nb${process.pid}x\\d+-sw$`));
    assert.notEqual(h1.ipv4, h2.ipv4);
    assert.match(h1.ipv4 ?? '', /^10\.\d+\.\d+\.1$/);
    const ll = await h1.ipv6LinkLocal();
    assert.match(ll ?? '', /^fe80:/);
    const r = await h1.run('sh', ['-c', 'hostname; ip route show 224.0.0.0/4; ip -6 addr show dev eth0']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.split('\n')[0], h1.hostname);
    assert.match(r.stdout, /224\.0\.0\.0\/4 dev eth0/);
    assert.doesNotMatch(r.stdout, /tentative/);
    assert.equal(avahi2.announcedHostname, `${h2.hostname}.local`);

    // spawn() returns the command's own PID (nothing forks on the way)
    const child = h1.spawn('sleep', ['30']);
    try {
      let comm = '';
      for (let i = 0; i < 40 && comm !== 'sleep'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        comm = readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim();
      }
      assert.equal(comm, 'sleep');
      const pids = spawnSync('ip', ['netns', 'pids', h1.ns], { encoding: 'utf8' }).stdout.split(/\s+/);
      assert.ok(pids.includes(String(child.pid)));
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('the bridge capture counts each frame once, unicast between two hosts included', async () => {
    const cap = await lan.capture();
    const py =
      'import socket, sys\n' +
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n' +
      "s.sendto(b'nb-mcast', ('224.0.0.251', 5353))\n" +
      "s.sendto(b'nb-mcast', ('224.0.0.251', 5353))\n" +
      "s.sendto(b'nb-ucast', (sys.argv[1], 5353))\n";
    const r = await h1.run('/usr/bin/python3', ['-c', py, h2.ipv4 ?? '']);
    assert.equal(r.code, 0, r.stderr);
    const pkts = await cap.waitFor((p) => p.some((x) => x.payload.toString() === 'nb-ucast'), 3000);
    await cap.stop();
    const mine = pkts.filter((x) => x.src === h1.ipv4 && x.payload.toString().startsWith('nb-'));
    assert.deepEqual(
      mine.map((x) => [x.dst, x.dstPort, x.payload.toString()]),
      [
        ['224.0.0.251', 5353, 'nb-mcast'],
        ['224.0.0.251', 5353, 'nb-mcast'],
        [h2.ipv4, 5353, 'nb-ucast'],
      ],
    );
    assert.ok(mine.every((x) => x.time > Date.now() - 60000 && x.time <= Date.now()));
  });

  test('python-zeroconf publishes on h1, avahi-browse on h2 resolves it with its TXT; the bridge capture sees h1', async () => {
    const cap = await lan.capture();
    const pub = await startZeroconfPublisher(h1, {
      instance: 'Zeroconf "One" é;1',
      port: 7373,
      txt: { id: 'abc123', v: '1', flag: null, q: 'a"b\\c é' },
    });
    try {
      const found = await avahi2.browse(TYPE, 8000, {
        until: (s) => s.some((x) => x.name === 'Zeroconf "One" é;1' && x.protocol === 'IPv4'),
      });
      const v4 = found.find((x) => x.name === 'Zeroconf "One" é;1' && x.protocol === 'IPv4');
      assert.ok(v4, `not found by avahi; got ${JSON.stringify(found)}\n${pub.log()}`);
      assert.equal(v4.port, 7373);
      assert.equal(v4.address, h1.ipv4);
      assert.equal(v4.hostname, `${h1.hostname}.local`);
      assert.equal(v4.interface, 'eth0');
      assert.deepEqual(v4.txt, ['id=abc123', 'v=1', 'flag', 'q=a"b\\c é']);

      const pkts = await cap.waitFor((p) => p.some((x) => x.src === h1.ipv4) && p.some((x) => x.src === h2.ipv4), 5000);
      const fromH1 = pkts.filter((x) => x.src === h1.ipv4);
      assert.ok(fromH1.length >= 1);
      assert.ok(fromH1.every((x) => x.srcPort === 5353 && x.ipVersion === 4));
      assert.ok(fromH1.some((x) => x.dst === '224.0.0.251' && x.payload.includes(Buffer.from('abc123'))));
      // IPv6 traffic from h1's link-local address is there too (zeroconf binds both).
      const ll1 = await h1.ipv6LinkLocal();
      await cap.waitFor((p) => p.some((x) => x.src === ll1 && x.dst === 'ff02::fb'), 5000);
    } finally {
      await pub.stop();
      const all = await cap.stop();
      assert.ok(all.length > 0);
      assert.ok(all.every((x) => x.srcPort === 5353 || x.dstPort === 5353));
    }
  });

  test('avahi-publish on h1 is found by python-zeroconf on h2 (and by avahi-browse, escapes decoded)', async () => {
    const avahi1 = await startAvahi(h1);
    try {
      const name = 'Avahi Svc.dot\\bs é;';
      const child = await avahi1.publish(name, TYPE, 9000, ['k=v', 'b', 'id=xyz']);
      assert.ok(child.pid);
      const zc = await zeroconfBrowse(h2, TYPE, 8000, { expect: [name] });
      const svc = zc.find((x) => x.name === name);
      assert.ok(svc, `not found by zeroconf; got ${JSON.stringify(zc)}`);
      assert.equal(svc.port, 9000);
      assert.deepEqual(svc.txt, { k: 'v', b: '', id: 'xyz' });
      assert.deepEqual(svc.txtRaw, ['k=v', 'b', 'id=xyz']);
      assert.ok(svc.addresses.includes(h1.ipv4 ?? '-'), JSON.stringify(svc.addresses));
      assert.equal(svc.server, `${h1.hostname}.local.`);

      const av = await avahi2.browse(TYPE, 8000, { until: (s) => s.some((x) => x.name === name) });
      const a = av.find((x) => x.name === name);
      assert.ok(a, JSON.stringify(av));
      assert.deepEqual(a.txt, ['k=v', 'b', 'id=xyz']);
    } finally {
      await avahi1.stop();
    }
    assert.equal(avahi1.daemon.exitCode !== null || avahi1.daemon.signalCode !== null, true);
  });
});

describe('IPv6-only LAN', { skip }, () => {
  test('hosts have no IPv4; zeroconf and avahi find each other over link-local IPv6', async () => {
    const lan = await Lan.create({ hosts: 2, ipv4: false });
    try {
      const [h1, h2] = lan.hosts as [Host, Host];
      assert.equal(h1.ipv4, null);
      const ll1 = await h1.ipv6LinkLocal();
      const ll2 = await h2.ipv6LinkLocal();
      assert.match(ll1 ?? '', /^fe80:/);
      assert.match(ll2 ?? '', /^fe80:/);
      const v4 = await h1.run('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      assert.equal(v4.stdout.trim(), '');

      const cap = await lan.capture();
      const [avahi2, pub] = await Promise.all([
        startAvahi(h2),
        startZeroconfPublisher(h1, { instance: 'V6 Only', port: 7000, txt: { id: 'six' } }),
      ]);
      const found = await avahi2.browse(TYPE, 8000, { until: (s) => s.some((x) => x.name === 'V6 Only') });
      const s = found.find((x) => x.name === 'V6 Only');
      assert.ok(s, JSON.stringify(found));
      assert.equal(s.protocol, 'IPv6');
      assert.equal(s.address, ll1);
      assert.deepEqual(s.txt, ['id=six']);

      await avahi2.publish('From Avahi', TYPE, 7001, ['id=avahi6']);
      const zc = await zeroconfBrowse(h1, TYPE, 8000, { expect: ['From Avahi'] });
      const z = zc.find((x) => x.name === 'From Avahi');
      assert.ok(z, JSON.stringify(zc));
      assert.deepEqual(z.addresses, [ll2]);
      assert.deepEqual(z.txt, { id: 'avahi6' });

      await pub.stop();
      const pkts = await cap.stop();
      assert.ok(pkts.length > 0);
      assert.ok(pkts.every((p) => p.ipVersion === 6), 'only IPv6 on the wire');
      assert.ok(pkts.some((p) => p.src === ll1 && p.dst === 'ff02::fb'));
      assert.ok(pkts.some((p) => p.src === ll2 && p.dst === 'ff02::fb'));
    } finally {
      await lan.destroy();
    }
  });
});

describe('a host on two LANs', { skip }, () => {
  test('attach gives eth1 on the second LAN; each LAN sees only its own side', async () => {
    const a = await Lan.create({ hosts: 2, ipv6Dad: false });
    const b = await Lan.create({ hosts: 1, ipv6: false });
    try {
      const [router, a2] = a.hosts as [Host, Host];
      const [b1] = b.hosts as [Host];
      assert.notEqual(a.subnet, b.subnet);
      const addr = await b.attach(router);
      assert.equal(addr, `${b.subnet}.2`);
      assert.deepEqual(router.interfaces.map((i) => i.name), ['eth0', 'eth1']);
      assert.equal(router.ipv4Of('eth1'), addr);
      assert.equal(router.ipv4, `${a.subnet}.1`);
      assert.equal(await router.ipv6LinkLocal('eth1'), null, 'IPv6 off on the IPv4-only LAN');
      assert.match((await router.ipv6LinkLocal('eth0')) ?? '', /^fe80:/);
      const routes = await router.run('ip', ['route', 'show', '224.0.0.0/4']);
      assert.match(routes.stdout, /dev eth0/);
      assert.match(routes.stdout, /dev eth1/);

      const capB = await b.capture();
      const pub = await startZeroconfPublisher(router, { instance: 'Router', port: 8000, txt: { id: 'r' } });
      try {
        const [seenA, seenB] = await Promise.all([
          zeroconfBrowse(a2, TYPE, 8000, { expect: ['Router'] }),
          zeroconfBrowse(b1, TYPE, 8000, { expect: ['Router'] }),
        ]);
        assert.ok(seenA.find((x) => x.name === 'Router')?.addresses.includes(router.ipv4 ?? '-'), JSON.stringify(seenA));
        assert.ok(seenB.find((x) => x.name === 'Router')?.addresses.includes(addr), JSON.stringify(seenB));
      } finally {
        await pub.stop();
      }
      const pkts = await capB.stop();
      const sources = new Set(pkts.map((p) => p.src));
      assert.ok(sources.has(addr), [...sources].join(','));
      assert.ok(!sources.has(router.ipv4 ?? '-'), 'eth0 traffic must not leak into LAN b');
      assert.ok(!sources.has(a2.ipv4 ?? '-'), 'LAN a hosts are not on LAN b');
      assert.ok(pkts.every((p) => p.ipVersion === 4));

      // link and address changes keep the multicast route
      await router.setLink('eth1', false);
      assert.doesNotMatch((await router.run('ip', ['route', 'show', '224.0.0.0/4'])).stdout, /eth1/);
      await router.setLink('eth1', true);
      assert.match((await router.run('ip', ['route', 'show', '224.0.0.0/4'])).stdout, /dev eth1/);
      await router.setAddress('eth1', `${b.subnet}.99/24`);
      assert.equal(router.ipv4Of('eth1'), `${b.subnet}.99`);
      const after = await router.run('sh', ['-c', 'ip -4 -o addr show dev eth1; ip route show 224.0.0.0/4']);
      assert.match(after.stdout, new RegExp(`inet ${b.subnet.replace(/\./g, '\\.')}\\.99/24`));
      assert.doesNotMatch(after.stdout, new RegExp(`${addr.replace(/\./g, '\\.')}/`));
      assert.match(after.stdout, /dev eth1/);
      await router.setAddress('eth0', null);
      assert.equal(router.ipv4, null);
    } finally {
      await b.destroy();
      await a.destroy();
    }
  });
});

describe('cleanup', { skip }, () => {
  /** Starts a separate node process that builds a LAN with a process inside, then waits. */
  function startLanProcess(): Promise<{ child: ReturnType<typeof spawn>; prefix: string }> {
    const code = `
      import { Lan } from ${JSON.stringify(LAN_TS)};
      const lan = await Lan.create({ hosts: 1, ipv6: false });
      lan.hosts[0].spawn('sleep', ['300']);
      console.log('UP ' + lan.prefix);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child LAN not up: ${out}`));
      }, 20000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /UP (\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve({ child, prefix: m[1]! });
        }
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('close', (c) => {
        clearTimeout(t);
        reject(new Error(`child exited ${c}: ${out}`));
      });
    });
  }

  async function namespacesWith(prefix: string): Promise<string[]> {
    const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    return r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${prefix}-`));
  }

  const exited = (c: ReturnType<typeof spawn>) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('close', () => r()));

  test('a process ended by SIGTERM deletes its namespaces and their processes', async () => {
    const { child, prefix } = await startLanProcess();
    try {
      assert.deepEqual((await namespacesWith(prefix)).sort(), [`${prefix}-h1`, `${prefix}-sw`]);
      child.kill('SIGTERM');
      await exited(child);
      assert.equal(child.signalCode, 'SIGTERM');
      assert.deepEqual(await namespacesWith(prefix), []);
    } finally {
      child.kill('SIGKILL');
      await cleanupStaleNamespaces();
    }
  });

  test('namespaces of a SIGKILLed process are removed by cleanupStaleNamespaces', async () => {
    const { child, prefix } = await startLanProcess();
    try {
      child.kill('SIGKILL');
      await exited(child);
      assert.equal((await namespacesWith(prefix)).length, 2, 'left behind by SIGKILL');
      const orphans = spawnSync('ip', ['netns', 'pids', `${prefix}-h1`], { encoding: 'utf8' })
        .stdout.split(/\s+/).filter(Boolean).map(Number);
      assert.equal(orphans.length, 1, 'the sleep outlives its parent');
      await cleanupStaleNamespaces();
      assert.deepEqual(await namespacesWith(prefix), []);
      assert.ok(orphans.every((pid) => !isAlive(pid)), 'orphaned processes are killed');
    } finally {
      child.kill('SIGKILL');
      await cleanupStaleNamespaces();
    }
  });

  test('no namespace of this process is left', async () => {
    assert.deepEqual(await ownNamespaces(), []);
  });
});
