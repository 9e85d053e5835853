// The renderer alone under load: 500 devices whose state keeps changing. The page is the built UI
// served by `sd-nearby serve --ui` (Disabled, so it sends nothing) in a namespace, but the node
// behind it is a fake: `window.nearby` (the Electron bridge's shape) is defined before the page
// loads, so the renderer takes it as its transport and the test feeds states at its own pace.
// Timings are printed, not asserted (DESIGN §6: timings belong in benchmarks); what is asserted
// is that no interaction is lost while the updates pour in.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, launchBrowserIn } from '../support/browser.js';
import { Lan } from '../support/lan.js';
import { REPO_ROOT, startNode, type NearbyProcess } from '../support/nearby.js';

const skip = browserSkipReason();
const UI_ADDRESS = '127.0.0.1:7380';
const PEERS = 500;

interface Perf {
  measure(count: number, changed: number): Promise<number[]>;
  start(intervalMs: number, changed: number): void;
  stop(): number;
  events: Array<{ name: string; duration: number; delay: number }>;
}

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms over ${times.length} updates`;
}

describe('renderer performance: 500 devices updating', { skip }, () => {
  let lan: Lan;
  let server: NearbyProcess;
  let browser: Browser;
  let page: Page;

  before(async () => {
    lan = await Lan.create({ hosts: 1, ipv6: false });
    [server, browser] = await Promise.all([
      startNode(lan.hosts[0]!, { mode: 'disabled', extraArgs: ['--ui', UI_ADDRESS] }),
      launchBrowserIn(lan.hosts[0]!),
    ]);
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => console.error('page error:', err));
    // Plain JavaScript (not compiled by tsx, whose helpers do not exist in the page).
    await page.addInitScript(`window.__fakeNodePeers = ${PEERS};`);
    await page.addInitScript({ path: join(REPO_ROOT, 'tests/e2e/fakeNodePage.js') });
    await page.goto(`http://${UI_ADDRESS}/`);
    await page.waitForFunction((n) => document.querySelectorAll('[role="option"]').length === n, PEERS);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop('SIGKILL');
    await lan?.destroy();
  });

  test('time per state update with 500 devices (printed)', async (t) => {
    await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.measure(10, 50)); // warm-up
    const some = await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.measure(100, 50));
    const all = await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.measure(50, 500));
    // Sorted by last seen, the changed devices move to the top: rows are reordered every time.
    await page.selectOption('select', 'lastSeen');
    const moving = await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.measure(50, 50));
    await page.selectOption('select', 'name');
    const lines = [
      `500 devices, 50 changed per update: ${summary(some)}`,
      `500 devices, all 500 changed per update: ${summary(all)}`,
      `500 devices sorted by last seen, 50 changed (and moved) per update: ${summary(moving)}`,
    ];
    for (const line of lines) {
      t.diagnostic(line);
      console.log(`perf: ${line}`);
    }
    assert.equal(await page.locator('[role="option"]').count(), PEERS);
  });

  test('typing and clicking while updates pour in are never lost (delays printed)', async (t) => {
    await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.start(10, 50));
    const typed = 'peer-04'; // only the names hold "peer-"
    const startedAt = Date.now();
    await page.click('input[type="search"]');
    await page.keyboard.type(typed, { delay: 25 });
    await page.waitForFunction(() => document.querySelectorAll('[role="option"]').length === 10);
    await page.click('[role="option"] >> text=Peer-047');
    await page.waitForSelector('#details-title:has-text("Peer-047")');
    await page.keyboard.press('Tab'); // the focus moves on: keyboard still answered
    const elapsedMs = Date.now() - startedAt;
    const delivered = await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.stop());
    assert.equal(await page.inputValue('input[type="search"]'), typed, 'every keystroke landed');
    const names = await page.$$eval('[role="option"] .device-name', (els) => els.map((e) => e.textContent));
    assert.deepEqual(names, Array.from({ length: 10 }, (_, i) => `Peer-04${i}`));
    assert.equal(await page.getAttribute('[role="option"][aria-selected="true"]', 'data-peer-id'), `0047${'a'.repeat(38)}e`);
    const events = await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.events.filter((e) => ['keydown', 'keyup', 'keypress', 'input', 'click', 'pointerdown', 'pointerup'].includes(e.name)));
    const worst = events.reduce((m, e) => Math.max(m, e.duration), 0);
    const worstDelay = events.reduce((m, e) => Math.max(m, e.delay), 0);
    const line = `during ${delivered} updates in ${elapsedMs} ms: ${typed.length} keys + 1 click all handled; ${events.length} input events over 16 ms, slowest ${worst.toFixed(0)} ms (input delay at most ${worstDelay.toFixed(0)} ms)`;
    t.diagnostic(line);
    console.log(`perf: ${line}`);
    assert.ok(delivered > 10, `updates kept coming during the interaction (${delivered})`);
  });
});
