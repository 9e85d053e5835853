// Issue 14 in the page: the built UI (served by `sd-nearby serve --ui`, Disabled, in a namespace)
// on a fake node holding a fixture state (tests/e2e/fakeNodePage.js): one of My devices, a device
// of another verified account, a device whose credentials failed (unknown issuer) and one without
// an account; a pairing request from the verified account. "Name · email" with its mark in the
// list, the details, the picker and the pairing dialog; the reason in the details where the
// credentials failed. Screenshots in light, dark and a narrow window go to test-results/screenshots/.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import type { Peer } from '../../src-shared/peer.js';
import { browserSkipReason, openFakeNodeUi, saveScreenshot, seriousA11yViolations, type FakeNodeUi } from '../support/browser.js';
import { emptyNodeState, peerFixture } from '../support/nodeStateFixture.js';

const skip = browserSkipReason();

function newIdentity(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return encodeRemoteIdentity(der.subarray(der.length - 32));
}

const now = new Date().toISOString();
const idDesktop = newIdentity();
const idBea = newIdentity();
const idCarl = newIdentity();
const idPrinter = newIdentity();
const OSCAR = { name: 'Oscar Beaumont', email: 'oscar@example.com', verified: true as const };
const BEA = { name: 'Bea Lindqvist', email: 'bea.lindqvist@example.com', verified: true as const };
const CARL_PROBLEM = 'Its account was signed by an issuer this device does not trust (Qm9iIHRo…).';

function peer(identity: string, name: string, extra: Partial<Peer> = {}): Peer {
  return peerFixture(identity, name, { operatingSystem: 'macos', deviceModel: 'MacBook Pro', addresses: ['10.0.0.7'], firstSeen: now, lastSeen: now, account: null, ...extra });
}

const request: PairingSessionState = {
  id: 's-bea',
  peerIdentity: idBea,
  peerName: 'Bea phone',
  direction: 'incoming',
  stage: 'confirm-code',
  code: '318604',
  peerConfirmed: false,
  reason: null,
  startedAt: now,
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  account: BEA,
};

const fixture = emptyNodeState({
  self: { identity: newIdentity(), name: 'Oscar laptop', account: OSCAR },
  peers: [
    peer(idDesktop, 'Oscar desktop', { deviceModel: 'iMac', account: OSCAR, myDevice: true }),
    peer(idBea, 'Bea phone', { operatingSystem: 'ios', deviceModel: 'iPhone', account: BEA }),
    peer(idCarl, 'Carl NAS', { operatingSystem: 'linux', deviceModel: 'NAS', accountProblem: CARL_PROBLEM }),
    peer(idPrinter, 'Hall printer', { operatingSystem: 'other', deviceModel: null }),
  ],
  pairing: [request],
});

describe('web UI: verified accounts and My devices', { skip }, () => {
  let ui: FakeNodeUi | undefined;
  let page: Page;

  before(async () => {
    ui = await openFakeNodeUi([`window.__fakeNodeState = ${JSON.stringify(fixture)};`], 'dialog.pairing-dialog[open]');
    page = ui.page;
  });

  after(async () => {
    await ui?.close();
  });

  test('the pairing dialog names the account the other device proved', async () => {
    assert.equal(await page.textContent('dialog.pairing-dialog[open] h2'), 'Bea phone wants to pair');
    assert.equal((await page.textContent('dialog.pairing-dialog[open] .pairing-account'))?.trim(), 'Verified account: Bea Lindqvist · bea.lindqvist@example.com');
    await saveScreenshot(page, 'account-request-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await saveScreenshot(page, 'account-request-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.click('dialog.pairing-dialog[open] button:has-text("Reject")');
    await page.waitForSelector('dialog.pairing-dialog[open]', { state: 'detached' });
  });

  test('the list and the details: "Name · email" with its mark, My device, and the reason where credentials failed', async () => {
    const rows = await page.$$eval('[role="option"]', (els) =>
      els.map((el) => ({
        name: el.querySelector('.device-name')?.textContent,
        standing: el.getAttribute('data-standing'),
        account: el.querySelector('.account-line')?.textContent ?? null,
        seal: el.querySelector('.account-line svg') !== null,
        badges: [...el.querySelectorAll('.badge')].map((b) => b.textContent),
      })),
    );
    assert.deepEqual(rows, [
      { name: 'Bea phone', standing: null, account: 'Verified account: Bea Lindqvist · bea.lindqvist@example.com', seal: true, badges: ['Verified'] },
      { name: 'Carl NAS', standing: null, account: null, seal: false, badges: ['Verified'] },
      { name: 'Hall printer', standing: null, account: null, seal: false, badges: ['Verified'] },
      { name: 'Oscar desktop', standing: 'my-device', account: 'Verified account: Oscar Beaumont · oscar@example.com', seal: true, badges: ['My device', 'Verified'] },
    ]);
    await page.click(`[data-peer-id="${idDesktop}"]`);
    await page.waitForSelector('.details .details-account');
    assert.equal(await page.textContent('.details .details-account'), 'Verified account: Oscar Beaumont · oscar@example.com');
    assert.deepEqual(await page.$$eval('.details .badges .badge', (els) => els.map((b) => b.textContent)), ['Verified', 'My device']);
    assert.equal(await page.textContent('.details .my-device-note'), 'One of your devices: it proved your account, so it is trusted like a contact without a pairing code.');
    assert.equal(await page.locator('.details button:has-text("Pair with this device")').count(), 0, 'no code needed');
    await saveScreenshot(page, 'account-details-light');
    await page.click(`[data-peer-id="${idCarl}"]`);
    await page.waitForSelector('.details .account-problem');
    assert.equal(await page.textContent('.details .account-problem'), `Not shown. ${CARL_PROBLEM}`);
    assert.equal(await page.locator('.details .details-account').count(), 0);
    await page.click(`[data-peer-id="${idPrinter}"]`);
    await page.waitForFunction(() => document.querySelector('.details-title')?.textContent === 'Hall printer');
    assert.match((await page.textContent('.details .facts')) ?? '', /AccountNone shown/);
    await page.click(`[data-peer-id="${idBea}"]`);
    for (const scheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.deepEqual(await seriousA11yViolations(page), [], `axe, ${scheme}`);
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    await saveScreenshot(page, 'account-details-dark');
    await page.click(`[data-peer-id="${idCarl}"]`);
    await saveScreenshot(page, 'account-problem-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('the picker: My devices first, each tile with its account; a narrow window keeps them readable', async () => {
    await page.click('nav [data-view="pair"]');
    assert.deepEqual(await page.$$eval('.picker-group-title', (els) => els.map((e) => e.textContent)), ['My devices', 'Other devices']);
    const tiles = await page.$$eval('.picker-option', (els) => els.map((el) => ({ name: el.querySelector('.picker-name')?.textContent, account: el.querySelector('.account-line')?.textContent ?? null })));
    assert.deepEqual(tiles, [
      { name: 'Oscar desktop', account: 'Verified account: Oscar Beaumont · oscar@example.com' },
      { name: 'Bea phone', account: 'Verified account: Bea Lindqvist · bea.lindqvist@example.com' },
      { name: 'Carl NAS', account: null },
      { name: 'Hall printer', account: null },
    ]);
    await saveScreenshot(page, 'account-picker-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await saveScreenshot(page, 'account-picker-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 420, height: 800 });
    await saveScreenshot(page, 'account-picker-narrow');
    await page.click('nav [data-view="devices"]');
    await page.waitForSelector(`[data-peer-id="${idBea}"] .account-line`);
    await saveScreenshot(page, 'account-list-narrow');
    // The email is never cut: the whole of it is in the row, wrapped if need be.
    assert.equal(await page.locator(`[data-peer-id="${idBea}"] .account-email`).evaluate((el) => el.scrollWidth <= el.clientWidth + 1), true);
    const line = await page.locator(`[data-peer-id="${idBea}"] .account-line`).boundingBox();
    const row = await page.locator(`[data-peer-id="${idBea}"]`).boundingBox();
    assert.ok(line && row && line.x + line.width <= row.x + row.width + 1, `the account fits its row: ${JSON.stringify({ line, row })}`);
    // Settings say which account this device itself is signed into.
    await page.click('nav [data-view="settings"]');
    assert.equal(await page.textContent('.self-account .account-line'), 'Verified account: Oscar Beaumont · oscar@example.com');
    await saveScreenshot(page, 'account-settings-narrow');
    await page.setViewportSize({ width: 1200, height: 800 });
  });
});
