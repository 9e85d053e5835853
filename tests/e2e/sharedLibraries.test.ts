// Issue 13, as a user does it: A and B pair; in A's web UI (Chromium) the user invites B to
// "Photos"; B accepts. Within 1 s a third host's `browse --json` lists A and B with the same
// library uuid; A's state shows B with Photos in common and as a member, and the UI shows it. B
// leaves: within 1 s the third host sees B without it. A device that is no longer B's contact
// invites B: refused, and never shown on B.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { LibraryShareResult, NodeState } from '../../src-shared/contract.js';
import type { Library } from '../../src-shared/peer.js';
import { browserSkipReason, launchBrowserIn, saveScreenshot } from '../support/browser.js';
import { Lan, type Host } from '../support/lan.js';
import { browseJson, pairNodes, startNode, type NearbyProcess } from '../support/nearby.js';

const skip = browserSkipReason();
const UI_ADDRESS = '127.0.0.1:7380';
const STEP_TIMEOUT_MS = 15_000;
/** The bound: what the third host sees follows within this. */
const WITHIN_MS = 1000;

describe('shared libraries: invite a contact, join, leave', { skip, timeout: 120_000 }, () => {
  let lan: Lan;
  let thirdHost: Host;
  let a: NearbyProcess;
  let b: NearbyProcess;
  let stranger: NearbyProcess;
  let browser: Browser;
  let page: Page;
  let photos: Library;
  let idA: string;
  let idB: string;

  const libraryOf = (s: NodeState) => s.libraries.find((l) => l.uuid === photos.uuid);
  const announces = (peers: Array<{ identity: string | null; libraries: Array<{ uuid: string }> }>, identity: string) =>
    peers.find((p) => p.identity === identity)?.libraries.some((l) => l.uuid === photos.uuid) ?? null;

  before(async () => {
    lan = await Lan.create({ hosts: 4, ipv6Dad: false });
    thirdHost = lan.hosts[2]!;
    [a, b, stranger, browser] = await Promise.all([
      startNode(lan.hosts[0]!, { name: 'Laptop', libraries: ['Photos'], extraArgs: ['--ui', UI_ADDRESS] }),
      startNode(lan.hosts[1]!, { name: 'Desktop' }),
      startNode(lan.hosts[3]!, { name: 'Former friend', libraries: ['Holidays'] }),
      launchBrowserIn(lan.hosts[0]!),
    ]);
    [idA, idB] = [a.printedIdentity, b.printedIdentity];
    photos = (await a.state()).libraries[0]!;
    await pairNodes(a, b);
    await pairNodes(stranger, b);
    // B no longer counts the former friend as a contact; the former friend still counts B.
    assert.equal((await b.command('removeContact', { identity: stranger.printedIdentity })).status, 200);
    page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(a.printedUiUrl);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await Promise.allSettled([a, b, stranger].map((n) => n?.stop('SIGKILL')));
    await lan?.destroy();
  });

  test('A invites B from the UI; B accepts: the third host lists both with the library within 1 s; A shows B as a member, nearby and verified', async () => {
    await page.click('nav [data-view="libraries"]');
    const item = `.library[data-library="Photos"]`;
    await page.waitForSelector(`${item} .library-invite option:has-text("Desktop")`, { state: 'attached' });
    await page.selectOption(`${item} .library-invite select`, { label: 'Desktop' });
    await page.click(`${item} .library-invite button:has-text("Invite")`);
    await page.waitForSelector(`${item} .field-note:has-text("Invitation sent to Desktop")`);
    await page.waitForSelector(`${item} .library-member[data-presence="invited"]:has-text("Desktop")`);

    const { state: atB } = await b.waitForState((s) => s.libraryInvites.length === 1, 5000, 'the invitation listed on B');
    const invite = atB.libraryInvites[0]!;
    assert.deepEqual({ uuid: invite.uuid, name: invite.name, from: invite.from }, { uuid: photos.uuid, name: 'Photos', from: { identity: idA, name: 'Laptop' } });
    const accepted = await b.command<Library>('acceptLibraryInvite', { inviteId: invite.id });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.deepEqual([accepted.body.uuid, accepted.body.name, accepted.body.active], [photos.uuid, 'Photos', true]);

    // From the moment B accepted: a browse of 1 s on the third host, and A's state, each within 1 s.
    const [browsed, { state: atA, elapsedMs }] = await Promise.all([
      browseJson(thirdHost, WITHIN_MS / 1000),
      a.waitForState((s) => announces(s.peers, idB) === true && libraryOf(s)?.members.some((m) => m.identity === idB) === true, WITHIN_MS, 'B in common and a member on A'),
    ]);
    assert.equal(announces(browsed, idA), true, 'the third host lists A with Photos');
    assert.equal(announces(browsed, idB), true, 'the third host lists B with the same library uuid');
    process.stdout.write(`# A lists B with Photos in common and as a member ${elapsedMs} ms after B accepted\n`);
    assert.deepEqual(libraryOf(atA)!.invited, [], 'the invitation is answered');
    assert.deepEqual((await b.state()).libraries.find((l) => l.uuid === photos.uuid)?.members.map((m) => m.identity), [idA], 'B knows A as a member');

    // The UI: B in the library's members, nearby and verified; B's row has Photos in common.
    await page.waitForSelector(`${item} .library-member[data-member="${idB}"][data-presence="verified"]:has-text("Nearby · verified")`);
    await saveScreenshot(page, 'shared-library-members');
    await page.click('nav [data-view="devices"]');
    await page.waitForSelector(`[data-peer-id="${idB}"] .device-libraries:has-text("Libraries in common: Photos")`);
    await saveScreenshot(page, 'shared-library-row');
  });

  test('inviting a member again says so and changes nothing', async () => {
    const before = JSON.stringify((await b.state()).libraries);
    const twice = await a.command('shareLibrary', { uuid: photos.uuid, peerId: idB });
    assert.equal(twice.status, 409);
    assert.match(JSON.stringify(twice.body), /Desktop is already a member of “Photos”/);
    assert.equal(JSON.stringify((await b.state()).libraries), before);
    assert.deepEqual((await b.state()).libraryInvites, []);
  });

  test('a device that is not B’s contact invites it: refused, never shown on B', async () => {
    const holidays = (await stranger.state()).libraries[0]!;
    const sent = await stranger.command<LibraryShareResult>('shareLibrary', { uuid: holidays.uuid, peerId: idB });
    assert.notEqual(sent.status, 200);
    assert.match(JSON.stringify(sent.body), /did not take the invitation: only contacts can invite this device/);
    assert.deepEqual((await b.state()).libraryInvites, []);
    assert.deepEqual((await stranger.state()).libraries[0]!.invited, [], 'nothing left waiting on the sender');
  });

  test('B leaves: within 1 s the third host lists B without the library; A no longer counts B in it', async () => {
    const left = await b.command('leaveLibrary', { uuid: photos.uuid });
    assert.equal(left.status, 200, JSON.stringify(left.body));
    const browsed = await browseJson(thirdHost, WITHIN_MS / 1000);
    assert.equal(announces(browsed, idB), false, 'B listed, without Photos');
    assert.equal(announces(browsed, idA), true);
    await a.waitForState((s) => libraryOf(s)?.members.length === 0, WITHIN_MS, 'B gone from the members on A');
    assert.equal((await b.state()).libraries.some((l) => l.uuid === photos.uuid), false);
  });
});
