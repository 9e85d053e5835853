// Issue 16: wide-area discovery through a real DNS server (BIND 9's named in a namespace): DNS-SD
// over unicast DNS, registration by signed UPDATE, browsing across two LANs joined by a router
// (multicast does not cross it, so only the domain can introduce the nodes to each other).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Lan, type Host, type Router } from '../support/lan.js';
import { sleep, startNode, type NearbyProcess, type StateSubscription } from '../support/nearby.js';
import { bindSkipReason, dig, makeKeyFile, startNamed, startSecondaryNamed, type NamedServer } from '../support/bind.js';
import { startAvahi } from '../support/avahi.js';

const skip = bindSkipReason();
const ZONE = 'sd.test';
/** A domain inside the zone that the zone announces as a browse domain. */
const ANNOUNCED = `far.${ZONE}`;
/** Short leases, so that refreshes happen within a test (seconds). */
const LEASE_S = 10;

describe('wide-area discovery (DNS-SD over unicast DNS, BIND 9)', { skip }, () => {
  const lans: Lan[] = [];
  const nodes: NearbyProcess[] = [];
  const subscriptions: StateSubscription[] = [];
  let lanA: Lan;
  let lanB: Lan;
  let router: Router;
  let named: NamedServer;

  before(async () => {
    lanA = await Lan.create({ hosts: 3, ipv6Dad: false });
    lanB = await Lan.create({ hosts: 1, ipv6Dad: false });
    lans.push(lanA, lanB);
    router = await Lan.router(lanA, lanB);
    // The zone announces a browse domain of its own (RFC 6763 §11), for nodes that use the system's resolver.
    named = await startNamed(router.host, ZONE, [`lb._dns-sd._udp IN PTR ${ANNOUNCED}.`]);
  });

  after(async () => {
    for (const s of subscriptions) s.close();
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await named?.stop().catch(() => undefined);
    await Promise.allSettled(lans.map((l) => l.destroy()));
  });

  function wideAreaArgs(keyFile = named.keyFile): string[] {
    return ['--wide-area', ZONE, '--dns-server', router.addressOn(lanA), '--tsig-key', keyFile];
  }

  async function start(host: Host, name: string, extra: { keyFile?: string; libraries?: string[] } = {}): Promise<NearbyProcess> {
    const node = await startNode(host, { name, libraries: extra.libraries, extraArgs: wideAreaArgs(extra.keyFile), env: { SD_NEARBY_WIDE_AREA_LEASE_S: String(LEASE_S), SD_NEARBY_DEVICE_MODEL: 'NAS' } });
    nodes.push(node);
    return node;
  }

  const ask = (...args: string[]) => dig(lanB.hosts[0]!, router.addressOn(lanB), ...args);

  test('registers PTR, SRV, TXT (every key) and A in the domain; SIGTERM removes them at once', async () => {
    const node = await start(lanA.hosts[0]!, 'Wide one', { libraries: ['Photos'] });
    const identity = node.printedIdentity;
    const instance = `${identity}._sd._udp.${ZONE}.`;
    let ptr = '';
    for (let i = 0; i < 50 && !ptr.includes(instance); i++, await sleep(100)) ptr = await ask(`_sd._udp.${ZONE}`, 'PTR', '+short');
    assert.ok(ptr.includes(instance), `dig lists our instance under _sd._udp.${ZONE}: ${ptr}\n${node.stderr}`);
    const state = await node.state();
    // The SRV came in the same UPDATE as the PTR; a loaded machine's dig once read it empty (its
    // whole answer is then in the message below), so an empty read is asked again.
    let srv: string[] = [];
    for (let i = 0; i < 20 && srv.length < 4; i++, srv.length < 4 && (await sleep(100))) srv = (await ask(instance, 'SRV', '+short')).trim().split(/\s+/);
    assert.equal(srv[2], String(state.self.port), `SRV carries the P2P port: ${srv.join(' ')}\n${await ask(instance, 'SRV')}`);
    assert.match(srv[3] ?? '', new RegExp(`^sd-[0-9a-f]{16}\\.${ZONE.replace('.', '\\.')}\\.$`), 'SRV targets a host name in the domain');
    const txt = await ask(instance, 'TXT', '+short');
    const library = state.libraries[0]!;
    for (const entry of ['name=Wide one', 'operating_system=', 'os=', 'device_model=NAS', `version=${state.self.version}`, `${library.uuid}=${identity}`]) {
      assert.ok(txt.includes(entry), `TXT has ${entry}: ${txt}`);
    }
    const a = await ask(srv[3]!, 'A', '+short');
    assert.ok(a.includes(lanA.hosts[0]!.ipv4!), `A of the SRV target is the node's address: ${a}`);

    // The libraries hook: a new library is in the TXT at once, by one more UPDATE (the zone's serial moves by one).
    const serialBefore = Number(await ask(ZONE, 'SOA', '+short').then((soa) => soa.split(' ')[2]));
    const created = await node.command<{ uuid: string }>('createLibrary', { name: 'Music' });
    assert.equal(created.status, 200);
    let txtAfter = '';
    for (let i = 0; i < 40 && !txtAfter.includes(created.body.uuid); i++, await sleep(50)) txtAfter = await ask(instance, 'TXT', '+short');
    assert.ok(txtAfter.includes(`${created.body.uuid}=${identity}`), `the new library is in the TXT: ${txtAfter}`);
    assert.equal(Number(await ask(ZONE, 'SOA', '+short').then((soa) => soa.split(' ')[2])), serialBefore + 1, 'one UPDATE for the change');

    const stopped = Date.now();
    await node.stop('SIGTERM');
    const stoppedMs = Date.now() - stopped;
    assert.ok(!(await ask(`_sd._udp.${ZONE}`, 'PTR', '+short')).includes(instance), 'the PTR is gone once the process has exited');
    assert.equal((await ask(instance, 'ANY', '+short')).trim(), '', 'SRV and TXT are gone');
    assert.equal((await ask(srv[3]!, 'A', '+short')).trim(), '', 'the host name is gone');
    assert.ok(stoppedMs < 3000, `SIGTERM to exit took ${stoppedMs} ms`);
  });

  test('a wrong key is one clear line, and nothing is registered', async () => {
    const wrongKey = makeKeyFile(lanA.hosts[1]!.tmpDir('key'), 'wrong.key'); // same name, another secret
    const node = await start(lanA.hosts[1]!, 'Wrong key', { keyFile: wrongKey });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !/refused to register/.test(node.stderr)) await sleep(50);
    const lines = node.stderr.split('\n').filter((l) => /refused to register/.test(l));
    assert.equal(lines.length, 1, `one line says the update was refused:\n${node.stderr}`);
    assert.match(lines[0]!, new RegExp(`DNS server ${router.addressOn(lanA).replace(/\./g, '\\.')}:53 refused to register this device in ${ZONE} with key "nearby-update": BADSIG`));
    const identity = node.printedIdentity;
    assert.equal((await ask(`${identity}._sd._udp.${ZONE}`, 'ANY', '+short')).trim(), '', 'no record of the node');
    assert.ok(!(await ask(`_sd._udp.${ZONE}`, 'PTR', '+short')).includes(identity), 'no PTR to it');
    await node.stop('SIGTERM');
  });

  test('a record that claims another identity than the device at its endpoint proves is listed as an impostor', async () => {
    const real = await start(lanA.hosts[1]!, 'Real one');
    const viewer = await start(lanB.hosts[0]!, 'Viewer');
    const watch = viewer.subscribe();
    subscriptions.push(watch);
    // Someone with the update key registers an instance claiming a device that is not there, pointing at the real one's endpoint.
    let claimed = '';
    while (!/^[A-Za-z0-9]{43}$/.test(claimed)) claimed = randomBytes(32).toString('base64').replace(/=+$/, '');
    const port = (await real.state()).self.port;
    const script = `server ${router.addressOn(lanB)}\nzone ${ZONE}\nupdate add ${claimed}._sd._udp.${ZONE} 60 SRV 0 0 ${port} fake.${ZONE}\nupdate add ${claimed}._sd._udp.${ZONE} 60 TXT "name=Real one"\nupdate add fake.${ZONE} 60 A ${lanA.hosts[1]!.ipv4}\nupdate add _sd._udp.${ZONE} 60 PTR ${claimed}._sd._udp.${ZONE}\nsend\n`;
    const update = await lanB.hosts[0]!.run('nsupdate', ['-k', named.keyFile], { input: script });
    assert.equal(update.code, 0, `nsupdate: ${update.stderr}`);
    const state = await watch.waitFor((s) => s.peers.some((p) => p.identity === claimed && p.warning !== undefined), 8000, 'the viewer to flag the impostor');
    const impostor = state.peers.find((p) => p.identity === claimed)!;
    assert.equal(impostor.verified, false);
    assert.match(impostor.warning!, /claims to be Real one .* but could not prove it/);
    await watch.waitFor((s) => s.peers.some((p) => p.identity === real.printedIdentity && p.verified), 5000, 'the real device listed verified beside it');
    await Promise.all([real.stop('SIGTERM'), viewer.stop('SIGTERM')]);
  });

  // BIND 9.18 does not end leases (RFC 9664) itself: the peers drop a killed node by liveness while
  // someone looks, and a peer holding the key removes its records once nobody renewed them for
  // 1.5 leases (its TXT unchanged), so they leave with the lease for everyone, looking or not.
  test('two nodes on two LANs list each other, verified, through the domain; after SIGKILL the other drops it, and its records leave with the lease', async (t) => {
    const [one, two] = await Promise.all([start(lanA.hosts[2]!, 'Across A'), start(lanB.hosts[0]!, 'Across B')]);
    const started = Date.now();
    const [watchOne, watchTwo] = [one.subscribe(), two.subscribe()]; // someone looks: verification runs
    subscriptions.push(watchOne, watchTwo);
    const [idOne, idTwo] = [one.printedIdentity, two.printedIdentity];
    const listed = (id: string) => (s: { peers: Array<{ identity: string | null; verified: boolean; source: string }> }) => s.peers.some((p) => p.identity === id && p.verified && p.source === 'wide-area');
    const [seenByOne, seenByTwo] = await Promise.all([watchOne.waitFor(listed(idTwo), 5000, 'A to list B verified'), watchTwo.waitFor(listed(idOne), 5000, 'B to list A verified')]);
    const elapsedMs = Date.now() - started;
    assert.equal(seenByOne.peers.filter((p) => p.identity === idTwo).length, 1, 'listed once');
    assert.equal(seenByTwo.peers.find((p) => p.identity === idOne)?.name, 'Across A');
    assert.ok(seenByTwo.peers.find((p) => p.identity === idOne)?.addresses.includes(lanA.hosts[2]!.ipv4!), 'B reaches A at its address on LAN A');
    t.diagnostic(`listed each other verified across networks in ${elapsedMs} ms`);

    // B's browsing stops and starts again (Disabled, then Everyone) while it is watched: liveness still follows.
    assert.equal((await two.command('setMode', { mode: 'disabled' })).status, 200);
    assert.equal((await two.command('setMode', { mode: 'everyone' })).status, 200);
    await watchTwo.waitFor(listed(idOne), 5000, 'B to list A again');
    await one.stop('SIGKILL');
    const killed = Date.now();
    await watchTwo.waitFor((s) => !s.peers.some((p) => p.identity === idOne), 15_000, 'B to drop A after SIGKILL');
    t.diagnostic(`B dropped A ${Date.now() - killed} ms after SIGKILL`);
    // A renewed every 7.5-8 s; B removes A's registration 15 s after the last renewal it saw.
    const goneAfterMs = await waitRegistered(idOne, false, LEASE_S * 1000 * 2 + 5000);
    t.diagnostic(`A's records left the zone ${Date.now() - killed} ms after SIGKILL (lease ${LEASE_S} s)`);
    assert.equal(await ask(`${idOne}._sd._udp.${ZONE}`, 'TXT', '+short'), '', `A's TXT gone too (after ${goneAfterMs} ms of waiting)`);
    assert.ok(await registered(idTwo), 'B, which renews its lease, is still there');
    await two.stop('SIGTERM');
  });

  test('two nodes on one LAN, heard by mDNS and in the domain, are listed once each, in every state', async () => {
    const [one, two] = await Promise.all([start(lanA.hosts[1]!, 'Both ways one'), start(lanA.hosts[2]!, 'Both ways two')]);
    const watch = one.subscribe();
    subscriptions.push(watch);
    const idTwo = two.printedIdentity;
    await waitRegistered(idTwo, true, 5000);
    await watch.waitFor((s) => s.peers.some((p) => p.identity === idTwo && p.verified), 5000, 'one to list two verified');
    await sleep(2500); // a poll or two of the domain more, with two in it
    const rows = watch.states.map(({ state }) => state.peers.filter((p) => p.identity === idTwo).length);
    assert.ok(rows.every((n) => n <= 1), `never two rows for one device: ${rows.join(',')}`);
    assert.equal(watch.last?.peers.find((p) => p.identity === idTwo)?.source, 'mdns', 'the LAN entry stands for it');
    await Promise.all([one.stop('SIGTERM'), two.stop('SIGTERM')]);
  });

  test('without --dns-server the updates go to the primary the resolver names (a secondary refuses them); avahi-browse -d DOMAIN (wide-area on, on the other LAN) lists us', async () => {
    // The host's resolver is a secondary of the zone: it answers questions, and refuses updates.
    const secondary = await startSecondaryNamed(lanA.hosts[2]!, named);
    try {
      const refused = await lanA.hosts[0]!.run('nsupdate', ['-k', named.keyFile], { input: `server ${secondary.address}\nzone ${ZONE}\nupdate add probe.${ZONE} 60 A 192.0.2.1\nsend\n` });
      assert.match(refused.stdout + refused.stderr, /REFUSED|NOTAUTH|NOTIMP/, 'the secondary takes no update');
      lanA.hosts[0]!.setResolvConf([secondary.address]);
      await avahiListsANodeWithoutDnsServer();
    } finally {
      await secondary.stop();
    }
  });

  async function avahiListsANodeWithoutDnsServer(): Promise<void> {
    const node = await startNode(lanA.hosts[0]!, { name: 'Seen by avahi', extraArgs: ['--wide-area', ZONE, '--tsig-key', named.keyFile] });
    nodes.push(node);
    const identity = node.printedIdentity;
    const browser = lanB.hosts[0]!;
    browser.setResolvConf([router.addressOn(lanB)]);
    const avahi = await startAvahi(browser, { wideArea: true });
    try {
      const found = await avahi.browse('_sd._udp', 10_000, { domain: ZONE, until: (list) => list.some((s) => s.name === identity) });
      const ours = found.find((s) => s.name === identity);
      assert.ok(ours, `avahi-browse -d ${ZONE} lists our instance: ${JSON.stringify(found)}\n${avahi.log()}`);
      assert.equal(ours.domain, ZONE);
      assert.equal(ours.port, (await node.state()).self.port);
      assert.equal(ours.address, lanA.hosts[0]!.ipv4);
      assert.ok(ours.txt.includes('name=Seen by avahi'), `TXT as on mDNS: ${ours.txt.join(' ')}`);
      assert.doesNotMatch(node.stderr, /refused/, 'no update was refused');
    } finally {
      await avahi.stop();
      await node.stop('SIGTERM');
    }
  }

  async function registered(identity: string): Promise<boolean> {
    return (await ask(`_sd._udp.${ZONE}`, 'PTR', '+short')).includes(`${identity}._sd._udp.${ZONE}.`);
  }

  async function waitRegistered(identity: string, wanted: boolean, timeoutMs: number): Promise<number> {
    const start = Date.now();
    while ((await registered(identity)) !== wanted) {
      if (Date.now() - start > timeoutMs) throw new Error(`${identity} still ${wanted ? 'not ' : ''}registered after ${timeoutMs} ms`);
      await sleep(50);
    }
    return Date.now() - start;
  }

  test('the registration is refreshed before its lease ends, with nothing changed', async () => {
    const node = await start(lanA.hosts[1]!, 'Refreshing');
    const identity = node.printedIdentity;
    await waitRegistered(identity, true, 5000);
    // Each registration UPDATE starts by clearing the instance's name; named logs it (an UPDATE that changes nothing leaves the serial as it was).
    const registrations = () => named.log().split('\n').filter((l) => l.includes(`: updating zone '${ZONE}/IN': delete all rrsets from name '${identity}._sd._udp.${ZONE}'`)).length;
    assert.equal(registrations(), 1);
    // A refresh comes at 75-80 % of the lease.
    const deadline = Date.now() + LEASE_S * 1000;
    while (registrations() === 1 && Date.now() < deadline) await sleep(100);
    assert.equal(registrations(), 2, `one refresh UPDATE within the ${LEASE_S} s lease`);
    assert.ok(await registered(identity));
    await node.stop('SIGTERM');
  });

  test('a switch to Disabled or Contacts only removes our records; back to Everyone registers them again', async () => {
    const node = await start(lanA.hosts[1]!, 'Switching');
    const identity = node.printedIdentity;
    await waitRegistered(identity, true, 5000);
    assert.equal((await node.command('setMode', { mode: 'disabled' })).status, 200);
    await waitRegistered(identity, false, 2000);
    assert.equal((await node.command('setMode', { mode: 'everyone' })).status, 200);
    await waitRegistered(identity, true, 2000);
    assert.equal((await node.command('setMode', { mode: 'contacts-only' })).status, 200);
    await waitRegistered(identity, false, 2000);
    const zone = await ask(ZONE, 'AXFR', '+noall', '+answer');
    assert.match(zone, /\tSOA\t/, `the zone transfer worked:\n${zone}`);
    assert.ok(!zone.includes(identity) && !zone.includes('Switching'), `nothing in the zone names the device in Contacts only:\n${zone}`);
    await node.stop('SIGTERM');
  });

  test('the DNS server down: a warning, mDNS goes on, and the registration is back by itself once it returns', async (t) => {
    await named.stop();
    try {
      const node = await start(lanA.hosts[1]!, 'Patient');
      const neighbour = await startNode(lanA.hosts[2]!, { name: 'Neighbour' });
      nodes.push(neighbour);
      const identity = node.printedIdentity;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !/retried until it answers/.test(node.stderr)) await sleep(50);
      assert.match(node.stderr, new RegExp(`warning: wide-area \\(${ZONE.replace('.', '\\.')}\\): the DNS server [0-9.]+:53 cannot be reached: nothing listens on its port: wide-area registration is retried until it answers; discovery on the LAN goes on`));
      await neighbour.waitForState((s) => s.peers.some((p) => p.identity === identity && p.source === 'mdns'), 5000, 'the neighbour to list the node by mDNS');
      await named.restart();
      // Retries after 1, 2, 4, 8 s (±20 %) while it was down: the next one comes within 10 s.
      const backMs = await waitRegistered(identity, true, 10_000);
      t.diagnostic(`registered again ${backMs} ms after the server returned`);
      await Promise.all([node.stop('SIGTERM'), neighbour.stop('SIGTERM')]);
    } finally {
      if (named.process.exitCode !== null || named.process.signalCode !== null) await named.restart();
    }
  });

  // A host with no route to the DNS server (a laptop gone offline): connecting the UDP socket fails
  // at once (ENETUNREACH, nothing is sent). Before, that error was dropped and the send that
  // followed threw where nothing caught it: the node exited.
  test('a DNS server with no route to it: a warning, and the node keeps running', async () => {
    const lonely = await Lan.create({ hosts: 1, ipv6: false }); // no router: no default route
    lans.push(lonely);
    const node = await startNode(lonely.hosts[0]!, { name: 'Offline', extraArgs: ['--wide-area', ZONE, '--dns-server', '192.0.2.1', '--tsig-key', named.keyFile] });
    nodes.push(node);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !/cannot be reached: connect ENETUNREACH/.test(node.stderr)) await sleep(50);
    assert.match(node.stderr, /the DNS server 192\.0\.2\.1:53 cannot be reached: connect ENETUNREACH/);
    await sleep(1500); // the browser's and the registrar's retries
    assert.equal(node.child.exitCode, null, `still running:\n${node.stderr}`);
    assert.equal((await node.state()).self.name, 'Offline', 'its API answers');
    await node.stop('SIGTERM');
  });

  test('without --dns-server, the browse domains the resolver announces under the search list are browsed too', async () => {
    const far = await startNode(lanA.hosts[1]!, { name: 'In the far domain', extraArgs: ['--wide-area', ANNOUNCED, '--dns-server', router.addressOn(lanA), '--tsig-key', named.keyFile] });
    nodes.push(far);
    lanB.hosts[0]!.setResolvConf([router.addressOn(lanB)], [ZONE]);
    const near = await startNode(lanB.hosts[0]!, { name: 'Searching', extraArgs: ['--wide-area', ZONE, '--tsig-key', named.keyFile] });
    nodes.push(near);
    const watch = near.subscribe();
    subscriptions.push(watch);
    const state = await watch.waitFor((s) => s.peers.some((p) => p.identity === far.printedIdentity && p.verified), 8000, `the node browsing ${ZONE} to find the one in ${ANNOUNCED}`);
    assert.equal(state.peers.find((p) => p.identity === far.printedIdentity)?.source, 'wide-area');
    await Promise.all([far.stop('SIGTERM'), near.stop('SIGTERM')]);
  });
});
