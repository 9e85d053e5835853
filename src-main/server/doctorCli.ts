// `sd-nearby doctor` (issue 15): the network check from the command line. Beside a running node
// (--api: the node runs the check with its own list and mode, through the networkCheck command)
// or alone (its own short-lived discovery engine, the mode read from the data folder).
// Exit status: 0 when no finding is an error, 1 when one is, 2 when the check could not run.

import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import type { NetworkFinding, NetworkReport } from '../../src-shared/networkCheck.js';
import { DISCOVERY_MODES, type DiscoveryMode } from '../../src-shared/discoveryModes.js';
import { DiscoveryEngine } from '../core/discovery/engine.js';
import { handshakeDial, runNetworkCheck } from '../core/doctor/networkCheck.js';
import { defaultDataDir } from '../core/storage/dataDir.js';
import { SETTINGS_FILE } from '../core/storage/settings.js';
import { apiTokenPath } from './apiToken.js';
import type { CliCommand } from './cliArgs.js';
import { formatHostPort } from './httpGuards.js';

type DoctorCommand = Extract<CliCommand, { kind: 'doctor' }>;

/** How long past its window the CLI waits for the node's report (the devices' checks, the HTTP round trip). */
const API_ANSWER_MARGIN_MS = 15_000;

/** The discovery mode saved in the data folder, or null when there is none to read. */
function savedMode(dataDir: string): DiscoveryMode | null {
  try {
    const raw = JSON.parse(readFileSync(join(dataDir, SETTINGS_FILE), 'utf8')) as { discovery?: unknown };
    return DISCOVERY_MODES.find((m) => m === raw.discovery) ?? null;
  } catch {
    return null; // no node ever ran with this folder, or its settings cannot be read: unknown
  }
}

async function checkAlone(cmd: DoctorCommand): Promise<NetworkReport> {
  const dataDir = resolve(cmd.dataDir ?? defaultDataDir());
  // Bound to the group where the system allows it: a node or avahi on this host keeps the unicast sent to its port 5353.
  const engine = new DiscoveryEngine({ listensTo: process.platform === 'win32' ? 'any' : 'group' });
  engine.setLooking(true); // the check lists what it finds: someone looks all along
  engine.on('warning', () => undefined); // what goes wrong is the check's to say, as findings
  await engine.start(null);
  try {
    return await runNetworkCheck({ seconds: cmd.seconds, mode: savedMode(dataDir), peers: () => engine.peers(), dial: handshakeDial() });
  } finally {
    await engine.stop();
  }
}

function apiToken(cmd: DoctorCommand): string | null {
  if (cmd.apiToken !== null) return cmd.apiToken;
  try {
    return readFileSync(apiTokenPath(resolve(cmd.dataDir ?? defaultDataDir())), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** POST /api/networkCheck to the node's API; rejects with the node's own words when it refuses. */
function checkThroughApi(cmd: DoctorCommand, api: NonNullable<DoctorCommand['api']>): Promise<NetworkReport> {
  const body = JSON.stringify({ seconds: cmd.seconds });
  const token = api.socketPath === undefined ? apiToken(cmd) : cmd.apiToken;
  const where = api.socketPath !== undefined ? { socketPath: api.socketPath } : { host: api.host, port: api.port };
  const headers: Record<string, string> = {
    host: api.socketPath !== undefined ? 'localhost' : formatHostPort(api.host, api.port),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  return new Promise((resolveReport, reject) => {
    const req = request({ ...where, method: 'POST', path: '/api/networkCheck', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(text) as NetworkReport & { error?: { message?: string } };
          if (res.statusCode === 200) resolveReport(parsed);
          else reject(new Error(`the node refused the check (${res.statusCode}): ${parsed.error?.message ?? text.slice(0, 200)}`));
        } catch {
          reject(new Error(`the node answered ${res.statusCode} with something that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', (err) => reject(new Error(`cannot reach the node's API at ${api.socketPath ?? formatHostPort(api.host, api.port)}: ${err.message} (is sd-nearby serve running there?)`)));
    req.setTimeout(cmd.seconds * 1000 + API_ANSWER_MARGIN_MS, () => req.destroy(new Error('no answer in time')));
    req.end(body);
  });
}

const SEVERITY_WORD = { error: 'Problem', warning: 'Warning', info: 'OK' } as const;

function findingLines(f: NetworkFinding): string[] {
  const lines = [`${SEVERITY_WORD[f.severity]} [${f.code}]: ${f.message}`, `  ${f.severity === 'info' ? 'Next' : 'Fix'}: ${f.fix}`];
  for (const alt of f.alternatives ?? []) lines.push(`  Or [${alt.code}]: ${alt.message}`, `    Fix: ${alt.fix}`);
  return lines;
}

/** The report for people: what was measured, briefly, then one sentence per finding with its fix. */
export function formatReport(report: NetworkReport): string {
  const lines = [`Network check (${report.seconds} s${report.mode ? `, discovery ${report.mode}` : ''}):`];
  for (const iface of report.interfaces) {
    for (const f of iface.families) {
      const errors = Object.entries(f.sendErrors).map(([code, n]) => `${n} ${code}`);
      lines.push(
        `  ${iface.name} IPv${f.family} ${f.addresses.join(', ')}: route ${f.multicastRoute ? 'yes' : 'no'}, group ${f.groupJoined ? 'joined' : `not joined (${f.joinError})`}, ` +
          `sent ${f.sent}${errors.length > 0 ? ` (refused: ${errors.join(', ')})` : ''}, own back ${f.ownLoopedBack}, this host ${f.fromThisHost}, others ${f.fromOthers} (${f.answersToUs} answers to us)`,
      );
    }
  }
  for (const h of report.hostsHeard) lines.push(`  heard ${h.addresses.join(', ')} on ${h.interface}${h.services.length > 0 ? `: ${h.services.join(', ')}` : ''}`);
  for (const d of report.devices) lines.push(`  device ${d.name}: ${d.result}: ${d.detail}`);
  lines.push('', ...report.findings.flatMap(findingLines));
  return `${lines.join('\n')}\n`;
}

export async function doctor(cmd: DoctorCommand): Promise<void> {
  let report: NetworkReport;
  try {
    report = cmd.api ? await checkThroughApi(cmd, cmd.api) : await checkAlone(cmd);
  } catch (err) {
    process.stderr.write(`sd-nearby: doctor: ${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(cmd.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  process.exit(report.findings.some((f) => f.severity === 'error') ? 1 : 0);
}
