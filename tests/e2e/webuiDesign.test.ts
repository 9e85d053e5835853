// Issue 12, items 9 and 10 and the picker: the built UI (served by `sd-nearby serve --ui`, Disabled,
// in a namespace) on a fake node holding a realistic state (tests/e2e/fakeNodePage.js): contacts
// and strangers, long names, IPv6 link-local addresses with long interface names, long host names,
// several systems and models, a model nobody knows. In a wide window, a dark one and one 420 px
// wide, the list, the details, the picker and the settings are laid out without anything sticking
// out of its box or breaking inside a word, and each is kept as a screenshot in
// test-results/screenshots/ (design-*).

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ManualPeerState } from '../../src-shared/contract.js';
import { encodeRemoteIdentity, identityFingerprint } from '../../src-shared/identity.js';
import type { Peer } from '../../src-shared/peer.js';
import { browserSkipReason, openFakeNodeUi, saveScreenshot, seriousA11yViolations, type FakeNodeUi } from '../support/browser.js';
import { emptyNodeState, peerFixture } from '../support/nodeStateFixture.js';

const skip = browserSkipReason();
const DESKTOP = { width: 1200, height: 820 };
const NARROW = { width: 420, height: 860 };

function newIdentity(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return encodeRemoteIdentity(der.subarray(der.length - 32));
}

const now = Date.now();
const photos = { uuid: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', name: 'Family photos' };
const LONG_IPV6 = 'fe80::1c2b:8a3c:4d5e:9f01%enp0s31f6';
const LONG_HOST = 'oscars-macbook-pro-16-inch-2023.local';

function peer(name: string, extra: Partial<Peer>): Peer {
  return peerFixture(newIdentity(), name, {
    addresses: ['192.168.1.40'],
    hostname: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.local`,
    interfaces: ['enp0s31f6'],
    firstSeen: new Date(now - 3_600_000).toISOString(),
    lastSeen: new Date(now - 4_000).toISOString(),
    ...extra,
  });
}

function contact(p: Peer): Peer {
  return { ...p, contact: { name: p.name, fingerprint: identityFingerprint(p.identity!)! } };
}

/** Each device with the words its row must show: its system, and its model when known. */
const devices: Array<{ peer: Peer; kind: string; icon: string }> = [
  {
    peer: contact(peer('Oscar’s MacBook Pro', {
      operatingSystem: 'macos', deviceModel: 'MacBook Pro', addresses: ['192.168.1.23', LONG_IPV6], hostname: LONG_HOST,
      libraries: [{ uuid: photos.uuid, identity: 'x' }], interfaces: ['enp0s31f6', 'wlp2s0'],
    })),
    kind: 'macOS · MacBook Pro', icon: 'laptop',
  },
  { peer: contact(peer('Maria’s iPhone', { operatingSystem: 'ios', deviceModel: 'iPhone', addresses: ['192.168.1.31', 'fe80::8a3c:11ff:fe22:3344%wlp2s0'] })), kind: 'iOS · iPhone', icon: 'phone' },
  {
    peer: peer('Living room NAS with the family archive and the old backups', { deviceModel: 'NAS', libraries: [{ uuid: photos.uuid, identity: 'x' }], addresses: ['192.168.1.10', 'fe80::2e0:4cff:fe68:1a2b%enp0s31f6'] }),
    kind: 'Linux · NAS', icon: 'nas',
  },
  { peer: peer('DESKTOP-7F3K2LQ', { operatingSystem: 'windows', deviceModel: 'Desktop', verified: false }), kind: 'Windows · Desktop', icon: 'tower' },
  { peer: peer('Pixel 8 Pro', { operatingSystem: 'android', deviceModel: 'Android Phone' }), kind: 'Android · Android Phone', icon: 'phone' },
  { peer: peer('build-runner-03', { deviceModel: null, lastSeen: new Date(now - 95_000).toISOString() }), kind: 'Linux', icon: 'generic' },
  // It announces the uuid of Family photos without being a member (issue 13): a claim.
  { peer: peer('Render node', { deviceModel: 'Other', libraries: [{ uuid: photos.uuid, identity: 'x' }] }), kind: 'Linux', icon: 'generic' },
  { peer: peer('Kitchen iPad', { operatingSystem: 'ios', deviceModel: 'iPad' }), kind: 'iOS · iPad', icon: 'tablet' },
  { peer: peer('Toaster', { operatingSystem: 'other', deviceModel: 'Toaster 3000', verified: false }), kind: 'Other system · Toaster 3000', icon: 'generic' },
];
const [oscar, maria, nas] = devices.map((d) => d.peer) as [Peer, Peer, Peer];

const manualPeers: ManualPeerState[] = [
  { address: `[${LONG_IPV6}]:7373`, status: 'online', reason: null, lastAttempt: new Date(now).toISOString(), name: 'Oscar’s MacBook Pro', identity: oscar.identity },
  { address: 'backup-server.home.arpa:7373', status: 'unreachable', reason: 'the name backup-server.home.arpa was not found', lastAttempt: new Date(now).toISOString(), name: null, identity: null },
];

const fixture = emptyNodeState({
  self: { identity: newIdentity(), name: 'Desk upstairs', deviceModel: 'Desktop' },
  libraries: [
    // Oscar's MacBook and the NAS are members (invited): their rows show it in common.
    { ...photos, active: true, createdAt: new Date(now).toISOString(), members: [oscar, nas].map((p) => ({ identity: p.identity!, name: p.name, since: new Date(now - 86_400_000).toISOString() })), invited: [] },
    { uuid: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', name: 'Work projects 2024 (shared with the studio)', active: false, createdAt: new Date(now).toISOString(), members: [], invited: [] },
  ],
  peers: devices.map((d) => d.peer),
  manualPeers,
  contacts: [oscar, maria].map((p) => ({ identity: p.identity!, name: p.contact!.name, addedAt: new Date(now - 86_400_000).toISOString() })),
  libraryInvites: [
    { id: 'invite-recipes-1', uuid: '5f0c1e2d-3b4a-4c5d-8e6f-7a8b9c0d1e2f', name: 'Recipes and the shopping lists of the whole family', from: { identity: maria.identity!, name: 'Maria’s iPhone' }, received: new Date(now - 300_000).toISOString() },
  ],
});
// Family photos: a member away (not listed now), and Maria's iPhone invited, no answer yet.
fixture.libraries[0]!.members.push({ identity: newIdentity(), name: 'Old laptop in the attic', since: new Date(now - 5 * 86_400_000).toISOString() });
fixture.libraries[0]!.invited.push({ identity: maria.identity!, name: 'Maria’s iPhone', at: new Date(now - 600_000).toISOString() });

/** In the page: every box of the main area that sticks out of its parent, lets its content out, or clips text without the whole of it in a title. */
function layoutProblems(): string[] {
  const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length > 0 ? `.${[...el.classList].join('.')}` : ''} “${(el.textContent ?? '').trim().slice(0, 40)}”`;
  const problems: string[] = [];
  const main = document.querySelector('#main')!;
  for (const el of [main, ...main.querySelectorAll('*')]) {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.display === 'none' || style.display === 'inline' || el.closest('.visually-hidden') !== null || (box.width === 0 && box.height === 0)) continue;
    const parent = el.parentElement;
    if (parent !== null && style.position !== 'absolute' && style.position !== 'fixed') {
      const outer = parent.getBoundingClientRect();
      if (box.left < outer.left - 1 || box.right > outer.right + 1) problems.push(`${describe(el)} sticks out of ${describe(parent)} (${Math.round(box.left)}–${Math.round(box.right)} in ${Math.round(outer.left)}–${Math.round(outer.right)})`);
    }
    const wider = el.scrollWidth > el.clientWidth + 1;
    const taller = el.scrollHeight > el.clientHeight + 1 && style.overflowY === 'hidden';
    if (!wider && !taller) continue;
    const titled = (el.closest('[title]')?.getAttribute('title') ?? '').includes((el.textContent ?? '').trim());
    // An ellipsis on one line (text-overflow) or after a few (line-clamp) says that there is more.
    const ellipsized = style.textOverflow === 'ellipsis' || (style.webkitLineClamp !== 'none' && style.webkitLineClamp !== '');
    if (wider && style.overflowX === 'visible') problems.push(`${describe(el)} lets its content out (${el.scrollWidth} px in ${el.clientWidth})`);
    else if (wider && !ellipsized) problems.push(`${describe(el)} clips or scrolls sideways (${el.scrollWidth} px in ${el.clientWidth})`);
    else if (!titled) problems.push(`${describe(el)} cuts its text without the whole of it in a title`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px in ${window.innerWidth})`);
  return problems;
}

/** In the page: where an address or host name wraps, and each wrap that is not between two of its parts. */
function addressWraps(): { wrapped: number; inside: string[] } {
  let wrapped = 0;
  const inside: string[] = [];
  for (const el of document.querySelectorAll('#main .breakable')) {
    const text = el.textContent ?? '';
    const chars: Array<[Text, number]> = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode() as Text | null; n !== null; n = walker.nextNode() as Text | null) for (let i = 0; i < n.data.length; i++) chars.push([n, i]);
    let lineTop: number | null = null;
    chars.forEach(([node, offset], k) => {
      const range = document.createRange();
      range.setStart(node, offset);
      range.setEnd(node, offset + 1);
      const top = range.getClientRects()[0]?.top;
      if (top === undefined) return;
      if (lineTop !== null && top > lineTop + 2) {
        wrapped++;
        if (!/[:.-]/.test(text[k - 1] ?? '') && text[k] !== '%') inside.push(`${text.slice(0, k)} | ${text.slice(k)}`);
      }
      lineTop = top;
    });
  }
  return { wrapped, inside };
}

describe('web UI design: list, details, picker and settings with realistic data, wide, dark and 420 px', { skip }, () => {
  let ui: FakeNodeUi | undefined;
  let page: Page;

  const openView = async (view: 'devices' | 'pair' | 'libraries' | 'settings') => {
    await page.click(`nav [data-view="${view}"]`);
    await page.waitForSelector(`nav [data-view="${view}"][aria-current="page"]`);
  };
  /** Saves the screenshot in light and dark (and checks both with axe), then checks the layout. */
  const shoot = async (name: string) => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.mouse.move(0, 0);
      await saveScreenshot(page, `design-${name}-${scheme}`);
      assert.deepEqual(await seriousA11yViolations(page), [], `axe: ${name}, ${scheme}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(await page.evaluate(layoutProblems), [], `layout of ${name}`);
  };
  const columnsOf = (selector: string) =>
    page.$$eval(selector, (els) => new Set(els.filter((el) => el.getBoundingClientRect().top === els[0]!.getBoundingClientRect().top).map((el) => el.getBoundingClientRect().left)).size);

  before(async () => {
    // tsx names the helpers' inner functions with a `__name` call; the page needs it to run them.
    ui = await openFakeNodeUi(['window.__name = (fn) => fn;', `window.__fakeNodeState = ${JSON.stringify(fixture)};`], '[role="option"]', DESKTOP);
    page = ui.page;
  });

  after(async () => {
    await ui?.close();
  });

  test('list rows say the system and model in words beside a labelled icon; the unknown model is a neutral device; libraries only where shared', async () => {
    const rows = await page.$$eval('[role="option"]', (els) =>
      els.map((el) => ({
        name: el.querySelector('.device-name')?.textContent,
        kind: el.querySelector('.device-kind-words')?.textContent,
        os: el.querySelector('.device-kind .icon-os')?.getAttribute('data-icon'),
        osIconPx: Math.round(el.querySelector('.device-kind .icon-os')?.getBoundingClientRect().width ?? 0),
        icon: el.querySelector('.device-avatar .icon-device')?.getAttribute('data-icon'),
        iconLabel: el.querySelector('.device-avatar .icon-device')?.getAttribute('aria-label'),
        libraries: el.querySelector('.device-libraries')?.textContent ?? null,
        claim: el.querySelector('.device-claim')?.textContent ?? null,
        text: el.textContent,
      })),
    );
    assert.equal(rows.length, devices.length);
    for (const { peer: p, kind, icon } of devices) {
      const row = rows.find((r) => r.name === p.name);
      assert.ok(row, `a row for ${p.name}`);
      assert.equal(row.kind, kind, `${p.name}: its system and model in words`);
      assert.equal(row.os, p.operatingSystem);
      assert.ok(row.osIconPx >= 16, `${p.name}: the system's icon is ${row.osIconPx} px`);
      assert.equal(row.icon, icon, `${p.name}: the model's icon`);
      assert.equal(row.iconLabel, icon === 'generic' && p.deviceModel !== 'Toaster 3000' ? 'Other device' : p.deviceModel);
      const member = p === oscar || p === nas;
      assert.equal(row.libraries, member ? 'Libraries in common: Family photos' : null, `${p.name}: libraries in common only with members`);
      assert.equal(row.claim, p.libraries.length > 0 && !member ? 'Announces “Family photos” but is not a member you know: not trusted for it' : null, `${p.name}: a claim only without membership`);
      assert.doesNotMatch(row.text ?? '', /No libraries in common|Unknown model/);
    }
    const avatar = await page.locator('[role="option"] .device-avatar').first().boundingBox();
    assert.ok(avatar !== null && avatar.width >= 40, `the model's icon tile is ${avatar?.width} px wide`);
  });

  test('the list and a contact’s details, wide and 420 px: nothing sticks out, addresses and host names wrap only between their parts', async () => {
    await page.setViewportSize(DESKTOP);
    await shoot('list');
    await page.click(`[data-peer-id="${oscar.id}"]`);
    await page.waitForSelector('#details-title');
    assert.equal(await page.locator('.details button:has-text("Pair with this device")').count(), 0, 'a contact is not offered Pair');
    assert.match((await page.textContent('.details .contact-note')) ?? '', new RegExp(`^Your contact Oscar’s MacBook Pro, paired with this device; fingerprint ${oscar.contact!.fingerprint}\\.`));
    assert.equal(await page.textContent('.details .details-kind .device-kind-words'), 'macOS · MacBook Pro');
    await shoot('details');
    const wide = await page.evaluate(addressWraps);
    assert.deepEqual(wide.inside, [], 'wide: no address or host name breaks inside a part');

    await page.setViewportSize(NARROW);
    await shoot('details-narrow');
    const narrow = await page.evaluate(addressWraps);
    assert.ok(narrow.wrapped > 0, 'at 420 px the long IPv6 address or host name wraps (so the check above means something)');
    assert.deepEqual(narrow.inside, [], '420 px: no address or host name breaks inside a part');
    await page.focus('[role="listbox"]');
    await page.keyboard.press('Escape');
    await shoot('list-narrow');
    await page.setViewportSize(DESKTOP);

    await page.click(`[data-peer-id="${nas.id}"]`);
    await page.waitForSelector('.details button:has-text("Pair with this device")');
  });

  test('the picker: tiles in a grid, contacts first, each with its model’s icon, system, name and marks; several columns wide, one or two at 420 px', async () => {
    await page.setViewportSize(DESKTOP);
    await openView('pair');
    const tiles = await page.$$eval('.picker-option', (els) =>
      els.map((el) => ({
        name: el.querySelector('.picker-name')?.textContent,
        standing: el.getAttribute('data-standing'),
        kind: el.querySelector('.device-kind-words')?.textContent,
        marks: [...el.querySelectorAll('.picker-marks .badge')].map((b) => b.textContent),
        iconPx: Math.round(el.querySelector('.device-avatar .icon-device')?.getBoundingClientRect().width ?? 0),
      })),
    );
    assert.deepEqual(
      tiles.map((t) => t.standing),
      ['contact', 'contact', ...devices.slice(2).map(() => null)],
      'the contacts come first',
    );
    for (const t of tiles) {
      const device = devices.find((d) => d.peer.name === t.name)!;
      assert.equal(t.kind, device.kind, `${t.name}: system and model in words`);
      assert.deepEqual(t.marks, [device.peer.verified ? 'Verified' : 'Not verified', ...(device.peer.contact ? ['Contact'] : [])], `${t.name}: its marks`);
      assert.ok(t.iconPx >= 40, `${t.name}: a large model icon (${t.iconPx} px)`);
    }
    assert.deepEqual(await page.$$eval('.picker-group-title', (els) => els.map((e) => e.textContent)), ['Your contacts', 'Other devices']);
    assert.ok((await columnsOf('.picker-grid:last-of-type .picker-option')) >= 3, 'several columns of tiles in a wide window');
    await page.click(`.picker-option[data-peer-id="${nas.id}"]`);
    assert.ok(await page.isChecked(`.picker-option[data-peer-id="${nas.id}"] input[name="pair-device"]`), 'a click anywhere on the tile chooses it');
    await shoot('picker');
    await page.setViewportSize(NARROW);
    const narrowColumns = await columnsOf('.picker-grid:last-of-type .picker-option');
    assert.ok(narrowColumns >= 1 && narrowColumns <= 2, `one or two columns at 420 px, not ${narrowColumns}`);
    await shoot('picker-narrow');
    await page.setViewportSize(DESKTOP);
    // A contact chosen: Pair says what it does.
    await page.click(`.picker-option[data-peer-id="${maria.id}"]`);
    assert.equal(await page.textContent('.pair button.button-primary'), 'Pair again');
    assert.match((await page.textContent('.pair .row')) ?? '', /Maria’s iPhone is your contact already: pairing again only renews it\./);
  });

  test('settings use the width of a wide window in columns, one column at 420 px', async () => {
    await page.setViewportSize(DESKTOP);
    await openView('settings');
    const cards = '.settings > .card';
    const lefts = await page.$$eval(cards, (els) => new Set(els.map((el) => Math.round(el.getBoundingClientRect().left))).size);
    assert.ok(lefts >= 2, 'the cards stand in two columns in a wide window');
    const used = await page.evaluate(() => {
      const main = document.querySelector('#main')!.getBoundingClientRect();
      const right = Math.max(...[...document.querySelectorAll('.settings > .card')].map((el) => el.getBoundingClientRect().right));
      return (right - main.left) / main.width;
    });
    assert.ok(used > 0.9, `the settings fill the window's width (${Math.round(used * 100)} %)`);
    await shoot('settings');
    await page.setViewportSize(NARROW);
    assert.equal(await page.$$eval(cards, (els) => new Set(els.map((el) => Math.round(el.getBoundingClientRect().left))).size), 1);
    await shoot('settings-narrow');
    await page.setViewportSize(DESKTOP);
  });

  test('libraries: the invitation first, then each library with this device, its members nearby (verified or not) or away, and the invitations waiting; wide and 420 px', async () => {
    await page.setViewportSize(DESKTOP);
    await openView('libraries');
    assert.equal(await page.textContent('nav [data-view="libraries"] .nav-count'), '1', 'the tab counts the invitation waiting');
    assert.match((await page.textContent('.invitation')) ?? '', /^Maria’s iPhone invites this device to the library “Recipes and the shopping lists of the whole family”/);
    const members = await page.$$eval('.library[data-library="Family photos"] .library-member', (els) => els.map((el) => [el.querySelector('.library-member-name')?.textContent, el.getAttribute('data-presence'), el.lastElementChild?.textContent]));
    assert.deepEqual(members, [
      ['Desk upstairs', null, 'This device'],
      ['Oscar’s MacBook Pro', 'verified', 'Nearby · verified'],
      ['Living room NAS with the family archive and the old backups', 'verified', 'Nearby · verified'],
      ['Old laptop in the attic', 'away', 'Not nearby'],
      ['Maria’s iPhone', 'invited', 'Invited · no answer yet'],
    ]);
    assert.equal(await page.textContent('.library[data-library="Family photos"] .button-danger-quiet'), 'Leave Family photos', 'a shared library is left, not deleted');
    assert.deepEqual(await page.$$eval('.library[data-library^="Work projects"] .library-invite option', (els) => els.map((e) => e.textContent)), ['Oscar’s MacBook Pro', 'Maria’s iPhone'], 'the contacts nearby can be invited');
    await shoot('libraries');
    await page.setViewportSize(NARROW);
    await shoot('libraries-narrow');
    await page.setViewportSize(DESKTOP);
  });
});
