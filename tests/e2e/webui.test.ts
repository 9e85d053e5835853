// The web UI end to end: `sd-nearby serve --ui` on a namespace LAN with two more nodes, the page
// in Debian's Chromium running inside the same namespace host (tests/support/browser.ts). What
// the user does in the page is checked against the nodes' own API (their Unix sockets).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, launchBrowserIn, saveScreenshot, seriousA11yViolations } from '../support/browser.js';
import { Lan, type Host } from '../support/lan.js';
import { startNode, tempDataDir, type NearbyProcess } from '../support/nearby.js';
import { sendMdns } from '../support/mdnsInjector.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';

const skip = browserSkipReason();
const UI_ADDRESS = '127.0.0.1:7380';
const STEP_TIMEOUT_MS = 10_000;

/** A data dir whose libraries.json holds these libraries (so two nodes can share one by uuid). */
function dataDirWithLibraries(tag: string, libraries: Array<{ uuid: string; name: string; active: boolean }>): string {
  const dir = tempDataDir(tag);
  const createdAt = new Date().toISOString();
  writeFileSync(join(dir, 'libraries.json'), JSON.stringify({ version: 1, libraries: libraries.map((l) => ({ ...l, createdAt })) }));
  return dir;
}

describe('web UI: serve --ui in Chromium', { skip }, () => {
  let lan: Lan;
  let hostA: Host;
  let nodeA: NearbyProcess;
  let nodeB: NearbyProcess;
  let nodeC: NearbyProcess;
  let identityA: string;
  let browser: Browser;
  let page: Page;
  const sharedLibrary = { uuid: randomUUID(), name: 'Family photos' };
  const workLibrary = { uuid: randomUUID(), name: 'Work' };

  const startA = (dataDir: string) => startNode(hostA, { dataDir, name: 'Desk', extraArgs: ['--ui', UI_ADDRESS] });
  const peerSeesA = (node: NearbyProcess, visible: boolean, what: string) =>
    node.waitForState((s) => s.peers.some((p) => p.identity === identityA) === visible, STEP_TIMEOUT_MS, what);
  const openView = async (view: 'devices' | 'pair' | 'libraries' | 'settings') => {
    await page.click(`nav [data-view="${view}"]`);
    await page.waitForSelector(`nav [data-view="${view}"][aria-current="page"]`);
  };

  before(async () => {
    lan = await Lan.create({ hosts: 3, ipv6Dad: false });
    hostA = lan.hosts[0]!;
    const dirA = dataDirWithLibraries('ui-a', [
      { ...sharedLibrary, active: true },
      { ...workLibrary, active: false },
    ]);
    const dirB = dataDirWithLibraries('ui-b', [{ ...sharedLibrary, active: true }]);
    [nodeA, nodeB, nodeC, browser] = await Promise.all([
      startA(dirA),
      startNode(lan.hosts[1]!, { dataDir: dirB, name: 'Living room NAS', env: { SD_NEARBY_DEVICE_MODEL: 'NAS' } }),
      startNode(lan.hosts[2]!, { name: 'Build box', env: { SD_NEARBY_DEVICE_MODEL: '' } }),
      launchBrowserIn(hostA),
    ]);
    identityA = await nodeA.identity();
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on('pageerror', (err) => console.error('page error:', err));
    // What the user opens: the address serve printed, the token in its fragment.
    await page.goto(nodeA.printedUiUrl);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await Promise.allSettled([nodeA?.stop('SIGKILL'), nodeB?.stop('SIGKILL'), nodeC?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  test('the list shows both other nodes with their names, system and model in words beside their icons, verified; a library id announced by a non-member is a claim', async () => {
    // Verified once the P2P link proved each identity (a moment after discovery).
    await page.waitForFunction(
      () => {
        const rows = document.querySelectorAll('[role="listbox"] [role="option"]');
        return rows.length === 2 && [...rows].every((r) => r.querySelector('.badge')?.textContent === 'Verified');
      },
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
    const rows = await page.$$eval('[role="option"]', (els) =>
      els.map((el) => ({
        name: el.querySelector('.device-name')?.textContent,
        os: el.querySelector('.icon-os')?.getAttribute('data-icon'),
        kind: el.querySelector('.device-kind-words')?.textContent,
        device: el.querySelector('.icon-device')?.getAttribute('data-icon'),
        deviceLabel: el.querySelector('.icon-device')?.getAttribute('aria-label'),
        libraries: el.querySelector('.device-libraries')?.textContent ?? null,
        claim: el.querySelector('.device-claim')?.textContent ?? null,
        badge: el.querySelector('.badge')?.textContent,
      })),
    );
    // A device without a model is its system in words and a neutral icon. The NAS announces the
    // uuid of "Family photos" (both data dirs hold it), but nobody invited it: a claim (issue 13).
    assert.deepEqual(rows, [
      { name: 'Build box', os: 'linux', kind: 'Linux', device: 'generic', deviceLabel: 'Other device', libraries: null, claim: null, badge: 'Verified' },
      { name: 'Living room NAS', os: 'linux', kind: 'Linux · NAS', device: 'nas', deviceLabel: 'NAS', libraries: null, claim: 'Announces “Family photos” but is not a member you know: not trusted for it', badge: 'Verified' },
    ]);
  });

  test('the list filters by text and sorts by name or last seen', async () => {
    // Two words a random identity or fingerprint (which the filter searches too) cannot hold by chance; "nas" alone can.
    await page.fill('input[type="search"]', 'living room');
    await page.waitForFunction(() => document.querySelectorAll('[role="option"]').length === 1);
    assert.equal(await page.textContent('[role="option"] .device-name'), 'Living room NAS');
    await page.fill('input[type="search"]', 'no such device');
    await page.waitForSelector('text=No device matches');
    await page.click('text=Clear the filter');
    await page.waitForFunction(() => document.querySelectorAll('[role="option"]').length === 2);
    await page.selectOption('select', 'lastSeen');
    assert.equal(await page.$$eval('[role="option"]', (els) => els.length), 2);
    await page.selectOption('select', 'name');
  });

  test('keyboard: the arrows select a device and its details show addresses, port, host name, interfaces and identity', async () => {
    const stateB = await nodeB.state();
    const peerB = (await nodeA.state()).peers.find((p) => p.identity === stateB.self.identity);
    assert.ok(peerB, 'node A lists node B');
    await page.focus('[role="listbox"]');
    await page.keyboard.press('ArrowDown'); // Build box
    await page.keyboard.press('ArrowDown'); // Living room NAS
    await page.waitForSelector('#details-title:has-text("Living room NAS")');
    const details = await page.textContent('.details');
    for (const expected of [...peerB.addresses, String(peerB.port), peerB.hostname ?? 'no host name', ...peerB.interfaces, stateB.self.identity, 'Family photos']) {
      assert.ok(details?.includes(expected), `details show ${expected}: ${details}`);
    }
    assert.equal(await page.getAttribute('[role="listbox"]', 'aria-activedescendant'), `device-${encodeURIComponent(peerB.id)}`);
  });

  test('Disabled in the UI: the node leaves a peer’s list and the page says discovery is off; Everyone brings it back', async () => {
    await peerSeesA(nodeB, true, 'B lists A');
    await openView('settings');
    await page.click('input[name="discovery-mode"][value="disabled"]');
    await peerSeesA(nodeB, false, 'A gone from B after Disabled');
    assert.equal((await nodeA.state()).mode, 'disabled');
    await openView('devices');
    await page.waitForSelector('h2:has-text("Discovery is off")');
    await page.click('button:has-text("Turn on for Everyone")');
    await peerSeesA(nodeB, true, 'A back on B after Everyone');
    await page.waitForSelector('[role="option"]');
    assert.equal((await nodeA.state()).mode, 'everyone');
  });

  test('Contacts only and “Everyone for 10 minutes” in the UI: a non-contact loses A, then sees it again with the time left shown', async () => {
    await openView('settings');
    await page.click('input[name="discovery-mode"][value="contacts-only"]');
    await peerSeesA(nodeB, false, 'A gone from B (not a contact) after Contacts only');
    assert.equal((await nodeA.state()).mode, 'contacts-only');
    assert.match((await page.textContent('#mode-help-contacts-only')) ?? '', /anonymous token/);
    await page.click('input[name="discovery-mode"][value="everyone-temporarily"]');
    await peerSeesA(nodeB, true, 'A back on B for a while');
    const state = await nodeA.state();
    assert.equal(state.mode, 'everyone');
    assert.ok(state.everyoneUntil !== null && Date.parse(state.everyoneUntil) - Date.now() > 9 * 60_000, String(state.everyoneUntil));
    assert.match((await (await page.waitForSelector('#everyone-time-left')).textContent()) ?? '', /^(10:00|9:\d\d) left, then Contacts only\.$/);
    assert.ok(await page.isChecked('input[name="discovery-mode"][value="everyone-temporarily"]'));
    await page.click('input[name="discovery-mode"][value="everyone"]');
    await page.waitForSelector('#everyone-time-left', { state: 'detached' });
    assert.equal((await nodeA.state()).everyoneUntil, null);
    // A device in Contacts only mode nearby is counted, never named.
    assert.equal((await nodeB.command('setMode', { mode: 'contacts-only' })).status, 200);
    await openView('devices');
    await page.waitForSelector('.private-devices:has-text("1 private device nearby")');
    assert.equal((await nodeB.command('setMode', { mode: 'everyone' })).status, 200);
    await page.waitForSelector('.private-devices', { state: 'detached', timeout: STEP_TIMEOUT_MS });
  });

  test('invalid manual addresses show an inline error and save nothing', async () => {
    await openView('settings');
    for (const [input, reason] of [
      ['999.1.1.1:99999', /not an IPv4 address/],
      ['host:', /port is missing/],
      ['', /enter an address/i],
    ] as const) {
      await page.fill('#manual-address', input);
      await page.click('form:has(#manual-address) button[type="submit"]');
      const error = await page.waitForSelector('#manual-feedback[role="alert"]');
      assert.match((await error.textContent()) ?? '', reason, `error for ${JSON.stringify(input)}`);
      assert.equal(await page.getAttribute('#manual-address', 'aria-invalid'), 'true');
      assert.deepEqual((await nodeA.state()).manualPeers, [], `nothing saved for ${JSON.stringify(input)}`);
    }
  });

  test('a valid manual address is listed with its state, and can be removed', async () => {
    const stateB = await nodeB.state();
    const address = `${lan.hosts[1]!.ipv4}:${stateB.self.port}`;
    await page.fill('#manual-address', address);
    await page.click('form:has(#manual-address) button[type="submit"]');
    const item = await page.waitForSelector(`.manual-peer[data-address="${address}"]`);
    assert.match((await item.textContent()) ?? '', /Connecting|Online|Unreachable/);
    assert.deepEqual((await nodeA.state()).manualPeers.map((m) => m.address), [address]);
    assert.equal(await page.inputValue('#manual-address'), '', 'the field is cleared after adding');
    await page.click(`.manual-peer[data-address="${address}"] button:has-text("Remove")`);
    await page.waitForSelector(`.manual-peer[data-address="${address}"]`, { state: 'detached' });
    assert.deepEqual((await nodeA.state()).manualPeers, []);
  });

  test('a library activated in the UI appears in a peer’s view of this node', async () => {
    await openView('libraries');
    await page.click(`.library[data-library="${workLibrary.name}"] input[role="switch"]`);
    await nodeC.waitForState(
      (s) => s.peers.some((p) => p.identity === identityA && p.libraries.some((l) => l.uuid === workLibrary.uuid)),
      STEP_TIMEOUT_MS,
      'C sees the Work library of A',
    );
    assert.ok((await nodeA.state()).libraries.find((l) => l.uuid === workLibrary.uuid)?.active);
  });

  test('the device name is saved, and the node’s error shows inline', async () => {
    await openView('settings');
    await page.fill('#device-name', '   ');
    await page.click('form:has(#device-name) button[type="submit"]');
    const error = await page.waitForSelector('#name-feedback[role="alert"]');
    assert.match((await error.textContent()) ?? '', /cannot be empty/);
    await page.fill('#device-name', 'Desk upstairs');
    await page.click('form:has(#device-name) button[type="submit"]');
    await page.waitForSelector('#name-feedback:has-text("Saved")');
    await nodeB.waitForState((s) => s.peers.some((p) => p.identity === identityA && p.name === 'Desk upstairs'), STEP_TIMEOUT_MS, 'B sees the new name');
  });

  /** Waits until `node` lists `identity` as verified (its link is up); returns the peer's list id. */
  const verifiedPeerId = async (node: NearbyProcess, identity: string): Promise<string> => {
    const { state } = await node.waitForState((s) => s.peers.some((p) => p.identity === identity && p.verified), STEP_TIMEOUT_MS, 'a verified link');
    return state.peers.find((p) => p.identity === identity && p.verified)!.id;
  };
  const sessionOf = async (node: NearbyProcess, identity: string, predicate: (p: PairingSessionState) => boolean, what: string) => {
    const { state } = await node.waitForState((s) => s.pairing.some((p) => p.peerIdentity === identity && predicate(p)), STEP_TIMEOUT_MS, what);
    return state.pairing.filter((p) => p.peerIdentity === identity && predicate(p)).at(-1)!;
  };
  /** The other node asks this one to pair, through its API. */
  const requestFrom = async (node: NearbyProcess) => {
    const r = await node.command<PairingSessionState>('startPairing', { peerId: await verifiedPeerId(node, identityA) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };

  test('pairing from the picker: the code shows beside it, the same as on the other device; both confirm, each is the other’s contact, marked so in the picker, the list and the details', async () => {
    const identityB = (await nodeB.state()).self.identity;
    await verifiedPeerId(nodeA, identityB);
    await openView('pair');
    await page.click('.picker-option:has-text("Living room NAS") input[name="pair-device"]');
    await page.click('.pair button.button-primary');
    const codeOnPage = (await (await page.waitForSelector('.pairing-panel .pairing-code')).textContent()) ?? '';
    assert.match(codeOnPage, /^\d{6}$/);
    const atB = await sessionOf(nodeB, identityA, (p) => p.code !== null, 'the request on B');
    assert.equal(atB.code, codeOnPage, 'both screens show the same code');
    assert.equal((await nodeB.command('confirmPairing', { sessionId: atB.id })).status, 200);
    await page.waitForSelector('.pairing-panel [role="status"]:has-text("Living room NAS confirmed")');
    await page.click('.pairing-panel button:has-text("Confirm")');
    await page.waitForSelector('.pairing-panel [data-stage="done"]');
    await nodeA.waitForState((s) => s.contacts.some((c) => c.identity === identityB), STEP_TIMEOUT_MS, 'B in A’s contacts');
    await nodeB.waitForState((s) => s.contacts.some((c) => c.identity === identityA), STEP_TIMEOUT_MS, 'A in B’s contacts');
    // Paired: the picker lets go of the device (Pair is off) and its tile is marked as a contact, first.
    assert.equal(await page.locator('input[name="pair-device"]:checked').count(), 0, 'no device chosen after pairing');
    assert.ok(await page.isDisabled('.pair button.button-primary'), 'Pair is off');
    const tile = await page.waitForSelector('.picker-option[data-standing="contact"]:has-text("Living room NAS")');
    assert.equal(await tile.evaluate((el) => el.querySelector('.badge-contact')?.textContent), 'Contact');
    assert.equal(await page.getAttribute('.picker-option >> nth=0', 'data-standing'), 'contact', 'the contact’s tile comes first');
    await page.click('.pairing-panel button:has-text("Close")');
    await page.waitForSelector('.pairing-panel', { state: 'detached' });
    // The list marks it too, and its details say it is a contact instead of offering Pair again.
    const fingerprintB = (await nodeA.state()).peers.find((p) => p.identity === identityB)?.contact?.fingerprint;
    assert.ok(fingerprintB, 'the node marks B as a contact');
    await openView('devices');
    await page.click('[role="option"][data-standing="contact"]:has-text("Living room NAS")');
    await page.waitForSelector('#details-title:has-text("Living room NAS")');
    assert.equal(await page.textContent('[role="option"][data-standing="contact"] .badge-contact'), 'Contact');
    assert.equal(await page.textContent('.details .contact-note'), `Your contact Living room NAS, paired with this device; fingerprint ${fingerprintB}.`);
    assert.equal(await page.locator('.details button:has-text("Pair with this device")').count(), 0, 'no Pair for a contact');

    // The contact is listed in Settings, and removed only after a confirmation.
    await openView('settings');
    const item = `.contact[data-identity="${identityB}"]`;
    assert.match((await page.textContent(item)) ?? '', /Living room NAS/);
    await page.click(`${item} button:has-text("Remove")`);
    await page.waitForSelector('dialog[open]:has-text("Remove Living room NAS?")');
    await page.click('dialog[open] button:has-text("Cancel")');
    assert.equal((await nodeA.state()).contacts.length, 1, 'Cancel keeps it');
    await page.click(`${item} button:has-text("Remove")`);
    await page.click('dialog[open] button.button-danger');
    await page.waitForSelector(item, { state: 'detached' });
    assert.deepEqual((await nodeA.state()).contacts, []);
  });

  test('an incoming request opens a dialog that holds the focus and shows the code; Reject tells the other device and closes the dialog in one step', async () => {
    await openView('devices');
    await requestFrom(nodeC);
    const dialog = await page.waitForSelector('dialog.pairing-dialog[open]');
    assert.match((await dialog.textContent()) ?? '', /Build box wants to pair/);
    const code = (await (await page.waitForSelector('dialog.pairing-dialog .pairing-code')).textContent()) ?? '';
    const atC = await sessionOf(nodeC, identityA, (p) => p.code !== null, 'the code on C');
    assert.equal(code, atC.code);
    assert.ok(await page.evaluate(() => document.querySelector('dialog.pairing-dialog')?.contains(document.activeElement) ?? false), 'the focus is in the dialog');
    assert.equal(await page.getAttribute('dialog.pairing-dialog', 'aria-labelledby') !== null, true);
    await page.click('dialog.pairing-dialog button:has-text("Reject")');
    await page.waitForSelector('dialog.pairing-dialog[open]', { state: 'detached' });
    await sessionOf(nodeC, identityA, (p) => p.stage === 'rejected', 'C learns of the reject');
    assert.equal(await page.locator('dialog[open]').count(), 0, 'no Close left to press');
    assert.deepEqual([(await nodeA.state()).contacts, (await nodeC.state()).contacts], [[], []]);
  });

  test('pairing with a device without a verified link: the node’s reason shows inline', async () => {
    // An advertisement nobody can prove: listed, never verified.
    const claimed = 'Q'.repeat(42) + 'A';
    await sendMdns(lan.hosts[2]!, [{ kind: 'service', instance: claimed, hostname: 'nobody.local', port: 9, txt: ['name=Nobody here', 'os=linux'] }]);
    await nodeA.waitForState((s) => s.peers.some((p) => p.identity === claimed), STEP_TIMEOUT_MS, 'the unverified device listed');
    await openView('pair');
    await page.click('.picker-option:has-text("Nobody here") input[name="pair-device"]');
    await page.click('.pair button.button-primary');
    const error = await page.waitForSelector('#pair-feedback[role="alert"]');
    assert.match((await error.textContent()) ?? '', /Nobody here is not connected: a verified link is needed to pair/);
  });

  test('accessibility (axe) of the list, details, settings and pairing, light and dark; screenshots', async () => {
    const problems: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const views: Array<[string, () => Promise<void>]> = [
        ['list', async () => {
          await openView('devices');
          await page.focus('[role="listbox"]');
          await page.keyboard.press('Escape');
          await page.waitForSelector('.details-hint');
        }],
        ['details', async () => {
          await openView('devices');
          await page.click('[role="option"] >> text=Living room NAS');
          await page.waitForSelector('#details-title');
        }],
        ['settings', async () => {
          await openView('settings');
          await page.fill('#manual-address', 'host:');
          await page.click('form:has(#manual-address) button[type="submit"]');
          await page.waitForSelector('#manual-feedback[role="alert"]');
        }],
        ['pairing', async () => {
          await openView('pair');
          if ((await page.$('.pairing-panel')) === null) {
            await page.click('.picker-option:has-text("Living room NAS") input[name="pair-device"]');
            await page.click('.pair button.button-primary');
          }
          await page.waitForSelector('.pairing-panel .pairing-code');
        }],
        ['pairing request', async () => {
          // With the dialog test, C asks A three times within a minute: the most A accepts from one peer.
          await requestFrom(nodeC);
          await page.waitForSelector('dialog.pairing-dialog .pairing-code');
        }],
      ];
      for (const [name, show] of views) {
        await show();
        await page.mouse.move(0, 0);
        await saveScreenshot(page, `${name}-${scheme}`);
        for (const v of await seriousA11yViolations(page)) problems.push(`${name} (${scheme}): ${v.impact} ${v.id}: ${v.help} at ${v.nodes.join(' ')}`);
        if (name === 'pairing request') {
          await page.click('dialog.pairing-dialog button:has-text("Reject")');
          await page.waitForSelector('dialog.pairing-dialog[open]', { state: 'detached' });
        }
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(problems, []);
  });

  test('the mode chosen in the UI survives a restart of serve, and the page reconnects by itself', async () => {
    await openView('settings');
    await page.click('input[name="discovery-mode"][value="disabled"]');
    await peerSeesA(nodeB, false, 'A gone from B');
    assert.deepEqual(await nodeA.stop('SIGTERM'), { code: 0, signal: null });
    await page.waitForSelector('.banner-error[role="alert"]', { timeout: STEP_TIMEOUT_MS });
    nodeA = await startA(nodeA.dataDir);
    assert.equal((await nodeA.state()).mode, 'disabled', 'the node restarted in Disabled');
    // Reconnected without a reload: the banner goes and commands work again.
    await page.waitForSelector('.banner-error', { state: 'detached', timeout: STEP_TIMEOUT_MS });
    assert.ok(await page.isChecked('input[name="discovery-mode"][value="disabled"]'));
    await openView('devices');
    await page.waitForSelector('h2:has-text("Discovery is off")');
    await page.reload();
    await page.waitForSelector('h2:has-text("Discovery is off")');
    await page.click('button:has-text("Turn on for Everyone")');
    await peerSeesA(nodeB, true, 'A back on B after restart');
  });
});
