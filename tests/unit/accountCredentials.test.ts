import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ACCOUNT_EMAIL_MAX_BYTES,
  CREDENTIAL_MAX_CHARS,
  CredentialError,
  checkSignatures,
  checkStanding,
  decodeAccountCredential,
  decodeDeviceCredential,
  issueAccountCredential,
  issueDeviceCredential,
  publicKeyText,
  type CredentialProblem,
} from '../../src-main/core/accounts/credentials.js';
import { AccountTrust } from '../../src-main/core/accounts/accountTrust.js';

const NOW_MS = Date.parse('2026-12-06T10:00:00Z');
const IN_A_YEAR = Math.floor(NOW_MS / 1000) + 365 * 86_400;

function key(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

interface World {
  issuer: KeyObject;
  accountKey: KeyObject;
  device: string;
  account: string;
  deviceCredential: string;
}

function world(opts: { name?: string; email?: string; accountNotAfter?: number; deviceNotAfter?: number } = {}): World {
  const issuer = key();
  const accountKey = key();
  const device = publicKeyText(key());
  const account = issueAccountCredential(issuer, { accountKey: publicKeyText(accountKey), notAfter: opts.accountNotAfter ?? IN_A_YEAR, accountId: 'acct-1', name: opts.name ?? 'Oscar Beaumont', email: opts.email ?? 'oscar@example.com' });
  const deviceCredential = issueDeviceCredential(accountKey, { device, notAfter: opts.deviceNotAfter ?? IN_A_YEAR, deviceName: 'Oscar’s laptop' });
  return { issuer, accountKey, device, account, deviceCredential };
}

function problemOf(run: () => unknown): CredentialProblem {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof CredentialError, `a CredentialError, got ${String(err)}`);
    assert.ok(err.message.length > 10 && !err.message.includes('\n'), 'a sentence');
    return err.problem;
  }
  assert.fail('no CredentialError');
}

function standing(w: World, opts: { account?: string; device?: string; proven?: string; trusted?: string[]; nowMs?: number } = {}): CredentialProblem | 'ok' {
  try {
    const checked = checkSignatures(opts.account ?? w.account, opts.device ?? w.deviceCredential);
    checkStanding(checked, opts.proven ?? w.device, new Set(opts.trusted ?? [publicKeyText(w.issuer)]), opts.nowMs ?? NOW_MS);
    return 'ok';
  } catch (err) {
    if (err instanceof CredentialError) return err.problem;
    throw err;
  }
}

/** Flips one bit of the decoded bytes at `index` (negative: from the end). */
function flipByte(text: string, index: number): string {
  const bytes = Buffer.from(text, 'base64url');
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = (bytes[at] as number) ^ 0x01;
  return bytes.toString('base64url');
}

describe('account credentials: encoding', () => {
  test('an account credential reads back what the issuer signed, and encodes the same way every time (canonical)', () => {
    const w = world();
    const decoded = decodeAccountCredential(w.account);
    assert.deepEqual(decoded.claims, { issuer: publicKeyText(w.issuer), accountKey: publicKeyText(w.accountKey), notAfter: IN_A_YEAR, accountId: 'acct-1', name: 'Oscar Beaumont', email: 'oscar@example.com' });
    // Ed25519 is deterministic and the layout fixed: the same claims make the same text.
    const again = issueAccountCredential(w.issuer, { accountKey: publicKeyText(w.accountKey), notAfter: IN_A_YEAR, accountId: 'acct-1', name: 'Oscar Beaumont', email: 'oscar@example.com' });
    assert.equal(again, w.account);
    const bytes = Buffer.from(w.account, 'base64url');
    assert.equal(bytes[0], 1, 'version byte');
    assert.equal(bytes[1], 1, 'kind: account');
    assert.match(w.account, /^[A-Za-z0-9_-]+$/, 'base64url without padding');
  });

  test('a device credential reads back the device, the account key and the date', () => {
    const w = world();
    assert.deepEqual(decodeDeviceCredential(w.deviceCredential).claims, { accountKey: publicKeyText(w.accountKey), device: w.device, notAfter: IN_A_YEAR, deviceName: 'Oscar’s laptop' });
  });

  test('the longest account credential allowed fits the limit of the text form', () => {
    const w = world({ name: 'N'.repeat(128), email: `${'e'.repeat(ACCOUNT_EMAIL_MAX_BYTES - 12)}@example.com` });
    assert.ok(w.account.length <= CREDENTIAL_MAX_CHARS, `${w.account.length} chars`);
  });

  test('the issuer refuses fields a receiver would refuse: over their limit, control characters, not an email', () => {
    const issuer = key();
    const accountKey = publicKeyText(key());
    assert.throws(() => issueAccountCredential(issuer, { accountKey, notAfter: IN_A_YEAR, accountId: 'a', name: 'N'.repeat(129), email: 'o@example.com' }), /at most 128/);
    assert.throws(() => issueAccountCredential(issuer, { accountKey, notAfter: IN_A_YEAR, accountId: 'a', name: 'Oscar\u202e', email: 'o@example.com' }), /control characters/);
  });
});

describe('account credentials: offline verification', () => {
  test('valid credentials of a trusted issuer, made for the proven device, within their dates: accepted', () => {
    assert.equal(standing(world()), 'ok');
  });

  test('expired: the account credential, or the device credential, past its not-after', () => {
    const past = Math.floor(NOW_MS / 1000) - 60;
    assert.equal(standing(world({ accountNotAfter: past })), 'expired');
    assert.equal(standing(world({ deviceNotAfter: past })), 'expired');
    assert.equal(standing(world(), { nowMs: (IN_A_YEAR + 1) * 1000 }), 'expired');
  });

  test('unknown issuer: signed by a key this node does not trust', () => {
    assert.equal(standing(world(), { trusted: [publicKeyText(key())] }), 'unknown-issuer');
    assert.equal(standing(world(), { trusted: [] }), 'unknown-issuer');
  });

  test('another device: credentials copied to a device whose handshake proved another key (or a relay)', () => {
    assert.equal(standing(world(), { proven: publicKeyText(key()) }), 'other-device');
  });

  test("another account: a device credential signed by another account's key", () => {
    const a = world();
    const b = world();
    assert.equal(standing(a, { device: b.deviceCredential }), 'other-account');
  });

  test('forged: a changed name or email, a changed device, a changed signature', () => {
    const w = world();
    const decoded = decodeAccountCredential(w.account);
    // Same issuer named, other claims, signed by someone else's key: the signature does not hold.
    const forger = key();
    const forged = Buffer.from(issueAccountCredential(forger, { accountKey: publicKeyText(w.accountKey), notAfter: IN_A_YEAR, accountId: 'acct-1', name: 'Mallory', email: 'oscar@example.com' }), 'base64url');
    Buffer.from(decoded.claims.issuer + '=', 'base64').copy(forged, 2); // claims the trusted issuer
    assert.equal(standing(w, { account: forged.toString('base64url') }), 'bad-signature');
    assert.equal(standing(w, { account: flipByte(w.account, 80) }), 'bad-signature', 'a bit of the name');
    assert.equal(standing(w, { account: flipByte(w.account, -1) }), 'bad-signature', 'a bit of the signature');
    assert.equal(standing(w, { device: flipByte(w.deviceCredential, 40) }), 'bad-signature', 'a bit of the device identity');
  });

  test('truncated: cut anywhere, in the fields or the signature', () => {
    const w = world();
    const bytes = Buffer.from(w.account, 'base64url');
    for (const length of [0, 1, 2, 40, 74, 80, bytes.length - 64, bytes.length - 1]) {
      assert.equal(problemOf(() => decodeAccountCredential(bytes.subarray(0, length).toString('base64url'))), 'truncated', `cut to ${length} bytes`);
    }
    const device = Buffer.from(w.deviceCredential, 'base64url');
    assert.equal(problemOf(() => decodeDeviceCredential(device.subarray(0, device.length - 10).toString('base64url'))), 'truncated');
  });

  test('oversize: a text over the limit of the text form, a length byte over its field limit', () => {
    assert.equal(problemOf(() => decodeAccountCredential('A'.repeat(CREDENTIAL_MAX_CHARS + 1))), 'oversize');
    const w = world();
    const bytes = Buffer.from(w.account, 'base64url');
    const idLengthAt = 2 + 32 + 32 + 8;
    const longId = Buffer.from(bytes);
    longId[idLengthAt] = 200; // the account id says 200 bytes; 64 at most
    assert.equal(problemOf(() => decodeAccountCredential(longId.toString('base64url'))), 'oversize');
  });

  test('malformed: not base64url, another kind, bytes after the signature, an unknown version', () => {
    const w = world();
    assert.equal(problemOf(() => decodeAccountCredential('not base64!')), 'malformed');
    assert.equal(problemOf(() => decodeAccountCredential(w.deviceCredential)), 'malformed', 'a device credential is not an account credential');
    assert.equal(problemOf(() => decodeAccountCredential(Buffer.concat([Buffer.from(w.account, 'base64url'), Buffer.from([0])]).toString('base64url'))), 'malformed');
    assert.equal(problemOf(() => decodeAccountCredential(42)), 'malformed');
    const v2 = Buffer.from(w.account, 'base64url');
    v2[0] = 2;
    assert.equal(problemOf(() => decodeAccountCredential(v2.toString('base64url'))), 'unsupported-version');
  });
});

describe('AccountTrust: what a peer proved', () => {
  function mine() {
    const issuer = key();
    const accountKey = key();
    const account = issueAccountCredential(issuer, { accountKey: publicKeyText(accountKey), notAfter: IN_A_YEAR, accountId: 'a', name: 'Oscar Beaumont', email: 'oscar@example.com' });
    const deviceOf = (identity: string) => ({ account, device: issueDeviceCredential(accountKey, { device: identity, notAfter: IN_A_YEAR, deviceName: 'x' }) });
    return { issuer, deviceOf };
  }

  test('a device of our own account is one of My devices; another account of a trusted issuer is shown without; nothing presented is null', () => {
    const ours = mine();
    const self = publicKeyText(key());
    const sibling = publicKeyText(key());
    const trust = new AccountTrust({ own: ours.deviceOf(self), ownIdentity: self, trustedIssuers: () => [], now: () => NOW_MS });
    assert.equal(trust.own.problem, null);
    assert.deepEqual(trust.evaluate(sibling, ours.deviceOf(sibling)), { account: { name: 'Oscar Beaumont', email: 'oscar@example.com', verified: true }, myDevice: true });
    assert.equal(trust.isMyDevice(sibling), false, 'evaluate only says; observe remembers');
    trust.observe(sibling, ours.deviceOf(sibling));
    assert.ok(trust.isMyDevice(sibling));
    trust.observe(sibling, null);
    assert.ok(trust.isMyDevice(sibling), 'presenting nothing this time keeps what it proved');
    trust.observe(sibling, mine().deviceOf(sibling));
    assert.equal(trust.isMyDevice(sibling), false, 'credentials that do not prove our account: not one any more');

    const other = mine(); // another issuer: trusted only when given
    const stranger = publicKeyText(key());
    const notTrusted = trust.evaluate(stranger, other.deviceOf(stranger));
    assert.equal(notTrusted.account, null);
    assert.match(notTrusted.accountProblem ?? '', /issuer this device does not trust/);
    const trusting = new AccountTrust({ own: ours.deviceOf(self), ownIdentity: self, trustedIssuers: () => [publicKeyText(other.issuer)], now: () => NOW_MS });
    assert.deepEqual(trusting.evaluate(stranger, other.deviceOf(stranger)), { account: { name: 'Oscar Beaumont', email: 'oscar@example.com', verified: true } });
    assert.deepEqual(trust.evaluate(stranger, null), { account: null });
  });

  test("a sibling's credentials presented by another device: no account, the reason kept, and not one of My devices", () => {
    const ours = mine();
    const self = publicKeyText(key());
    const sibling = publicKeyText(key());
    const copier = publicKeyText(key());
    const trust = new AccountTrust({ own: ours.deviceOf(self), ownIdentity: self, trustedIssuers: () => [], now: () => NOW_MS });
    const result = trust.observe(copier, ours.deviceOf(sibling));
    assert.equal(result.account, null);
    assert.match(result.accountProblem ?? '', /another device/);
    assert.equal(trust.isMyDevice(copier), false);
  });

  test('our own expired credentials: a problem to show, still presented (the peer says why)', () => {
    const issuer = key();
    const accountKey = key();
    const self = publicKeyText(key());
    const own = { account: issueAccountCredential(issuer, { accountKey: publicKeyText(accountKey), notAfter: 10, accountId: 'a', name: 'Old', email: 'old@example.com' }), device: issueDeviceCredential(accountKey, { device: self, notAfter: IN_A_YEAR, deviceName: 'x' }) };
    const trust = new AccountTrust({ own, ownIdentity: self, trustedIssuers: () => [], now: () => NOW_MS });
    assert.match(trust.own.problem ?? '', /expired on 1970-01-01/);
    assert.equal(trust.presentation(), own);
    assert.equal(trust.ownAccountKey, null);
  });
});
