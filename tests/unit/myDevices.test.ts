// My devices kept across restarts (issue 14): a device that proved our account is remembered in
// my-devices.json (0600) until its credential ends, forgotten when its credentials stop proving it.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { AccountTrust } from '../../src-main/core/accounts/accountTrust.js';
import { issueAccountCredential, issueDeviceCredential, publicKeyText } from '../../src-main/core/accounts/credentials.js';
import { MY_DEVICES_FILE, MyDeviceStore } from '../../src-main/core/accounts/myDevices.js';
import { useTempDirs } from '../support/tempDirs.js';

const freshDir = useTempDirs('my-devices');
const NOW_MS = Date.parse('2026-12-06T10:00:00Z');
const key = () => generateKeyPairSync('ed25519').privateKey;

function account(deviceDays = 30) {
  const issuer = key();
  const accountKey = key();
  const credential = issueAccountCredential(issuer, { accountKey: publicKeyText(accountKey), notAfter: NOW_MS / 1000 + 365 * 86_400, accountId: 'a', name: 'Oscar Beaumont', email: 'oscar@example.com' });
  return (identity: string) => ({ account: credential, device: issueDeviceCredential(accountKey, { device: identity, notAfter: NOW_MS / 1000 + deviceDays * 86_400, deviceName: 'x' }) });
}

describe('My devices remembered', () => {
  test('a device that proved our account is one after a restart, until its credential ends; credentials of another account forget it', async () => {
    const dir = await freshDir();
    const ours = account(30);
    const self = publicKeyText(key());
    const desktop = publicKeyText(key());
    let now = NOW_MS;
    let store: MyDeviceStore | null = null;
    const open = async () => new AccountTrust({ own: ours(self), ownIdentity: self, trustedIssuers: () => [], remembered: (store = await MyDeviceStore.load(dir)), now: () => now });

    const first = await open();
    const written = once(store!, 'change');
    first.observe(desktop, ours(desktop));
    await written;
    assert.equal(statSync(join(dir, MY_DEVICES_FILE)).mode & 0o777, 0o600);
    assert.equal((JSON.parse(readFileSync(join(dir, MY_DEVICES_FILE), 'utf8')) as { devices: unknown[] }).devices.length, 1);

    const restarted = await open();
    assert.ok(restarted.isMyDevice(desktop), 'known before it says a word');
    now = NOW_MS + 31 * 86_400_000;
    assert.equal(restarted.isMyDevice(desktop), false, 'not past the end of its device credential');
    now = NOW_MS;

    const forgotten = once(store!, 'change');
    restarted.observe(desktop, account()(desktop)); // now it proves another account
    await forgotten;
    assert.equal(restarted.isMyDevice(desktop), false);
    assert.equal((await open()).isMyDevice(desktop), false, 'forgotten on disk too');
  });

  test('a forget right after a remember wins, whatever the writes queued meanwhile', async () => {
    const dir = await freshDir();
    const store = await MyDeviceStore.load(dir);
    const device = { identity: publicKeyText(key()), name: 'Desktop', accountKey: publicKeyText(key()), notAfter: NOW_MS / 1000 + 86_400 };
    const remembered = store.remember(device);
    await store.forget(device.identity);
    await remembered;
    assert.equal(store.holds(device.identity, device.accountKey, NOW_MS), false);
    assert.deepEqual((await MyDeviceStore.load(dir)).list(), [], 'not on disk either');
  });
});
