// Issue 15, the settings' "Network check": `sd-nearby serve --ui` on a namespace LAN beside another
// node, the page in Chromium on the same host. With a firewall dropping incoming mDNS the check
// names it with its fix; with the firewall gone it reports no problem and the other node
// verified. Screenshots (network-check-*) in light, dark and 420 px wide.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, launchBrowserIn, saveScreenshot, seriousA11yViolations } from '../support/browser.js';
import { Lan, type Host } from '../support/lan.js';
import { startNode, type NearbyProcess } from '../support/nearby.js';

const skip = browserSkipReason();
const UI_ADDRESS = '127.0.0.1:7384';
/** The UI's check listens 5 s; the node then checks the devices it lists (at most a few seconds more). */
const CHECK_TIMEOUT_MS = 20_000;
const NARROW = { width: 420, height: 900 };
const WIDE = { width: 1200, height: 900 };

describe('web UI: the network check in the settings', { skip }, () => {
  let lan: Lan;
  let hostA: Host;
  let nodeA: NearbyProcess;
  let nodeB: NearbyProcess;
  let browser: Browser;
  let page: Page;

  /** Clicks `button` (the check's own, or the empty list's) and waits until the findings replace the busy state. */
  const runCheck = async (button = '.network-check button') => {
    await page.click(button);
    await page.waitForSelector('.network-check[aria-busy="true"]');
    await page.waitForSelector('.network-check[aria-busy="false"] .finding', { timeout: CHECK_TIMEOUT_MS });
    return page.$$eval('.network-check .finding', (els) =>
      els.map((el) => ({ code: el.getAttribute('data-code'), badge: el.querySelector('.badge')?.textContent, message: el.querySelector('.finding-message')?.textContent ?? '', fix: el.querySelector('.finding-fix')?.textContent ?? '' })),
    );
  };
  /** Light and dark (axe in both), with `card` (the check's, or the empty list's) scrolled into view. */
  const shoot = async (name: string, card = '.network-check') => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.locator(card).scrollIntoViewIfNeeded();
      await saveScreenshot(page, `network-check-${name}-${scheme}`);
      assert.deepEqual(await seriousA11yViolations(page), [], `axe: ${name}, ${scheme}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    const overflow = await page.evaluate((selector) => {
      const box = document.querySelector(selector)!;
      return { page: document.documentElement.scrollWidth - window.innerWidth, card: box.scrollWidth - box.clientWidth };
    }, card);
    assert.deepEqual(overflow, { page: 0, card: 0 }, `${name}: nothing sticks out sideways`);
  };

  before(async () => {
    lan = await Lan.create({ hosts: 2, ipv6Dad: false });
    hostA = lan.hosts[0]!;
    const guard = await hostA.run('nft', ['-f', '-'], { input: 'table inet guard {\n chain input {\n type filter hook input priority 0;\n udp dport 5353 drop\n }\n}\n' });
    assert.equal(guard.code, 0, guard.stderr);
    [nodeA, nodeB, browser] = await Promise.all([
      startNode(hostA, { name: 'Desk', extraArgs: ['--ui', UI_ADDRESS] }),
      startNode(lan.hosts[1]!, { name: 'Living room NAS' }),
      launchBrowserIn(hostA),
    ]);
    page = await browser.newPage({ viewport: WIDE });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(nodeA.printedUiUrl);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await Promise.allSettled([nodeA?.stop('SIGKILL'), nodeB?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  test('a firewall dropping incoming mDNS: the empty list leads to the check, which names it as a problem, with the rule to remove', async () => {
    // The firewall hides the other node: the list stays empty and offers the check.
    await page.waitForSelector('h2:has-text("No devices yet")');
    await shoot('empty-list', '.empty');
    const findings = await runCheck('.empty button:has-text("Check the network")');
    assert.equal(await page.getAttribute('nav [data-view="settings"]', 'aria-current'), 'page', 'the check runs in the settings');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('network-check')), true, 'the check has the focus');
    assert.equal(findings[0]?.code, 'inbound-blocked', JSON.stringify(findings));
    assert.equal(findings[0]?.badge, 'Problem');
    assert.match(findings[0]!.message, /A firewall on this device drops incoming mDNS on eth0/);
    assert.match(findings[0]!.fix, /^Fix: Remove that rule: nft delete rule inet guard input handle \d+ \(or accept UDP 5353 in a rule before it\)\.$/);
    await shoot('problem');
    await page.setViewportSize(NARROW);
    await page.click('.network-measurements summary');
    await shoot('problem-narrow');
    await page.setViewportSize(WIDE);
  });

  test('the firewall gone: no problem, the other node heard and verified; the button says Check again', async () => {
    assert.equal((await hostA.run('nft', ['flush', 'ruleset'])).code, 0);
    assert.equal(await page.textContent('.network-check button'), 'Check again');
    const findings = await runCheck();
    assert.deepEqual(findings.map((f) => f.code), ['ok'], JSON.stringify(findings));
    assert.equal(findings[0]?.badge, 'OK');
    assert.match(findings[0]!.message, /1 other host heard, 1 Nearby device verified/);
    await shoot('ok');
  });
});
