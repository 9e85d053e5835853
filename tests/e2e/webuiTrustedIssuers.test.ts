// Issue 14's trusted issuers, edited in the web UI of a real node (in a namespace LAN, beside a
// device of Bea's account that the built CLI made): the issuer given with --trust-issuer and the one
// of the node's own account are listed and kept; a key that is not one is refused with the reason and nothing is saved; trusting Bea's
// issuer in Settings shows her verified name and email on her row, and removing it takes them away.
// Screenshots in light, dark and a narrow window go to test-results/screenshots/.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, launchBrowserIn, saveScreenshotsLightDarkNarrow, seriousA11yViolations } from '../support/browser.js';
import { Lan } from '../support/lan.js';
import { accountCli } from '../support/accountCli.js';
import { startNode, tempDataDir, type NearbyProcess } from '../support/nearby.js';

const skip = browserSkipReason();
const UI_ADDRESS = '127.0.0.1:7386';
const BEA = { name: 'Bea Lindqvist', email: 'bea@example.com' };


describe('web UI: trusted account issuers', { skip }, () => {
  let lan: Lan;
  let desk: NearbyProcess;
  let bea: NearbyProcess;
  let browser: Browser;
  let page: Page;
  let beasIssuer: string;
  let flagIssuer: string;
  let ownIssuer: string;

  before(async () => {
    const files = tempDataDir('issuers');
    beasIssuer = accountCli('create-issuer', join(files, 'issuer-bea'));
    flagIssuer = accountCli('create-issuer', join(files, 'issuer-flag'));
    accountCli('issue', '--issuer', join(files, 'issuer-bea'), '--name', BEA.name, '--email', BEA.email, '--out', join(files, 'bea.account'));
    const beaDir = tempDataDir('acct-bea');
    accountCli('add-device', '--account', join(files, 'bea.account'), '--data-dir', beaDir);
    // The desk is signed into an account of a third issuer, which it trusts for that alone.
    ownIssuer = accountCli('create-issuer', join(files, 'issuer-own'));
    accountCli('issue', '--issuer', join(files, 'issuer-own'), '--name', 'Oscar Beaumont', '--email', 'oscar@example.com', '--out', join(files, 'oscar.account'));
    const deskDir = tempDataDir('acct-desk');
    accountCli('add-device', '--account', join(files, 'oscar.account'), '--data-dir', deskDir);
    lan = await Lan.create({ hosts: 2, ipv6: false });
    [desk, bea, browser] = await Promise.all([
      startNode(lan.hosts[0]!, { name: 'Desk', dataDir: deskDir, extraArgs: ['--ui', UI_ADDRESS, '--trust-issuer', flagIssuer] }),
      startNode(lan.hosts[1]!, { name: 'Bea phone', dataDir: beaDir }),
      launchBrowserIn(lan.hosts[0]!),
    ]);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(desk.printedUiUrl);
    await beasRow().waitFor();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await Promise.allSettled([desk?.stop('SIGKILL'), bea?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  const beasRow = () => page.locator('[role="option"]', { hasText: 'Bea phone' });
  const card = () => page.locator('section[aria-labelledby="issuers-title"]');
  const savedIssuers = () => (JSON.parse(readFileSync(join(desk.dataDir, 'settings.json'), 'utf8')) as { trustedIssuers?: string[] }).trustedIssuers ?? [];

  test('the issuer given with --trust-issuer is listed and kept; a key that is not one is refused with the reason, nothing saved', async () => {
    // Verified first (her credentials come with the verification), then shown without an account, and why.
    await beasRow().locator('.badge-verified').waitFor({ timeout: 15_000 });
    assert.equal(await beasRow().locator('.account-line').count(), 0, "no account on Bea's row: her issuer is not trusted");
    const beaPeer = (await desk.state()).peers.find((p) => p.name === 'Bea phone');
    assert.match(beaPeer?.accountProblem ?? '', /issuer this device does not trust/);
    await page.click('nav [data-view="settings"]');
    await card().waitFor();
    const items = card().locator('.trusted-issuer');
    assert.equal(await items.count(), 2);
    assert.equal(await items.nth(0).locator('.issuer-key').textContent(), flagIssuer);
    assert.equal(await items.nth(0).locator('.issuer-source').textContent(), 'Given with --trust-issuer');
    assert.equal(await items.nth(1).locator('.issuer-key').textContent(), ownIssuer);
    assert.equal(await items.nth(1).locator('.issuer-source').textContent(), "Signed this device's own account");
    assert.equal(await card().locator('.trusted-issuer button').count(), 0, 'no Remove: the command line and the own account decide them');

    await page.fill('#issuer-key', 'oscar@example.com');
    await card().locator('button[type="submit"]').click();
    const error = card().locator('.field-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /“oscar@example\.com” is not an issuer's public key: paste the last line `sd-nearby account create-issuer` printed \(43 characters\)/);
    assert.deepEqual(savedIssuers(), [], 'nothing saved');
    // A whole line pasted is cut for the sentence, with one ellipsis.
    await page.fill('#issuer-key', `issuer public key: ${beasIssuer}`);
    await card().locator('button[type="submit"]').click();
    await card().locator('.field-error:has-text("“issuer public key:")').waitFor();
    assert.match((await error.textContent()) ?? '', /“issuer public key:…” is not an issuer's public key/);
    assert.deepEqual(savedIssuers(), [], 'nothing saved');
    assert.deepEqual((await desk.state()).trustedIssuers, [
      { key: flagIssuer, source: 'command-line' },
      { key: ownIssuer, source: 'own-account' },
    ]);
  });

  test("trusting Bea's issuer shows her verified name and email on her row; removing it takes them away", async () => {
    await page.fill('#issuer-key', ` ${beasIssuer} `);
    await card().locator('button[type="submit"]').click();
    await card().locator(`.trusted-issuer[data-key="${beasIssuer}"]`).waitFor();
    assert.equal(await page.inputValue('#issuer-key'), '', 'the field is emptied');
    assert.deepEqual(savedIssuers(), [beasIssuer], 'kept in the settings, trimmed');
    assert.deepEqual((await desk.state()).trustedIssuers, [
      { key: flagIssuer, source: 'command-line' },
      { key: ownIssuer, source: 'own-account' },
      { key: beasIssuer, source: 'settings' },
    ]);
    assert.deepEqual(await seriousA11yViolations(page), []);
    await saveScreenshotsLightDarkNarrow(page, 'trusted-issuers');

    await page.click('nav [data-view="devices"]');
    await beasRow().locator('.account-line').waitFor({ timeout: 15_000 });
    assert.equal(await beasRow().locator('.account-line').textContent(), `Verified account: ${BEA.name} · ${BEA.email}`);

    await page.click('nav [data-view="settings"]');
    await card().locator(`.trusted-issuer[data-key="${beasIssuer}"] button`).click();
    await card().locator(`.trusted-issuer[data-key="${beasIssuer}"]`).waitFor({ state: 'detached' });
    assert.deepEqual(savedIssuers(), []);
    await page.click('nav [data-view="devices"]');
    await beasRow().locator('.account-line').waitFor({ state: 'detached', timeout: 15_000 });
  });
});
