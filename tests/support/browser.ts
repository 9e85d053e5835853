// Debian's Chromium, driven by playwright-core, running INSIDE a namespace host (DESIGN §6): the
// page reaches `sd-nearby serve --ui` on that host's loopback, and nothing the browser sends
// leaves the test's own namespaces. Playwright talks to the browser over a pipe (fds 3 and 4),
// which `ip netns exec` hands down unchanged, so the test process itself stays where it is.

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { isRoot, Lan, type Host } from './lan.js';
import { REPO_ROOT, startNode } from './nearby.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');

/** Flags that keep Chromium from talking to anything but the page (no updates, sync, casting). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-gpu',
  '--no-first-run',
  '--disable-sync',
  '--disable-features=MediaRouter,DialMediaRouteProvider,OptimizationHints,Translate',
  '--disable-default-apps',
  '--disable-extensions',
];

/** Why the browser tests cannot run here, or false when they can. */
export function browserSkipReason(): string | false {
  if (!isRoot()) return 'needs root to create network namespaces';
  if (!existsSync(CHROMIUM_PATH)) return `needs Chromium at ${CHROMIUM_PATH} (Debian package chromium)`;
  if (!existsSync(join(REPO_ROOT, 'dist/renderer/index.html'))) return 'needs the built web UI (npm run build)';
  return false;
}

/** Launches Chromium inside `host`'s network namespace. */
export async function launchBrowserIn(host: Host): Promise<Browser> {
  const wrapper = join(host.tmpDir('chromium'), 'chromium-in-namespace');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${host.ns} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return chromium.launch({ executablePath: wrapper, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** The web UI of a fake-node page, in the test's own namespace (so every file may use it). */
const FAKE_NODE_UI_ADDRESS = '127.0.0.1:7380';

/** A page of the real web UI whose node is made up in the page (tests/e2e/fakeNodePage.js), and how to close it all. */
export interface FakeNodeUi {
  page: Page;
  close(): Promise<void>;
}

/**
 * The web UI served by a real `serve --ui` (mode Disabled, alone on a LAN of its own) in Chromium,
 * its connection to the node replaced in the page by tests/e2e/fakeNodePage.js, which serves the
 * state `initScripts` set (`window.__fakeNodeState = ...`, `window.__fakeNodePeers = N`): screens
 * with made-up data. Resolves once `readySelector` is on the page.
 */
export async function openFakeNodeUi(initScripts: string[], readySelector: string, viewport = { width: 1200, height: 800 }): Promise<FakeNodeUi> {
  const lan = await Lan.create({ hosts: 1, ipv6: false });
  const host = lan.hosts[0]!;
  const [server, browser] = await Promise.all([startNode(host, { mode: 'disabled', extraArgs: ['--ui', FAKE_NODE_UI_ADDRESS] }), launchBrowserIn(host)]);
  const close = async () => {
    await browser.close().catch(() => {});
    await server.stop('SIGKILL');
    await lan.destroy();
  };
  try {
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => console.error('page error:', err));
    for (const script of initScripts) await page.addInitScript(script);
    await page.addInitScript({ path: join(REPO_ROOT, 'tests/e2e/fakeNodePage.js') });
    await page.goto(`http://${FAKE_NODE_UI_ADDRESS}/`);
    await page.waitForSelector(readySelector);
    return { page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

const require = createRequire(import.meta.url);
let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core in the page (evaluated, so the page's CSP does not stop it); serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const hasAxe = await page.evaluate(() => 'axe' in window);
  if (!hasAxe) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Saves a PNG under test-results/screenshots/ (kept by CI as an artifact). */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Saves `<name>-light`, `<name>-dark` and `<name>-narrow` (dark, at `narrow`), then puts the page
 * back as it was (light, its own viewport): the three looks every changed screen is judged in.
 */
export async function saveScreenshotsLightDarkNarrow(page: Page, name: string, narrow = { width: 420, height: 900 }): Promise<void> {
  const viewport = page.viewportSize();
  await saveScreenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await saveScreenshot(page, `${name}-dark`);
  await page.setViewportSize(narrow);
  await saveScreenshot(page, `${name}-narrow`);
  if (viewport) await page.setViewportSize(viewport);
  await page.emulateMedia({ colorScheme: 'light' });
}
