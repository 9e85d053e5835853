// `serve --ui` needs a token (on loopback too: other users of the machine reach it): the address
// it prints carries it in the fragment (#token=, never sent to the server by the browser); the
// page keeps it for the tab, cleans the address and hands it to the WebSocket. Opened without
// it, the page loads but cannot reach the node, and says so. The node is alone
// on its LAN, which also shows the empty states: Discovery is off, then No devices yet.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkipReason, launchBrowserIn, saveScreenshot, seriousA11yViolations } from '../support/browser.js';
import { Lan } from '../support/lan.js';
import { startNode, type NearbyProcess } from '../support/nearby.js';

const skip = browserSkipReason();

describe('web UI on a LAN address: the token', { skip }, () => {
  let lan: Lan;
  let node: NearbyProcess;
  let browser: Browser;
  let printedUrl: string;

  before(async () => {
    lan = await Lan.create({ hosts: 1, ipv6: false });
    const host = lan.hosts[0]!;
    [node, browser] = await Promise.all([
      startNode(host, { mode: 'disabled', extraArgs: ['--ui', `${host.ipv4}:7380`] }),
      launchBrowserIn(host),
    ]);
    const line = node.stdout.split('\n').find((l) => l.startsWith('ui '));
    assert.ok(line, `serve prints the UI address: ${node.stdout}`);
    printedUrl = line.slice('ui '.length).trim();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await node?.stop('SIGKILL');
    await lan?.destroy();
  });

  test('the printed address holds the token in its fragment, and the page works with it', async () => {
    assert.match(printedUrl, /^http:\/\/10\.\d+\.\d+\.\d+:7380\/#token=[\w-]{20,}$/);
    const page = await browser.newPage();
    await page.goto(printedUrl);
    await page.waitForSelector('h2:has-text("Discovery is off")', { timeout: 10_000 });
    await page.close();
  });

  test('the page takes the token out of the address bar and keeps it for the tab: a reload still works', async () => {
    const page = await browser.newPage();
    await page.goto(printedUrl);
    await page.waitForSelector('h2:has-text("Discovery is off")', { timeout: 10_000 });
    assert.equal(page.url(), printedUrl.replace(/#.*$/, ''), 'no token left in the address (history, bookmarks, screenshots)');
    await page.reload();
    await page.waitForSelector('h2:has-text("Discovery is off")', { timeout: 10_000 });
    await page.close();
  });

  test('without the token the page says it cannot reach the node, and nothing is changed', async () => {
    const page = await browser.newPage();
    await page.goto(printedUrl.replace(/#.*$/, ''));
    const banner = await page.waitForSelector('.banner-error[role="alert"]', { timeout: 10_000 });
    assert.match((await banner.textContent()) ?? '', /Cannot reach the node without its token.*#token=/);
    assert.equal((await node.state()).mode, 'disabled');
    await page.close();
  });

  test('empty states: Discovery is off, then No devices yet, which leads to adding a device by address', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    const problems: string[] = [];
    const check = async (name: string) => {
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await saveScreenshot(page, `${name}-${scheme}`);
        for (const v of await seriousA11yViolations(page)) problems.push(`${name} (${scheme}): ${v.impact} ${v.id}: ${v.help}`);
      }
      await page.emulateMedia({ colorScheme: 'light' });
    };
    await page.goto(printedUrl);
    await page.waitForSelector('h2:has-text("Discovery is off")');
    await check('empty-discovery-off');
    await page.click('button:has-text("Turn on for Everyone")');
    await page.waitForSelector('h2:has-text("No devices yet")', { timeout: 10_000 });
    assert.equal((await node.state()).mode, 'everyone');
    const advice = (await page.textContent('.empty')) ?? '';
    for (const hint of [/same network/, /Everyone/, /UDP port 5353/, /by its address/]) assert.match(advice, hint);
    await check('empty-no-devices');
    await page.click('button:has-text("Add a device by address")');
    await page.waitForSelector('nav [data-view="settings"][aria-current="page"]');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'manual-address', 'the address field has the focus');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
