// `serve --ui` needs a token (on loopback too: other users of the machine reach it): the address
// it prints carries it in the fragment (#token=, never sent to the server by the browser); the
// page keeps it for the tab, cleans the address and hands it to the WebSocket. Opened without
// it, or with a wrong one, the page says which (not that the node is unreachable: it asks the
// node), and takes a token added to the address without a reload. A node gone is told apart. The node is alone
// on its LAN, which also shows the empty states: Discovery is off, then No devices yet.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
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

  /** The error banner's cause and text, once it shows; screenshots of it in light, dark and 420 px wide. */
  async function errorBanner(page: Page, screenshot: string): Promise<{ cause: string | null; text: string }> {
    const banner = await page.waitForSelector('.banner-error[role="alert"]', { timeout: 10_000 });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await saveScreenshot(page, `${screenshot}-${scheme}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    const size = page.viewportSize();
    await page.setViewportSize({ width: 420, height: 640 });
    await saveScreenshot(page, `${screenshot}-narrow`);
    if (size) await page.setViewportSize(size);
    return { cause: await banner.getAttribute('data-cause'), text: (await banner.textContent()) ?? '' };
  }

  test('without the token the page says the token is missing, not that the node is unreachable, and nothing is changed', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    await page.goto(printedUrl.replace(/#.*$/, ''));
    const { cause, text } = await errorBanner(page, 'token-missing');
    assert.equal(cause, 'token-missing');
    assert.equal(await page.textContent('.banner-error code'), 'sd-nearby serve --ui', 'the command shown as code');
    assert.match(text, /^This page has no token for the node: open the address sd-nearby serve --ui printed \(it ends in #token=…\), or add its #token=… to this address\.$/);
    assert.doesNotMatch(text, /Cannot reach|Trying again/, 'the node answered: waiting would not help');
    assert.doesNotMatch((await page.textContent('main')) ?? '', /Waiting for the node/, 'the page waits for its token, not for the node');
    assert.equal((await node.state()).mode, 'disabled');
    await page.close();
  });

  test('a #token= added to the address in the same tab connects at once, without a reload', async () => {
    const page = await browser.newPage();
    await page.goto(printedUrl.replace(/#.*$/, ''));
    await page.waitForSelector('.banner-error[data-cause="token-missing"]', { timeout: 10_000 });
    // A mark on the window: a reload (or any navigation) would lose it.
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    const token = printedUrl.slice(printedUrl.indexOf('#token=') + '#token='.length);
    await page.evaluate((t) => (window.location.hash = `token=${t}`), token);
    await page.waitForSelector('h2:has-text("Discovery is off")', { timeout: 5_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'the page was not reloaded');
    assert.equal(await page.$('.banner-error'), null, 'the banner is gone');
    assert.equal(page.url(), printedUrl.replace(/#.*$/, ''), 'the token is taken out of the address again');
    await page.reload();
    await page.waitForSelector('h2:has-text("Discovery is off")', { timeout: 10_000 });
    await page.close();
  });

  test('a wrong token is told apart from a missing one', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    await page.goto(printedUrl.replace(/#.*$/, '#token=not-the-nodes-token-at-all'));
    const { cause, text } = await errorBanner(page, 'token-refused');
    assert.equal(cause, 'token-refused');
    assert.match(text, /^The node does not take this page's token .*#token=…/);
    assert.doesNotMatch(text, /Cannot reach|Trying again/);
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

  // Last: it stops the node.
  test('a node that stops answering is told apart from a token problem: cannot reach it, trying again', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    await page.goto(printedUrl);
    await page.waitForSelector('h2:has-text("Discovery is off"), h2:has-text("No devices yet")', { timeout: 10_000 });
    await node.stop('SIGKILL');
    await page.waitForSelector('.banner-error[data-cause="unreachable"]', { timeout: 15_000 });
    const { cause, text } = await errorBanner(page, 'node-unreachable');
    assert.equal(cause, 'unreachable');
    assert.match(text, /^Cannot reach the node\. Is sd-nearby serve --ui still running\? Trying again…$/);
    await page.close();
  });
});
