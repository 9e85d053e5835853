// Issue 11, points 3 and 6, in the page: the built UI (served by `sd-nearby serve --ui`, Disabled,
// in a namespace) on a fake node holding a fixture state (tests/e2e/fakeNodePage.js): a contact
// "Bob", a stranger also named "Bob", another device, and three pairing requests at once.
// - One request at a time: one dialog, saying how many more wait; the next opens once this one is
//   answered and closed.
// - The contact is marked as a contact with its fingerprint in the list, the details and the
//   picker; the stranger is flagged in its row, its details and its pairing dialog.
// Screenshots in light, dark and a narrow window go to test-results/screenshots/.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { encodeRemoteIdentity, identityFingerprint } from '../../src-shared/identity.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import type { Peer } from '../../src-shared/peer.js';
import { browserSkipReason, openFakeNodeUi, saveScreenshot, saveScreenshotsLightDarkNarrow, seriousA11yViolations, type FakeNodeUi } from '../support/browser.js';
import { emptyNodeState, peerFixture } from '../support/nodeStateFixture.js';

const skip = browserSkipReason();

function newIdentity(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return encodeRemoteIdentity(der.subarray(der.length - 32));
}

const now = new Date().toISOString();
const idBob = newIdentity();
const idStranger = newIdentity();
const idIpad = newIdentity();
const bobMark = { name: 'Bob', fingerprint: identityFingerprint(idBob)! };

function peer(identity: string, name: string, extra: Partial<Peer> = {}): Peer {
  return peerFixture(identity, name, { operatingSystem: 'macos', deviceModel: 'MacBook Pro', addresses: ['10.0.0.7'], firstSeen: now, lastSeen: now, ...extra });
}

function request(id: string, identity: string, peerName: string, startedMinutesAgo: number, extra: Partial<PairingSessionState> = {}): PairingSessionState {
  const started = Date.now() - startedMinutesAgo * 60_000;
  return { id, peerIdentity: identity, peerName, direction: 'incoming', stage: 'confirm-code', code: '480213', peerConfirmed: false, reason: null, startedAt: new Date(started).toISOString(), expiresAt: new Date(started + 60_000).toISOString(), ...extra };
}

const fixture = emptyNodeState({
  self: { identity: newIdentity(), name: 'Desk' },
  peers: [
    peer(idBob, 'Bob', { contact: bobMark }),
    peer(idStranger, 'Bob', { lookalikeOf: bobMark, addresses: ['10.0.0.66'], source: 'link' }),
    peer(idIpad, 'Kitchen iPad', { operatingSystem: 'ios', deviceModel: 'iPad' }),
  ],
  contacts: [{ identity: idBob, name: 'Bob', addedAt: now }],
  pairing: [
    request('s-stranger', idStranger, 'Bob', 0.3, { lookalikeOf: bobMark }),
    request('s-ipad', idIpad, 'Kitchen iPad', 0.2),
    request('s-bob', idBob, 'Bob', 0.1, { contact: bobMark }),
  ],
});

describe('web UI: contacts, lookalikes and one pairing dialog at a time', { skip }, () => {
  let ui: FakeNodeUi | undefined;
  let page: Page;

  const dialogTitle = () => page.textContent('dialog.pairing-dialog[open] h2');
  const openDialogs = () => page.locator('dialog[open]').count();

  before(async () => {
    ui = await openFakeNodeUi([`window.__fakeNodeState = ${JSON.stringify(fixture)};`], 'dialog.pairing-dialog[open]');
    page = ui.page;
  });

  after(async () => {
    await ui?.close();
  });

  test('three requests at once: one dialog, the stranger flagged, "2 more requests are waiting"; each next one after the last is answered', async () => {
    assert.equal(await openDialogs(), 1);
    assert.equal(await dialogTitle(), 'A device calling itself “Bob” wants to pair');
    const warning = await page.textContent('dialog.pairing-dialog[open] .lookalike-warning');
    assert.match(warning ?? '', /^Not your contact Bob: a different device using the same name\. Your contact’s fingerprint is .+, this device’s is .+\.$/);
    assert.ok(warning?.includes(bobMark.fingerprint) && warning.includes(identityFingerprint(idStranger)!), warning ?? '');
    assert.equal(await page.textContent('dialog.pairing-dialog[open] .pairing-queue'), '2 more requests are waiting: the next one shows once you answer or close this one.');
    // Reject comes first and has the focus: Enter does not pair with a stranger by mistake.
    assert.deepEqual(await page.$$eval('dialog.pairing-dialog[open] .pairing-actions button', (els) => els.map((b) => b.textContent)), ['Reject', 'Pair anyway: the codes match']);
    await page.waitForFunction(() => document.activeElement?.textContent === 'Reject');
    await saveScreenshotsLightDarkNarrow(page, 'lookalike-request', { width: 390, height: 760 });

    // Reject answers and closes in one step: the next request shows, no Close in between.
    await page.click('dialog.pairing-dialog[open] button:has-text("Reject")');
    await page.waitForFunction(() => document.querySelector('dialog.pairing-dialog[open] h2')?.textContent === 'Kitchen iPad wants to pair');
    assert.equal(await openDialogs(), 1);
    assert.equal(await page.textContent('dialog.pairing-dialog[open] .pairing-queue'), '1 more request is waiting: the next one shows once you answer or close this one.');
    assert.match((await page.textContent('dialog.pairing-dialog[open] .pairing-peer')) ?? '', new RegExp(`^Its fingerprint: ${identityFingerprint(idIpad)}$`));

    await page.click('dialog.pairing-dialog[open] button:has-text("Reject")');
    await page.waitForFunction(() => document.querySelector('dialog.pairing-dialog[open] h2')?.textContent === 'Bob wants to pair');
    assert.equal(await page.locator('dialog.pairing-dialog[open] .pairing-queue').count(), 0, 'nothing else waits');
    assert.equal(await page.locator('dialog.pairing-dialog[open] .lookalike-warning').count(), 0);
    assert.equal((await page.textContent('dialog.pairing-dialog[open] .pairing-peer'))?.trim(), `Contact Fingerprint ${bobMark.fingerprint}`);
    assert.equal(await page.textContent('dialog.pairing-dialog[open] .dialog-body > p:nth-of-type(2)'), 'Bob is your contact already: pairing again only renews it.');
    assert.deepEqual(await page.$$eval('dialog.pairing-dialog[open] .pairing-actions button', (els) => els.map((b) => b.textContent)), ['Confirm: the codes match', 'Reject']);
    await saveScreenshot(page, 'contact-request-light');
    await page.click('dialog.pairing-dialog[open] button:has-text("Reject")');
    await page.waitForSelector('dialog.pairing-dialog[open]', { state: 'detached' });
    assert.equal(await openDialogs(), 0);
  });

  test('the list: the contact first, under its stored name with badge and fingerprint, the stranger named alike flagged below it; details and picker say the same', async () => {
    const rows = await page.$$eval('[role="option"]', (els) =>
      els.map((el) => ({
        name: el.querySelector('.device-name')?.textContent,
        standing: el.getAttribute('data-standing'),
        badges: [...el.querySelectorAll('.badge')].map((b) => b.textContent),
        warning: el.querySelector('.lookalike-warning')?.textContent ?? null,
        fingerprint: el.querySelector('.fingerprint')?.textContent ?? null,
      })),
    );
    const fingerprintStranger = identityFingerprint(idStranger)!;
    assert.deepEqual(
      rows,
      [
        { name: 'Bob', standing: 'contact', badges: ['Contact', 'Verified'], warning: null, fingerprint: bobMark.fingerprint },
        { name: 'Bob', standing: 'lookalike', badges: ['Verified'], warning: 'Not your contact Bob: a different device using the same name', fingerprint: fingerprintStranger },
        { name: 'Kitchen iPad', standing: null, badges: ['Verified'], warning: null, fingerprint: null },
      ],
    );
    await page.click(`[data-peer-id="${idStranger}"]`);
    await page.waitForSelector('.details .lookalike-warning');
    assert.match((await page.textContent('.details .lookalike-warning')) ?? '', /^Not your contact Bob: a different device using the same name\./);
    assert.equal(await page.locator('.details button:has-text("Pair with this device")').count(), 1, 'a stranger can be paired with, warned');
    await saveScreenshot(page, 'lookalike-details-light');
    for (const scheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `axe, ${scheme}`);
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    await saveScreenshot(page, 'lookalike-details-dark');
    await page.click(`[data-peer-id="${idBob}"]`);
    await page.waitForSelector('.details .contact-note');
    assert.equal(await page.textContent('.details .contact-note'), `Your contact Bob, paired with this device; fingerprint ${bobMark.fingerprint}.`);
    assert.equal(await page.locator('.details button:has-text("Pair with this device")').count(), 0, 'a contact is not offered a new pairing');
    await saveScreenshot(page, 'contact-details-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await page.click('nav [data-view="pair"]');
    const options = await page.$$eval('.picker-option', (els) =>
      els.map((el) => ({
        name: el.querySelector('.picker-name')?.textContent,
        marks: [...el.querySelectorAll('.badge')].map((b) => b.textContent),
        fingerprint: el.querySelector('.fingerprint')?.textContent ?? null,
        warning: el.querySelector('.lookalike-warning')?.textContent ?? null,
      })),
    );
    assert.deepEqual(options, [
      { name: 'Bob', marks: ['Verified', 'Contact'], fingerprint: bobMark.fingerprint, warning: null },
      { name: 'Bob', marks: ['Verified'], fingerprint: fingerprintStranger, warning: 'Not your contact Bob: a different device using the same name' },
      { name: 'Kitchen iPad', marks: ['Verified'], fingerprint: null, warning: null },
    ]);
    await saveScreenshot(page, 'lookalike-picker-light');
  });

  test('a narrow window keeps the marks readable; Settings show this device’s fingerprint and each contact’s (screenshots)', async () => {
    await page.setViewportSize({ width: 390, height: 760 });
    await page.click('nav [data-view="devices"]');
    await page.waitForSelector('[data-standing="lookalike"] .lookalike-warning');
    await saveScreenshot(page, 'lookalike-list-narrow');
    const box = await page.locator('[data-standing="lookalike"] .lookalike-warning').boundingBox();
    const row = await page.locator('[data-standing="lookalike"]').boundingBox();
    assert.ok(box && row && box.x + box.width <= row.x + row.width + 1, `the warning fits its row: ${JSON.stringify({ box, row })}`);
    await page.click('nav [data-view="pair"]');
    await saveScreenshot(page, 'lookalike-picker-narrow');
    // Settings: this device's own fingerprint (what a paired device shows beside its name), and each contact's.
    await page.click('nav [data-view="settings"]');
    assert.equal(await page.textContent('.self-fingerprint .fingerprint'), identityFingerprint(fixture.self.identity));
    assert.equal(await page.textContent(`.contact[data-identity="${idBob}"] .fingerprint`), bobMark.fingerprint);
    await saveScreenshot(page, 'contacts-settings-narrow');
    await page.setViewportSize({ width: 1200, height: 800 });
  });
});
