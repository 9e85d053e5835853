// `sd-nearby serve | browse | doctor`: the headless shell of the node (DESIGN §3).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { CliUsageError, parseCliArgs, type CliCommand } from './cliArgs.js';
import { runAccountCommand } from './accountCli.js';
import { startApiServer, type ApiServer } from './apiServer.js';
import { apiTokenPath, loadOrCreateApiToken } from './apiToken.js';
import { NearbyNode } from '../core/node.js';
import { defaultDataDir } from '../core/storage/dataDir.js';
import { DiscoveryEngine } from '../core/discovery/engine.js';
import { preferBaselineCompiler } from '../core/runtimeTuning.js';
import type { Peer } from '../../src-shared/peer.js';
import { contactStandingText } from '../../src-shared/pairing.js';
import { accountText } from '../../src-shared/account.js';
import { networkInterfaces } from 'node:os';
import { bareHost, formatHostPort, isWildcardHost } from './httpGuards.js';
import { loadTsigKeyFile } from '../core/wideArea/tsigKeyFile.js';
import { doctor } from './doctorCli.js';

function packageVersion(): string {
  // dist/src-main/server/cli.js when built, src-main/server/cli.ts under tsx: look upwards.
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sd-nearby' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next
    }
  }
  return '0.0.0';
}

/** The built web UI (`npm run build:renderer`): dist/renderer, from dist/ when built or from src-main/ under tsx. */
function rendererDir(): string | null {
  for (const rel of ['../../renderer', '../../dist/renderer']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/index.html`)) return dir;
  }
  return null;
}

/** A device model given by the environment (e.g. "NAS" in a container); empty means none. */
function deviceModelFromEnv(): { deviceModel?: string | null } {
  const raw = process.env.SD_NEARBY_DEVICE_MODEL;
  if (raw === undefined) return {};
  const model = raw.trim();
  return { deviceModel: model === '' ? null : model.slice(0, 64) };
}

/** SD_NEARBY_PAIRING_TIMEOUT_MS shortens the 60 s pairing timeout (tests); anything else is ignored. */
function pairingTimeoutFromEnv(): { pairingTimeoutMs?: number } {
  const ms = Number(process.env.SD_NEARBY_PAIRING_TIMEOUT_MS);
  return Number.isSafeInteger(ms) && ms >= 1000 && ms <= 600_000 ? { pairingTimeoutMs: ms } : {};
}

function fail(message: string): never {
  process.stderr.write(`sd-nearby: ${message}\n`);
  process.exit(2);
}

/**
 * Where a server can be opened: its own address, or, bound to every interface (0.0.0.0, ::), one
 * address per interface (an IPv4 one first; IPv6 link-local ones left out, no browser opens them),
 * the machine's outward interfaces first: 0.0.0.0 is not an address another device can open.
 */
function reachableUrls(server: ApiServer): Array<{ url: string; where: string }> {
  if (!isWildcardHost(server.host)) return [{ url: server.url, where: '' }];
  const ipv6Too = bareHost(server.host) !== '0.0.0.0';
  const outward: Array<{ url: string; where: string }> = [];
  const loopback: Array<{ url: string; where: string }> = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    const usable = (list ?? []).filter((i) => i.family === 'IPv4' || (ipv6Too && !i.address.toLowerCase().startsWith('fe80')));
    const chosen = usable.find((i) => i.family === 'IPv4') ?? usable[0];
    if (chosen) (chosen.internal ? loopback : outward).push({ url: `http://${formatHostPort(chosen.address, server.port)}`, where: ` (${name})` });
  }
  const urls = [...outward, ...loopback];
  return urls.length > 0 ? urls : [{ url: server.url, where: '' }];
}

function describePeer(p: Peer): string {
  const where = p.addresses.length > 0 ? `${p.addresses[0]}${p.port !== null ? ` port ${p.port}` : ''}` : 'no address yet';
  // A contact under the name stored at pairing; a device using a contact's name says it is not one.
  const standing = contactStandingText(p);
  const account = p.account ? ` [${p.myDevice ? 'my device, ' : ''}account ${accountText(p.account)}]` : '';
  return `${p.contact?.name ?? p.name} (${p.operatingSystem}${p.deviceModel ? `, ${p.deviceModel}` : ''}) ${where}${p.identity ? '' : ' [not a valid identity]'}${standing ? ` [${standing}]` : ''}${account}`;
}

/** Calls `onStop` once on SIGINT or SIGTERM; a second signal exits at once. */
function onSignals(onStop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`sd-nearby: ${signal}: saying goodbye\n`);
    onStop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`sd-nearby: while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

type ServeCommand = Extract<CliCommand, { kind: 'serve' }>;

interface ApiCredential {
  token: string;
  tokenSource: string;
}

/** The token of the API and the web UI: --api-token or $SD_NEARBY_API_TOKEN for scripts, else the data directory's token file. */
function apiCredential(cmd: ServeCommand, dataDir: string): ApiCredential {
  if (cmd.apiToken !== null) return { token: cmd.apiToken, tokenSource: 'the token this server was started with (--api-token or $SD_NEARBY_API_TOKEN)' };
  return { token: loadOrCreateApiToken(dataDir), tokenSource: `the token in ${apiTokenPath(dataDir)} (readable by the node's user only)` };
}

/** The API (if asked for) and the web UI (if asked for), both with the API token; closed again when one cannot start. */
async function startServers(cmd: ServeCommand, node: NearbyNode, dataDir: string, uiDir: string | null): Promise<{ api: ApiServer | null; ui: ApiServer | null }> {
  const credential = apiCredential(cmd, dataDir);
  let api: ApiServer | null = null;
  if (cmd.api) {
    // A Unix socket is guarded by its file mode (0600): no token there unless one is given.
    const socketCredential = cmd.apiToken !== null ? credential : {};
    const where = cmd.api.socketPath !== undefined ? { socketPath: cmd.api.socketPath, ...socketCredential } : credential;
    api = await startApiServer({ node, host: cmd.api.host, port: cmd.api.port, ...where });
  }
  // The web UI is a server of its own (its address), with the same code, checks and token as
  // the API: the page from staticDir, the contract over its WebSocket at /api/ws.
  if (!cmd.ui || uiDir === null) return { api, ui: null };
  try {
    return { api, ui: await startApiServer({ node, host: cmd.ui.host, port: cmd.ui.port, staticDir: uiDir, ...credential }) };
  } catch (err) {
    await api?.close();
    throw new Error((err as Error).message.replace(/--api HOST:PORT/g, '--ui HOST:PORT').replace('for the API', 'for the web UI').replace('the API address', 'the web UI address'), { cause: err });
  }
}

/** --wide-area as given, its key file's path made absolute and the file read once: a key file that cannot be used stops serve with one line. */
async function checkedWideArea(cmd: ServeCommand): Promise<ServeCommand['wideArea']> {
  const wideArea = cmd.wideArea;
  if (wideArea === null || wideArea === 'off' || wideArea.tsigKeyFile === null) return wideArea;
  const tsigKeyFile = resolve(wideArea.tsigKeyFile);
  await loadTsigKeyFile(tsigKeyFile);
  return { ...wideArea, tsigKeyFile };
}

async function serve(cmd: ServeCommand): Promise<void> {
  if (cmd.ui?.socketPath !== undefined) fail('--ui needs HOST:PORT (e.g. --ui 127.0.0.1:7380): browsers cannot open Unix sockets');
  const uiDir = cmd.ui ? rendererDir() : null;
  if (cmd.ui && uiDir === null) fail('--ui: the web UI is not built; run `npm run build` in the project folder first');
  const dataDir = resolve(cmd.dataDir ?? defaultDataDir());
  let node: NearbyNode;
  try {
    const wideArea = await checkedWideArea(cmd);
    node = await NearbyNode.open({ dataDir, version: packageVersion(), name: cmd.name, mode: cmd.mode, port: cmd.port, libraries: cmd.libraries, wideArea, trustedIssuers: cmd.trustIssuers, ...deviceModelFromEnv(), ...pairingTimeoutFromEnv() });
  } catch (err) {
    fail((err as Error).message);
  }
  // The servers' ports first, discovery after: a port that is taken stops serve before anything is
  // announced (the others would list this device, then see it leave at once).
  let servers: { api: ApiServer | null; ui: ApiServer | null };
  try {
    servers = await startServers(cmd, node, dataDir, uiDir);
  } catch (err) {
    await node.close();
    fail((err as Error).message);
  }
  try {
    await node.start();
  } catch (err) {
    await Promise.all([servers.api?.close(), servers.ui?.close()]);
    await node.close();
    fail((err as Error).message);
  }
  const { api, ui } = servers;
  const state = node.state();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`sd-nearby ${state.self.version}: "${state.self.name}" identity ${state.self.identity}`);
  out(`p2p port ${state.self.port}, discovery ${state.mode}, data in ${dataDir}`);
  const issuers = node.trustedIssuers.length;
  if (state.self.account || issuers > 0) out(`account ${state.self.account ? accountText(state.self.account) : 'none'}; trusting ${issuers} account issuer${issuers === 1 ? '' : 's'}`);
  // The UI's address carries the token once, in the fragment (never sent to the server); the
  // page keeps it for the tab and takes it out of the address bar.
  if (ui) for (const { url, where } of reachableUrls(ui)) out(`ui ${url}/${ui.token ? `#token=${ui.token}` : ''}${where}`);
  if (api) for (const { url, where } of reachableUrls(api)) out(`api ${url}${where}${api.token ? ` (token ${cmd.apiToken !== null ? 'as given' : `in ${apiTokenPath(dataDir)}`})` : ''}`);
  const warned = new Set(state.warnings);
  for (const w of state.warnings) process.stderr.write(`sd-nearby: warning: ${w}\n`);

  // A line per device found or lost, and per new warning, for people watching the terminal.
  let known = new Map<string, Peer>();
  node.on('state', (s) => {
    for (const w of s.warnings) if (!warned.has(w) && warned.add(w)) process.stderr.write(`sd-nearby: warning: ${w}\n`);
    const next = new Map(s.peers.map((p) => [p.id, p]));
    for (const [id, p] of next) if (!known.has(id)) out(`+ ${describePeer(p)}`);
    for (const [id, p] of known) if (!next.has(id)) out(`- ${p.contact?.name ?? p.name}`);
    known = next;
  });
  onSignals(async () => {
    await Promise.all([api?.close(), ui?.close()]);
    await node.close();
  });
}

async function browse(cmd: Extract<CliCommand, { kind: 'browse' }>): Promise<void> {
  const engine = new DiscoveryEngine();
  engine.setLooking(true); // browse shows what it finds: someone is looking all along
  engine.on('warning', (w) => process.stderr.write(`sd-nearby: warning: ${w}\n`));
  const finish = async () => {
    const peers = engine.peers().sort((a, b) => a.name.localeCompare(b.name));
    await engine.stop();
    if (cmd.json) process.stdout.write(`${JSON.stringify(peers, null, 2)}\n`);
    else if (peers.length === 0) process.stdout.write('No devices found. Are they on this network with discovery set to Everyone?\n');
    else for (const p of peers) process.stdout.write(`${describePeer(p)}\n`);
    process.exit(0);
  };
  await engine.start(null);
  const timer = setTimeout(() => void finish(), cmd.timeoutSeconds * 1000);
  onSignals(async () => {
    clearTimeout(timer);
    await finish();
  });
}

export async function main(argv: string[]): Promise<void> {
  let cmd: CliCommand;
  try {
    cmd = parseCliArgs(argv, process.env);
  } catch (err) {
    if (err instanceof CliUsageError) fail(`${err.message} (see sd-nearby --help)`);
    throw err;
  }
  switch (cmd.kind) {
    case 'help':
      if (cmd.missingCommand) {
        // A script that forgot its command must not read success.
        process.stderr.write(`sd-nearby: no command given: serve (announce this device and list the others) or browse (listen only)\n\n${cmd.text.endsWith('\n') ? cmd.text : `${cmd.text}\n`}`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(cmd.text.endsWith('\n') ? cmd.text : `${cmd.text}\n`);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'serve':
      preferBaselineCompiler();
      return serve(cmd);
    case 'browse':
      preferBaselineCompiler();
      return browse(cmd);
    case 'doctor':
      return doctor(cmd);
    case 'account':
      return runAccountCommand(cmd.argv, (line) => process.stdout.write(`${line}\n`), (message, code) => {
        process.stderr.write(`sd-nearby: ${message}\n`);
        process.exit(code);
      });
  }
}
