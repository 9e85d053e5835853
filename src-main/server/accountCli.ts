// `sd-nearby account …` (issue 14): an issuer, accounts and their devices, for self-hosting and
// tests. Names and outputs are stable, so that scripts can rely on them:
//
//   account create-issuer DIR                 an issuer key in DIR; its public key on the last line
//   account issue --issuer DIR --name NAME --email EMAIL --out FILE [--days N]
//   account add-device --account FILE --data-dir D [--days N]
//
// Every file is 0600 (accounts/accountFiles.ts). A mistake is one line that says what to change.

import { randomUUID, generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AccountFileError, createIssuer, loadIssuerKey, readAccountFile, writeAccountFile, writeDeviceCredentials } from '../core/accounts/accountFiles.js';
import { ACCOUNT_NAME_MAX_BYTES, day, decodeAccountCredential, emailProblem, issueAccountCredential, issueDeviceCredential, publicKeyText, textProblem, DEVICE_NAME_MAX_BYTES } from '../core/accounts/credentials.js';
import { ensurePrivateDataDir } from '../core/storage/dataDirTrust.js';
import { loadOrCreateIdentity } from '../core/storage/identityKey.js';
import { SettingsStore } from '../core/storage/settings.js';
import { CliUsageError } from './cliArgs.js';
import { truncateUtf8 } from '../../src-shared/txtCodec.js';

export const ACCOUNT_DAYS_DEFAULT = 365;
export const ACCOUNT_DAYS_MAX = 3650;
const SECONDS_PER_DAY = 86_400;

export const ACCOUNT_USAGE = `Usage:
  sd-nearby account create-issuer DIR
  sd-nearby account issue --issuer DIR --name NAME --email EMAIL --out FILE [--days N]
  sd-nearby account add-device --account FILE --data-dir D [--days N]`;

const SUBCOMMANDS: Record<string, Record<string, { type: 'string' }>> = {
  'create-issuer': {},
  issue: { issuer: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' }, out: { type: 'string' }, days: { type: 'string' } },
  'add-device': { account: { type: 'string' }, 'data-dir': { type: 'string' }, days: { type: 'string' } },
};
type Subcommand = 'create-issuer' | 'issue' | 'add-device';

function parseDays(raw: string | undefined): number {
  if (raw === undefined) return ACCOUNT_DAYS_DEFAULT;
  const n = /^\d{1,4}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > ACCOUNT_DAYS_MAX) throw new CliUsageError(`--days expects a whole number of days from 1 to ${ACCOUNT_DAYS_MAX}, got ${JSON.stringify(raw)}`);
  return n;
}

function required(values: Record<string, string | boolean | undefined>, name: string, example: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new CliUsageError(`account needs --${name}, e.g. --${name} ${example}`);
  return v;
}

/** The subcommand and its options, checked; CliUsageError with one line otherwise. */
function parseAccountArgs(argv: string[]): { sub: Subcommand; values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const sub = argv[0];
  if (sub === undefined || !Object.hasOwn(SUBCOMMANDS, sub)) {
    throw new CliUsageError(`account expects create-issuer, issue or add-device${sub === undefined ? '' : `, got ${JSON.stringify(sub)}`}`);
  }
  const options = SUBCOMMANDS[sub] ?? {};
  try {
    const { values, positionals } = parseArgs({ args: argv.slice(1), options, allowPositionals: sub === 'create-issuer', strict: true });
    return { sub: sub as Subcommand, values: values as Record<string, string | undefined>, positionals };
  } catch (err) {
    const known = Object.keys(options).map((o) => `--${o}`);
    throw new CliUsageError(`account ${sub}: ${(err as Error).message.split('\n')[0]?.replace(/\. To specify.*$/, '')}${known.length ? `; it takes ${known.join(', ')}` : '; it takes a folder only'}`);
  }
}


async function createIssuerCommand(positionals: string[], out: (line: string) => void): Promise<void> {
  if (positionals.length !== 1) throw new CliUsageError('account create-issuer expects one folder, e.g. sd-nearby account create-issuer ./issuer');
  const dir = resolve(positionals[0] as string);
  const publicKey = await createIssuer(dir);
  out(`issuer key written to ${dir}/issuer.key (keep it private: it vouches for accounts)`);
  out('nodes that should trust it: sd-nearby serve --trust-issuer KEY, with this key:');
  out(publicKey);
}

async function issueCommand(values: Record<string, string | boolean | undefined>, out: (line: string) => void): Promise<void> {
  const issuerDir = resolve(required(values, 'issuer', './issuer'));
  const name = required(values, 'name', '"Oscar Beaumont"').trim();
  const email = required(values, 'email', 'oscar@example.com').trim();
  const file = resolve(required(values, 'out', 'oscar.account'));
  const nameProblem = textProblem('--name', name, ACCOUNT_NAME_MAX_BYTES);
  if (nameProblem) throw new CliUsageError(nameProblem);
  const badEmail = emailProblem(email);
  if (badEmail) throw new CliUsageError(`--email: ${badEmail}`);
  const days = parseDays(values.days as string | undefined);
  const issuer = await loadIssuerKey(issuerDir);
  const { privateKey: accountKey } = generateKeyPairSync('ed25519');
  const notAfter = Math.floor(Date.now() / 1000) + days * SECONDS_PER_DAY;
  const credential = issueAccountCredential(issuer, { accountKey: publicKeyText(accountKey), notAfter, accountId: randomUUID(), name, email });
  await writeAccountFile(file, { credential, accountKey });
  out(`account ${name} <${email}>, valid until ${day(notAfter)}, written to ${file}`);
  out('keep that file private: it holds the key that adds devices to the account');
}

async function addDeviceCommand(values: Record<string, string | boolean | undefined>, out: (line: string) => void): Promise<void> {
  const file = resolve(required(values, 'account', 'oscar.account'));
  const dataDir = resolve(required(values, 'data-dir', '~/.local/share/sd-nearby'));
  const days = parseDays(values.days as string | undefined);
  const account = await readAccountFile(file);
  const accountNotAfter = decodeAccountCredential(account.credential).claims.notAfter;
  const now = Math.floor(Date.now() / 1000);
  if (accountNotAfter < now) throw new AccountFileError(`the account credential in ${file} expired on ${day(accountNotAfter)}; issue a new one with sd-nearby account issue`);
  await ensurePrivateDataDir(dataDir);
  const { identity } = await loadOrCreateIdentity(dataDir);
  const settings = await SettingsStore.load(dataDir);
  const deviceName = truncateUtf8(settings.get().name, DEVICE_NAME_MAX_BYTES).trim() || 'device';
  // A device credential outliving its account would be void anyway: it ends with it at the latest.
  const notAfter = Math.min(now + days * SECONDS_PER_DAY, accountNotAfter);
  const device = issueDeviceCredential(account.accountKey, { device: identity, notAfter, deviceName });
  const written = await writeDeviceCredentials(dataDir, { account: account.credential, device });
  out(`device ${identity} ("${deviceName}") added to the account until ${day(notAfter)}; credentials written to ${written}`);
  out('a node already running in that folder presents them from its next start');
}

/** Runs `sd-nearby account …`; exits 2 on a usage mistake, 1 when a file or folder cannot be used. */
export async function runAccountCommand(argv: string[], out: (line: string) => void, fail: (message: string, code: number) => never): Promise<void> {
  if (argv.length === 0 || argv.some((a) => a === '--help' || a === '-h')) {
    if (argv.length === 0) fail(`account expects create-issuer, issue or add-device\n${ACCOUNT_USAGE}`, 2);
    for (const line of ACCOUNT_USAGE.split('\n')) out(line);
    return;
  }
  try {
    const { sub, values, positionals } = parseAccountArgs(argv);
    if (sub === 'create-issuer') await createIssuerCommand(positionals, out);
    else if (sub === 'issue') await issueCommand(values, out);
    else await addDeviceCommand(values, out);
  } catch (err) {
    if (err instanceof CliUsageError) fail(`${err.message} (see sd-nearby account --help)`, 2);
    if (err instanceof AccountFileError) fail(err.message, 1);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EPERM') fail(`${e.path ?? 'a file'} cannot be written by this user (${e.code}); choose a folder you own`, 1);
    if (e.code === 'ENOTDIR' || e.code === 'EISDIR' || e.code === 'ENOENT') fail(`${e.path ?? 'a path'} is not usable here (${e.code}); check the path`, 1);
    fail((err as Error).message.split('\n')[0] ?? 'failed', 1);
  }
}
