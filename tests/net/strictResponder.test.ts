// Issue 9: a responder that answers only questions of class exactly IN (it ignores every QU
// question, RFC 6762 §5.4), answers exactly what is asked and announces its PTR alone
// (tests/support/strict_responder.py, plain sockets, no mDNS library). Our node, while someone
// looks at it (GET /api/state all along), lists it with name, port and address, and keeps it
// listed for 60 s without flapping: its queries and follow-up questions are QM (§5.4) and its
// direct liveness questions are legacy unicast without the QU bit (§5.5, §6.7).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { isRoot, Lan, type Host } from '../support/lan.js';
import { sleep, startNode, type NearbyProcess } from '../support/nearby.js';
import { sendMdns } from '../support/mdnsInjector.js';
import { encodeQuery } from '../../src-main/core/discovery/dnsMessage.js';
import type { Peer } from '../../src-shared/peer.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const RESPONDER = fileURLToPath(new URL('../support/strict_responder.py', import.meta.url));
const NAME = 'Strict responder';
const PORT = 9123;
const WATCH_MS = 60_000;

describe('a responder that ignores QU questions', { skip }, () => {
  let lan: Lan;
  let node: NearbyProcess;
  let responderHost: Host;
  let responder: ChildProcess;
  let responderOut = '';

  before(async () => {
    lan = await Lan.create({ hosts: 2, ipv6Dad: false });
    responderHost = lan.hosts[1]!;
    const opts = { instance: NAME, hostname: 'strict-responder', port: PORT, txt: [`name=${NAME}`, 'operating_system=linux'], address: responderHost.ipv4 };
    responder = responderHost.spawn('/usr/bin/python3', ['-u', RESPONDER, JSON.stringify(opts)]);
    responder.stdout?.setEncoding('utf8').on('data', (d: string) => (responderOut += d));
    responder.stderr?.setEncoding('utf8').on('data', (d: string) => (responderOut += d));
    const start = Date.now();
    while (!responderOut.includes('READY')) {
      if (Date.now() - start > 10_000 || responder.exitCode !== null) throw new Error(`the strict responder did not start:\n${responderOut}`);
      await sleep(20);
    }
    // Started after the responder: the first query of its burst (QU) reaches the responder.
    node = await startNode(lan.hosts[0]!, { name: 'Observer' });
  });

  after(async () => {
    responder?.kill('SIGKILL');
    await node?.stop('SIGKILL');
    await lan?.destroy();
  });

  const complete = (p: Peer | undefined) => !!p && p.name === NAME && p.port === PORT && p.addresses.includes(responderHost.ipv4!) && p.operatingSystem === 'linux';

  test(`is listed with name, port and address, and stays listed for ${WATCH_MS / 1000} s without flapping`, async () => {
    await node.waitForState((s) => complete(s.peers.find((p) => p.instance === NAME)), 10_000, 'the node to list the strict responder with every field');
    const start = Date.now();
    let looks = 0;
    while (Date.now() - start < WATCH_MS) {
      const peer = (await node.state()).peers.find((p) => p.instance === NAME);
      assert.ok(complete(peer), `${((Date.now() - start) / 1000).toFixed(1)} s after it was listed: ${JSON.stringify(peer)}`);
      looks++;
      await sleep(250);
    }
    assert.ok(looks > WATCH_MS / 1000, `${looks} looks at the state`);
    assert.doesNotMatch(node.stdout, new RegExp(`^- ${NAME}$`, 'm'), 'never dropped, not even for a moment');
    // The node asked nothing the responder ignores, and the responder is as strict as it says:
    // a QU question sent to it by hand is ignored.
    assert.doesNotMatch(responderOut, /^ignored /m);
    await sendMdns(lan.hosts[0]!, [{ kind: 'raw', hex: encodeQuery([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: true }]).toString('hex') }]);
    await sleep(500);
    assert.match(responderOut, /^ignored 0x8001 _sd\._udp\.local PTR$/m);
    const legacyAnswers = responderOut.split('\n').filter((l) => l.startsWith(`answered legacy ${NAME}._sd._udp.local SRV`)).length;
    // One every 2.5 s ± 20 % while someone looks; a loaded machine stretches that a little.
    assert.ok(legacyAnswers >= WATCH_MS / 5000, `${legacyAnswers} direct questions answered in ${WATCH_MS / 1000} s`);
  });
});
