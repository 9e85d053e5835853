// Issue 16, the settings: wide-area discovery turned on from the web UI of a real node, against a
// real DNS server (BIND's named on another host of the LAN): the domain, the server and the key
// file saved, the device then listed in the domain (the card says so, dig agrees); a key file that
// cannot be read is refused with the reason, nothing saved; "Turn off" takes the records out.
// Screenshots in light, dark and a narrow window go to test-results/screenshots/.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, launchBrowserIn, saveScreenshotsLightDarkNarrow, seriousA11yViolations } from '../support/browser.js';
import { Lan } from '../support/lan.js';
import { sleep, startNode, type NearbyProcess } from '../support/nearby.js';
import { bindSkipReason, dig, startNamed, type NamedServer } from '../support/bind.js';

const skip = browserSkipReason() || bindSkipReason();
const UI_ADDRESS = '127.0.0.1:7382';
const ZONE = 'sd.test';

describe('web UI: wide-area discovery settings', { skip }, () => {
  let lan: Lan;
  let node: NearbyProcess;
  let named: NamedServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    lan = await Lan.create({ hosts: 2, ipv6: false });
    named = await startNamed(lan.hosts[1]!, ZONE);
    [node, browser] = await Promise.all([startNode(lan.hosts[0]!, { name: 'Desk', extraArgs: ['--ui', UI_ADDRESS] }), launchBrowserIn(lan.hosts[0]!)]);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(node.printedUiUrl);
    await page.click('nav [data-view="settings"]');
    await page.waitForSelector('#wide-area-title');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await node?.stop('SIGKILL');
    await named?.stop().catch(() => undefined);
    await lan?.destroy();
  });

  const card = () => page.locator('form.wide-area');
  /** Waits for `selector`; when it does not come, says what the node and the card said instead. */
  async function waitForCard(selector: string): Promise<void> {
    try {
      await page.waitForSelector(selector);
    } catch (err) {
      const state = await node.state().catch(() => null);
      throw new Error(`${(err as Error).message}\nthe card: ${await card().innerText().catch(() => '?')}\nthe node's wideArea: ${JSON.stringify(state?.wideArea)}\nits warnings: ${JSON.stringify(state?.warnings)}\nits last output: ${node.stderr.slice(-800)}\nnamed's last output: ${named.log().slice(-1500)}`);
    }
  }
  const listedInZone = async () => (await dig(lan.hosts[1]!, named.address, `_sd._udp.${ZONE}`, 'PTR', '+short')).includes(node.printedIdentity);

  test('off at first; a key file that cannot be read is refused with the reason and nothing is saved', async () => {
    assert.equal(await card().locator('.muted').textContent(), 'Off: only the local network is searched.');
    await page.fill('#wide-area-domain', ZONE);
    await page.fill('#wide-area-dnsServer', named.address);
    await page.fill('#wide-area-tsigKeyFile', '/nonexistent/update.key');
    await page.click('form.wide-area button[type="submit"]');
    const error = await page.waitForSelector('form.wide-area .field-error');
    assert.equal(await error.textContent(), 'The TSIG key file /nonexistent/update.key cannot be read: it does not exist');
    assert.equal((await node.state()).wideArea ?? null, null, 'nothing saved');
    // A relative path would name another file once the node is started from another folder.
    await page.fill('#wide-area-tsigKeyFile', 'update.key');
    await page.click('form.wide-area button[type="submit"]');
    await page.waitForSelector('form.wide-area .field-error:has-text("full path")');
    assert.equal(await page.textContent('form.wide-area .field-error'), 'Give the key file\'s full path (such as /etc/sd-nearby/update.key), not "update.key"');
    assert.equal((await node.state()).wideArea ?? null, null, 'nothing saved');
  });

  test('saved with a good key: the card says the device is listed in the domain, and it is', async () => {
    await page.fill('#wide-area-tsigKeyFile', named.keyFile);
    await page.click('form.wide-area button[type="submit"]');
    await waitForCard('form.wide-area .wide-area-status.status-online');
    assert.equal(await card().locator('.wide-area-status').textContent(), `This device is listed in ${ZONE}.`);
    assert.ok(await listedInZone(), 'dig finds our PTR');
    assert.deepEqual((await node.state()).wideArea, { domain: ZONE, dnsServer: named.address, tsigKeyFile: named.keyFile, registration: 'registered', problem: null, updates: 'poll', pushServer: null });
    // BIND 9.18 names no DNS Push server: the card says changes are polled for (the push case: tests/net/wideAreaPush.test.ts).
    assert.equal(await card().locator('.wide-area-updates').textContent(), 'Changes are asked for every 1 to 30 seconds: the DNS server offers no DNS Push.');
    assert.deepEqual(await seriousA11yViolations(page), []);
    await saveScreenshotsLightDarkNarrow(page, 'wide-area-settings');
  });

  test('Turn off removes the records at once and says so', async () => {
    await page.click('form.wide-area button:has-text("Turn off")');
    await page.waitForSelector('form.wide-area .muted');
    let listed = true;
    for (let i = 0; i < 20 && listed; i++, await sleep(100)) listed = await listedInZone();
    assert.equal(listed, false, 'the PTR is gone');
    assert.equal(await card().locator('.field-note').textContent(), 'Turned off');
  });
});
