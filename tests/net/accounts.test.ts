// Issue 14, "Show": account-verified devices on a namespace LAN, two issuers, the built CLI making
// every key and credential. Oscar's laptop looks at its list: his other device is one of My
// devices (and it lists the laptop so too, over the link they keep); Bea's device, of the same
// issuer, shows her name and verified email; Carl's, of an issuer the laptop does not trust, shows
// none; a device that copied the credentials of Oscar's other device shows none; a device whose
// credential expired shows none, with the reason; the pairing dialog names the account.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NodeState } from '../../src-shared/contract.js';
import type { Peer } from '../../src-shared/peer.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import { readAccountFile } from '../../src-main/core/accounts/accountFiles.js';
import { issueDeviceCredential } from '../../src-main/core/accounts/credentials.js';
import { loadOrCreateIdentity } from '../../src-main/core/storage/identityKey.js';
import { isRoot, Lan } from '../support/lan.js';
import { accountCli } from '../support/accountCli.js';
import { startNode, tempDataDir, type NearbyProcess, type StateSubscription } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const STEP_TIMEOUT_MS = 20_000;
const OSCAR = { name: 'Oscar Beaumont', email: 'oscar@example.com', verified: true };
const BEA = { name: 'Bea Lindqvist', email: 'bea@example.com', verified: true };
/** Carl's NAS listens on a fixed port: after its restart it is the same endpoint with the same TXT. */
const CARL_PORT_ARGS = ['--port', '7411'];


describe('account-verified devices on a LAN (two issuers)', { skip }, () => {
  let lan: Lan;
  let laptop: NearbyProcess; // Oscar's, looking at its list
  let desktop: NearbyProcess; // Oscar's other device
  let bea: NearbyProcess; // another account, same issuer
  let carl: NearbyProcess; // an issuer the laptop does not trust
  let copier: NearbyProcess; // holds the desktop's credentials, not its key
  let expired: NearbyProcess; // its device credential expired
  let looking: StateSubscription;
  let restartCarl: () => Promise<NearbyProcess>;
  let addCarlToBea: () => string;
  let restartOscars: (more?: string[]) => Promise<[NearbyProcess, NearbyProcess]>;
  const ids: Record<string, string> = {};

  before(async () => {
    const files = tempDataDir('accounts');
    const trusted = accountCli('create-issuer', join(files, 'issuer-1'));
    accountCli('create-issuer', join(files, 'issuer-2'));
    accountCli('issue', '--issuer', join(files, 'issuer-1'), '--name', OSCAR.name, '--email', OSCAR.email, '--out', join(files, 'oscar.account'));
    accountCli('issue', '--issuer', join(files, 'issuer-1'), '--name', BEA.name, '--email', BEA.email, '--out', join(files, 'bea.account'));
    accountCli('issue', '--issuer', join(files, 'issuer-2'), '--name', 'Carl Nyström', '--email', 'carl@example.org', '--out', join(files, 'carl.account'));
    const dirs = Object.fromEntries(['laptop', 'desktop', 'bea', 'carl', 'copier', 'expired'].map((n) => [n, tempDataDir(`acct-${n}`)])) as Record<string, string>;
    const addDevice = (file: string, dir: string) => accountCli('add-device', '--account', join(files, file), '--data-dir', dir);
    addDevice('oscar.account', dirs.laptop!);
    addDevice('oscar.account', dirs.desktop!);
    addDevice('bea.account', dirs.bea!);
    addDevice('carl.account', dirs.carl!);
    addDevice('oscar.account', dirs.expired!);
    // The copier: its own identity, the desktop's credentials.
    await loadOrCreateIdentity(dirs.copier!);
    writeFileSync(join(dirs.copier!, 'account-credentials.json'), readFileSync(join(dirs.desktop!, 'account-credentials.json')), { mode: 0o600 });
    // Expired: the account signed a device credential that ended a day ago.
    const oscar = await readAccountFile(join(files, 'oscar.account'));
    const { identity: expiredIdentity } = await loadOrCreateIdentity(dirs.expired!);
    const stored = JSON.parse(readFileSync(join(dirs.expired!, 'account-credentials.json'), 'utf8')) as { account: string };
    const device = issueDeviceCredential(oscar.accountKey, { device: expiredIdentity, notAfter: Math.floor(Date.now() / 1000) - 86_400, deviceName: 'old tablet' });
    writeFileSync(join(dirs.expired!, 'account-credentials.json'), JSON.stringify({ version: 1, account: stored.account, device }), { mode: 0o600 });

    // Carl trusts the first issuer through the setting, not the flag (settings.json, as a user would keep it).
    writeFileSync(join(dirs.carl!, 'settings.json'), JSON.stringify({ version: 1, trustedIssuers: [trusted] }), { mode: 0o600 });
    lan = await Lan.create({ hosts: 6, ipv6Dad: false });
    const trust = ['--trust-issuer', trusted];
    const start = (i: number, name: string, dir: string, extraArgs: string[] = []) => startNode(lan.hosts[i]!, { name, dataDir: dir, extraArgs, env: { SD_NEARBY_PAIRING_TIMEOUT_MS: '8000' } });
    restartCarl = () => start(3, 'Carl NAS', dirs.carl!, CARL_PORT_ARGS);
    restartOscars = (more = []) => Promise.all([start(0, 'Oscar laptop', dirs.laptop!, [...trust, ...more]), start(1, 'Oscar desktop', dirs.desktop!, more)]);
    addCarlToBea = () => addDevice('bea.account', dirs.carl!);
    [laptop, desktop, bea, carl, copier, expired] = await Promise.all([
      start(0, 'Oscar laptop', dirs.laptop!, trust),
      start(1, 'Oscar desktop', dirs.desktop!),
      start(2, 'Bea phone', dirs.bea!, trust),
      start(3, 'Carl NAS', dirs.carl!, CARL_PORT_ARGS),
      start(4, 'Copier', dirs.copier!),
      start(5, 'Old tablet', dirs.expired!),
    ]);
    for (const [name, node] of Object.entries({ laptop, desktop, bea, carl, copier, expired })) ids[name] = node.printedIdentity;
    assert.match(laptop.stdout, /trusting 1 account issuer/);
    looking = laptop.subscribe();
  });

  after(async () => {
    looking?.close();
    await Promise.allSettled([laptop, desktop, bea, carl, copier, expired].map((n) => n?.stop('SIGKILL')));
    await lan?.destroy();
  });

  const row = (s: NodeState, name: string): Peer | undefined => s.peers.find((p) => p.identity === ids[name] && p.verified);

  test("the laptop's list: My devices, a verified account, and no account where the credentials fail, with the reason", async () => {
    const state = await looking.waitFor(
      (s) => ['desktop', 'bea', 'carl', 'copier', 'expired'].every((n) => row(s, n) !== undefined) && row(s, 'desktop')?.myDevice === true && row(s, 'bea')?.account != null && ['carl', 'copier', 'expired'].every((n) => row(s, n)?.accountProblem !== undefined),
      STEP_TIMEOUT_MS,
      'every device verified, with its account or the reason it has none',
    );
    const desktopRow = row(state, 'desktop')!;
    assert.deepEqual([desktopRow.account, desktopRow.myDevice], [OSCAR, true], 'a device of my own account');
    const beaRow = row(state, 'bea')!;
    assert.deepEqual([beaRow.account, beaRow.myDevice, beaRow.accountProblem], [BEA, undefined, undefined], 'another account of a trusted issuer');
    const carlRow = row(state, 'carl')!;
    assert.equal(carlRow.account, null);
    assert.match(carlRow.accountProblem!, /issuer this device does not trust/);
    assert.ok(!JSON.stringify(carlRow).includes('carl@example.org'), 'nothing of an untrusted account is shown');
    const copierRow = row(state, 'copier')!;
    assert.deepEqual([copierRow.account, copierRow.myDevice], [null, undefined], 'copied credentials show no account');
    assert.match(copierRow.accountProblem!, /made for another device/);
    const expiredRow = row(state, 'expired')!;
    assert.equal(expiredRow.account, null);
    assert.match(expiredRow.accountProblem!, /device credential expired on \d{4}-\d{2}-\d{2}/);
  });

  /** Whether the laptop holds an established TCP connection with `peer`'s host (a link; a verification closes at once). */
  const connectedTo = async (peer: NearbyProcess): Promise<boolean> => {
    const out = (await laptop.host.run('ss', ['-tnH', 'state', 'established'])).stdout;
    const addresses = [...peer.host.ipv4Addresses(), ...(await peer.host.ipv6LinkLocals()).map((a) => a.address)];
    return addresses.some((a) => out.includes(a));
  };

  test("each node names its own account in its state; one whose credential expired says why in its warnings", async () => {
    assert.deepEqual((await laptop.state()).self.account, OSCAR);
    const old = await expired.state();
    assert.equal(old.self.account, null);
    assert.ok(old.warnings.some((w) => /account credentials cannot be used \(its device credential expired on/.test(w)), JSON.stringify(old.warnings));
  });

  test('an issuer trusted through the setting trustedIssuers (not the flag): Carl’s NAS shows the laptop’s account', async () => {
    const { state } = await carl.waitForState((s) => row(s, 'laptop')?.account != null, STEP_TIMEOUT_MS, 'the laptop’s account on Carl’s NAS');
    assert.deepEqual(row(state, 'laptop')!.account, OSCAR);
    assert.equal(row(state, 'laptop')!.myDevice, undefined);
  });

  test('My devices keep a link, like contacts: the desktop lists the laptop as its own, over that link; a stranger gets none', async () => {
    const { state } = await desktop.waitForState((s) => row(s, 'laptop')?.myDevice === true, STEP_TIMEOUT_MS, 'the laptop as one of My devices');
    assert.deepEqual(row(state, 'laptop')!.account, OSCAR);
    assert.equal(row(state, 'copier')?.myDevice, undefined, 'the copier is not one of its devices');
    const since = Date.now();
    while (!(await connectedTo(desktop)) && Date.now() - since < STEP_TIMEOUT_MS) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await connectedTo(desktop), 'a standing link between the two devices of the account');
    await new Promise((r) => setTimeout(r, 300)); // the hellos taken and the lists rebuilt
    // Over the link, each hello proves the account again: still My devices on both sides.
    assert.equal(row(await laptop.state(), 'desktop')?.myDevice, true);
    assert.equal(row(await desktop.state(), 'laptop')?.myDevice, true);
    assert.equal(await connectedTo(bea), false, 'Bea’s device is verified by a handshake that closed: no link');
  });

  test("copied credentials in a link's hello (the details of the copier open, so a link is made): still no account, the same reason", async () => {
    const session = await laptop.session();
    try {
      await session.client.call('setAttention', { looking: true, openPeerId: row(looking.last!, 'copier')!.id });
      const since = Date.now();
      while (!(await connectedTo(copier)) && Date.now() - since < STEP_TIMEOUT_MS) await new Promise((r) => setTimeout(r, 100));
      assert.ok(await connectedTo(copier), 'a link to the copier while its details are open');
      await new Promise((r) => setTimeout(r, 300)); // its hello taken and the list rebuilt
      const copierRow = row(await laptop.state(), 'copier')!;
      assert.deepEqual([copierRow.account, copierRow.myDevice], [null, undefined]);
      assert.match(copierRow.accountProblem!, /made for another device/);
    } finally {
      session.close();
    }
  });

  test('the pairing dialog names the account, on both screens', async () => {
    const beaId = row(looking.last!, 'bea')!.id;
    const started = await laptop.command<PairingSessionState>('startPairing', { peerId: beaId });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const session = (s: NodeState, peer: string) => s.pairing.find((p) => p.peerIdentity === ids[peer] && p.code !== null);
    const atLaptop = await laptop.waitForState((s) => session(s, 'bea') !== undefined, STEP_TIMEOUT_MS, 'the code on the laptop');
    const atBea = await bea.waitForState((s) => session(s, 'laptop') !== undefined, STEP_TIMEOUT_MS, 'the code on Bea’s phone');
    assert.deepEqual(session(atLaptop.state, 'bea')!.account, BEA);
    assert.deepEqual(session(atBea.state, 'laptop')!.account, OSCAR);
    await laptop.command('rejectPairing', { sessionId: session(atLaptop.state, 'bea')!.id });
  });

  test('a device added to another account while it runs shows that account after its restart, at the same endpoint', async () => {
    addCarlToBea();
    await carl.stop('SIGTERM');
    // Gone from the list first (its goodbye, checked by a direct question); a quicker restart is caught by the verifier's recheck (VERIFIED_RECHECK_MS).
    await looking.waitFor((s) => !s.peers.some((p) => p.identity === ids.carl), STEP_TIMEOUT_MS, 'Carl’s NAS gone');
    carl = await restartCarl();
    const state = await looking.waitFor((s) => row(s, 'carl')?.account != null, STEP_TIMEOUT_MS, 'Carl’s NAS under Bea’s account');
    assert.deepEqual([row(state, 'carl')!.account, row(state, 'carl')!.accountProblem], [BEA, undefined]);
  });

  test('My devices are remembered: both restarted, nobody looking at either, their link comes back (like contacts)', async () => {
    looking.close();
    await Promise.all([laptop.stop('SIGTERM'), desktop.stop('SIGTERM')]);
    [laptop, desktop] = await restartOscars();
    // No state is asked of either (that would be someone looking, and verifications would run).
    const since = Date.now();
    while (!(await connectedTo(desktop)) && Date.now() - since < STEP_TIMEOUT_MS) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await connectedTo(desktop), 'the laptop and the desktop linked again on their own');
  });

  test('My devices find each other in Contacts only mode, like contacts: through the secrets they gave each other over their link', async () => {
    await Promise.all([laptop.stop('SIGTERM'), desktop.stop('SIGTERM')]);
    [laptop, desktop] = await restartOscars(['--mode', 'contacts-only']);
    const { state } = await laptop.waitForState((s) => row(s, 'desktop')?.myDevice === true, STEP_TIMEOUT_MS, 'the desktop, behind its token, as one of My devices');
    assert.equal(state.mode, 'contacts-only');
    assert.deepEqual([row(state, 'desktop')!.account, row(state, 'desktop')!.name], [OSCAR, 'Oscar desktop']);
  });
});
