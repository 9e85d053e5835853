// Argument parsing for the `sd-nearby` command line (pure: no I/O, no process access).
// `argv` is what follows the script (process.argv.slice(2)); `env` is process.env.
// node:util parseArgs splits the options (`--opt value`, `--opt=value`); this file keeps what is
// ours: which options each command takes, their values, and messages that say what to change.

import { isIPv4, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';
import { DEVICE_NAME_MAX_CHARS, LIBRARY_NAME_MAX_CHARS } from '../../src-shared/contract.js';
import { DISCOVERY_MODES, type DiscoveryMode } from '../../src-shared/discoveryModes.js';
import { checkWideAreaSettings, type WideAreaSettings } from '../../src-shared/wideArea.js';
import { NETWORK_CHECK_DEFAULT_SECONDS, NETWORK_CHECK_MAX_SECONDS, NETWORK_CHECK_MIN_SECONDS } from '../../src-shared/networkCheck.js';
import { isRemoteIdentity } from '../../src-shared/identity.js';

export interface HostPort {
  host: string;
  port: number;
  /** `unix:PATH`: a Unix socket instead of TCP (local scripts; its file mode guards it). */
  socketPath?: string;
}

export type CliCommand =
  | {
      kind: 'serve';
      /** --data-dir as given (not resolved); null: the default folder. */
      dataDir: string | null;
      /** --name, trimmed; null: keep the saved name / the default. */
      name: string | null;
      /** --mode; null: keep the saved mode. */
      mode: DiscoveryMode | null;
      /** P2P port: --port; else 7373 when SD_DOCKER=true; else null (random). 0 also means random. */
      port: number | null;
      /** HTTP API address; default 127.0.0.1:0 (a free port); null with --api none. */
      api: HostPort | null;
      /** --api-token, else $SD_NEARBY_API_TOKEN, else null. */
      apiToken: string | null;
      /** --library NAME, repeatable, in order. */
      libraries: string[];
      /** --ui HOST:PORT, the web UI; null when not asked for. */
      ui: HostPort | null;
      /** --wide-area DOMAIN (with --dns-server, --tsig-key); 'off' with --wide-area none; null: keep the saved setting. */
      wideArea: WideAreaSettings | 'off' | null;
      /** --trust-issuer KEY, repeatable: issuers whose accounts this node accepts, besides the setting (issue 14). */
      trustIssuers: string[];
    }
  /** `account …` (accountCli.ts parses what follows). */
  | { kind: 'account'; argv: string[] }
  | { kind: 'browse'; timeoutSeconds: number; json: boolean }
  /**
   * The network check (issue 15): beside a running node through its API (`api` set: the node's
   * list and mode), else alone, reading the mode from the data folder (`dataDir`, null: the default).
   */
  | { kind: 'doctor'; seconds: number; json: boolean; api: HostPort | null; apiToken: string | null; dataDir: string | null }
  /** missingCommand: no command at all (a mistake: the usage goes to stderr, exit 2). */
  | { kind: 'help'; text: string; missingCommand?: true }
  | { kind: 'version' };

/** A mistake in the command line; `message` is one line saying what to change. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export const DOCKER_PORT = 7373;
export const DEFAULT_API: Readonly<HostPort> = Object.freeze({ host: '127.0.0.1', port: 0 });
export const DEFAULT_BROWSE_TIMEOUT_SECONDS = 5;
export const BROWSE_TIMEOUT_MIN_SECONDS = 0.1;
export const BROWSE_TIMEOUT_MAX_SECONDS = 3600;
export const API_TOKEN_MIN_CHARS = 16;
export const API_TOKEN_ENV = 'SD_NEARBY_API_TOKEN';

/** Terminals are 80 columns unless told otherwise: the help fits them, breaking lines between words. */
export const HELP_WIDTH_COLUMNS = 80;
/** Where the descriptions start, after `  --api-token TOKEN  `. */
const HELP_TERM_COLUMNS = 21;

/** One entry of the help: a command or option and what it does, as one unwrapped text. */
type HelpEntry = readonly [term: string, description: string];

const HELP_COMMANDS: readonly HelpEntry[] = [
  ['serve', 'run a node: announce this device, watch for others, answer the HTTP API'],
  ['browse', 'list the devices announcing themselves nearby, then exit'],
  ['doctor', 'check the network for a few seconds and say why devices do not show up, with the fix (exit status 1 when it finds a problem)'],
  ['account', 'make an issuer, an account, or add this device to an account (sd-nearby account --help)'],
  ['help', 'show this text'],
  ['version', 'show the version'],
];

const HELP_SERVE_OPTIONS: readonly HelpEntry[] = [
  ['--data-dir DIR', 'where identity, settings and libraries are kept'],
  ['--name NAME', `the device name others see (1 to ${DEVICE_NAME_MAX_CHARS} characters)`],
  ['--mode MODE', `who can see this device: ${DISCOVERY_MODES.slice(0, -1).join(', ')} or ${DISCOVERY_MODES.at(-1)}`],
  ['--port PORT', `TCP port for peer connections, 1 to 65535 (default: random, 0 = random; ${DOCKER_PORT} when the environment has SD_DOCKER=true)`],
  [
    '--api HOST:PORT',
    'address of the HTTP API for scripts (default: 127.0.0.1 on a free port; IPv6 as [::1]:PORT; unix:PATH for a Unix socket, open to this user only; "none" turns the API off). ' +
      'On TCP, the API and the web UI need the token kept in the file api-token of the data folder (readable by this user only): send "Authorization: Bearer <token>"',
  ],
  ['--api-token TOKEN', `the API token to require instead (at least ${API_TOKEN_MIN_CHARS} characters); also read from $${API_TOKEN_ENV}, which keeps it out of the process list`],
  ['--library NAME', 'make sure a library of this name exists and is active (repeatable)'],
  ['--ui HOST:PORT', 'serve the web UI at this address (e.g. 127.0.0.1:8080); open the address serve prints, which carries the token (#token=...)'],
  ['--wide-area DOMAIN', 'also register in and browse this DNS domain (DNS-SD over unicast DNS), for devices on other networks; "none" turns it off (saved)'],
  ['--dns-server HOST', "the DNS server (HOST or HOST:PORT) that takes this device's signed updates for the domain and answers its questions (default: the system's resolver, the updates then going to the zone's primary server)"],
  ['--tsig-key FILE', 'the TSIG key to sign updates with, in the format tsig-keygen writes (key "name" { algorithm ...; secret "..."; };)'],
  ['--trust-issuer KEY', "accept the accounts this issuer signed (its public key, as account create-issuer printed it; repeatable; the setting trustedIssuers adds more)"],
];

const HELP_BROWSE_OPTIONS: readonly HelpEntry[] = [
  ['--timeout SECONDS', `how long to listen, ${BROWSE_TIMEOUT_MIN_SECONDS} to ${BROWSE_TIMEOUT_MAX_SECONDS} (default ${DEFAULT_BROWSE_TIMEOUT_SECONDS})`],
  ['--json', 'print the devices as JSON instead of a table'],
];

const HELP_DOCTOR_OPTIONS: readonly HelpEntry[] = [
  ['--seconds N', `how long to listen, ${NETWORK_CHECK_MIN_SECONDS} to ${NETWORK_CHECK_MAX_SECONDS} (default ${NETWORK_CHECK_DEFAULT_SECONDS})`],
  ['--json', 'print the report as JSON: {"findings": [{"code", "severity", "message", "fix"}], ...}'],
  ['--api HOST:PORT', 'check beside the node serving this API (unix:PATH for its Unix socket): its list of devices and its mode'],
  ['--api-token TOKEN', `that API's token (also $${API_TOKEN_ENV}; default: the file api-token of --data-dir)`],
  ['--data-dir DIR', 'the node\'s data folder: its mode when checking alone, its token with --api'],
];

const HELP_GENERAL_OPTIONS: readonly HelpEntry[] = [
  ['-h, --help', 'show this text'],
  ['--version', 'show the version'],
];

/** `text` in lines of at most `width` characters, broken at spaces only (a longer word stands alone). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** A titled list of entries: the term, then its description wrapped beside it. */
function helpSection(title: string, entries: readonly HelpEntry[]): string {
  const indent = ' '.repeat(HELP_TERM_COLUMNS);
  const rows = entries.flatMap(([term, description]) => {
    const [first = '', ...more] = wrapWords(description, HELP_WIDTH_COLUMNS - HELP_TERM_COLUMNS);
    return [`  ${term}`.padEnd(HELP_TERM_COLUMNS) + first, ...more.map((l) => indent + l)];
  });
  return [`${title}:`, ...rows].join('\n');
}

export const USAGE = [
  'Usage: sd-nearby <command> [options]',
  wrapWords('Find the devices on your local network (Spacedrive _sd._udp discovery) and pair with one.', HELP_WIDTH_COLUMNS).join('\n'),
  helpSection('Commands', HELP_COMMANDS),
  helpSection('Options of serve', HELP_SERVE_OPTIONS),
  helpSection('Options of browse', HELP_BROWSE_OPTIONS),
  helpSection('Options of doctor', HELP_DOCTOR_OPTIONS),
  helpSection('General', HELP_GENERAL_OPTIONS),
  'Options take their value as "--port 7373" or "--port=7373".',
  `Examples:
  sd-nearby serve --name "Living room NAS" --mode everyone --library Photos
  sd-nearby serve --api 127.0.0.1:7374
  sd-nearby browse --timeout 10 --json
  sd-nearby doctor --seconds 10 --json`,
].join('\n\n');

interface OptionSpec {
  /** 'string' takes a value, 'boolean' is a flag (parseArgs' types). */
  type: 'string' | 'boolean';
  /** May be given more than once; the values are kept in order. */
  multiple?: boolean;
  /** How the option is written, shown when its value is missing. */
  example: string;
}

const SERVE_OPTIONS: Record<string, OptionSpec> = {
  '--data-dir': { type: 'string', example: '--data-dir /var/lib/sd-nearby' },
  '--name': { type: 'string', example: '--name "Living room NAS"' },
  '--mode': { type: 'string', example: '--mode everyone' },
  '--port': { type: 'string', example: `--port ${DOCKER_PORT}` },
  '--api': { type: 'string', example: '--api 127.0.0.1:7374' },
  '--api-token': { type: 'string', example: '--api-token <a long random string>' },
  '--library': { type: 'string', multiple: true, example: '--library Photos' },
  '--ui': { type: 'string', example: '--ui 127.0.0.1:8080' },
  '--wide-area': { type: 'string', example: '--wide-area sd.example.com' },
  '--dns-server': { type: 'string', example: '--dns-server 192.0.2.53' },
  '--tsig-key': { type: 'string', example: '--tsig-key /etc/sd-nearby/update.key' },
  '--trust-issuer': { type: 'string', multiple: true, example: '--trust-issuer <the key account create-issuer printed>' },
};

const BROWSE_OPTIONS: Record<string, OptionSpec> = {
  '--timeout': { type: 'string', example: '--timeout 5' },
  '--json': { type: 'boolean', example: '--json' },
};

const DOCTOR_OPTIONS: Record<string, OptionSpec> = {
  '--seconds': { type: 'string', example: `--seconds ${NETWORK_CHECK_DEFAULT_SECONDS}` },
  '--json': { type: 'boolean', example: '--json' },
  '--api': { type: 'string', example: '--api 127.0.0.1:7374' },
  '--api-token': { type: 'string', example: '--api-token <the token>' },
  '--data-dir': { type: 'string', example: '--data-dir /var/lib/sd-nearby' },
};

type CommandWithOptions = 'serve' | 'browse' | 'doctor';

const COMMAND_OPTIONS: Record<CommandWithOptions, Record<string, OptionSpec>> = {
  serve: SERVE_OPTIONS,
  browse: BROWSE_OPTIONS,
  doctor: DOCTOR_OPTIONS,
};

/** The options `command` accepts, as written (`--data-dir`, ...). */
export function optionNames(command: CommandWithOptions): string[] {
  return Object.keys(COMMAND_OPTIONS[command]);
}

const COMMANDS = ['serve', 'browse', 'doctor', 'account', 'help', 'version'] as const;
const GENERAL_OPTIONS = ['--help', '--version'];

/** Optimal string alignment distance (Levenshtein with transpositions). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 0; i < rows; i++) d[i]![0] = i;
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i]![j] = v;
    }
  }
  return at(a.length, b.length);
}

/** The closest candidate, if close enough to be a likely typo (or a unique prefix). */
function suggest(given: string, candidates: readonly string[]): string | null {
  const g = given.toLowerCase();
  const exactCase = candidates.find((c) => c === g);
  if (exactCase !== undefined) return exactCase;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(g, c);
    if (dist < bestDistance) {
      bestDistance = dist;
      best = c;
    }
  }
  const limit = g.replace(/^-+/, '').length <= 3 ? 1 : 2;
  if (best !== null && bestDistance <= limit) return best;
  const bare = g.replace(/^-+/, '');
  if (bare.length >= 2) {
    const prefixed = candidates.filter((c) => c.replace(/^-+/, '').startsWith(bare));
    if (prefixed.length === 1 && prefixed[0] !== undefined) return prefixed[0];
  }
  return null;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function parsePort(flag: string, raw: string): number {
  const t = raw.trim();
  const n = /^\d{1,5}$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new CliUsageError(`${flag} expects a number from 1 to 65535, got ${quote(raw)}`);
  }
  return n;
}

function parseHostPort(flag: string, raw: string): HostPort | null {
  const t = raw.trim();
  if (t.toLowerCase() === 'none') return null;
  if (t.startsWith('unix:')) {
    const socketPath = t.slice('unix:'.length);
    if (socketPath === '' || socketPath.length > 100) throw new CliUsageError(`${flag} unix: needs a socket path of 1 to 100 characters, e.g. ${flag} unix:/run/sd-nearby.sock`);
    return { host: 'localhost', port: 0, socketPath };
  }
  const shape = `${flag} expects HOST:PORT with HOST an IPv4 address, a [bracketed] IPv6 address or localhost (e.g. 127.0.0.1:7374), or none; got ${quote(raw)}`;
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(t);
  if (bracketed !== null) {
    host = (bracketed[1] ?? '').toLowerCase();
    portText = bracketed[2] ?? '';
    if (!isIPv6(host)) throw new CliUsageError(shape);
  } else {
    const colon = t.lastIndexOf(':');
    if (colon < 0) {
      throw new CliUsageError(`${flag} needs a port after the host, e.g. ${flag} ${t || '127.0.0.1'}:7374 (port 0 picks a free one)`);
    }
    host = t.slice(0, colon).toLowerCase();
    portText = t.slice(colon + 1);
    if (host.includes(':')) {
      if (isIPv6(host) || isIPv6(t)) {
        throw new CliUsageError(`${flag}: put an IPv6 address in brackets, e.g. ${flag} [::1]:7374; got ${quote(raw)}`);
      }
      throw new CliUsageError(shape);
    }
    if (host !== 'localhost' && !isIPv4(host)) throw new CliUsageError(shape);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(`${flag} expects a port from 1 to 65535 (or 0 for a free one) after the host, got ${quote(raw)}`);
  }
  return { host, port };
}

function parseName(flag: string, raw: string, max: number, what: string): string {
  const name = raw.trim();
  if (name.length === 0) throw new CliUsageError(`${flag} expects ${what} of 1 to ${max} characters, got an empty one`);
  const chars = Array.from(name).length; // characters as a person counts them (and as the API does), not UTF-16 units
  if (chars > max) throw new CliUsageError(`${flag} expects ${what} of 1 to ${max} characters, got ${chars}`);
  return name;
}

function parseMode(raw: string): DiscoveryMode {
  const m = raw.trim().toLowerCase();
  const found = DISCOVERY_MODES.find((mode) => mode === m);
  if (found === undefined) {
    throw new CliUsageError(`--mode expects ${DISCOVERY_MODES.slice(0, -1).join(', ')} or ${DISCOVERY_MODES[DISCOVERY_MODES.length - 1]}, got ${quote(raw)}`);
  }
  return found;
}

function parseToken(source: string, raw: string): string {
  if (!/^[\x21-\x7e]*$/.test(raw)) {
    throw new CliUsageError(`${source} expects printable ASCII characters without spaces`);
  }
  if (raw.length < API_TOKEN_MIN_CHARS) {
    throw new CliUsageError(`${source} expects at least ${API_TOKEN_MIN_CHARS} characters, got ${raw.length}`);
  }
  return raw;
}

/** An issuer's public key, as `account create-issuer` prints it (32 bytes, base64 without padding). */
function parseIssuerKey(raw: string): string {
  const key = raw.trim();
  if (!isRemoteIdentity(key)) throw new CliUsageError(`--trust-issuer expects an issuer's public key (43 characters, the last line sd-nearby account create-issuer printed), got ${quote(raw)}`);
  return key;
}

function parseTimeout(raw: string): number {
  const t = raw.trim();
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n)) throw new CliUsageError(`--timeout expects seconds, got ${quote(raw)}`);
  if (n < BROWSE_TIMEOUT_MIN_SECONDS || n > BROWSE_TIMEOUT_MAX_SECONDS) {
    throw new CliUsageError(`--timeout expects seconds from ${BROWSE_TIMEOUT_MIN_SECONDS} to ${BROWSE_TIMEOUT_MAX_SECONDS}, got ${quote(raw)}`);
  }
  return n;
}

/** The option as the user typed it: `--name` of `--name=x`; a short or odd one whole (`-abc`). */
function typedOptionName(arg: string): string {
  return arg.startsWith('--') ? (arg.split('=')[0] ?? arg) : arg;
}

function unknownOption(command: CommandWithOptions, name: string): CliUsageError {
  const other = (Object.keys(COMMAND_OPTIONS) as CommandWithOptions[]).find((c) => c !== command && Object.hasOwn(COMMAND_OPTIONS[c], name));
  if (other !== undefined) return new CliUsageError(`${name} is an option of ${other}, not of ${command}`);
  const names = Object.keys(COMMAND_OPTIONS[command]);
  const guess = suggest(name, names);
  return new CliUsageError(guess !== null ? `unknown option ${name} (did you mean ${guess}?)` : `unknown option ${name}; ${command} accepts ${names.join(', ')}`);
}

/** The value parseArgs found for option `name`, checked against its spec ('' for a flag). */
function optionValue(name: string, spec: OptionSpec, token: { value: string | undefined; inlineValue: boolean | undefined }): string {
  if (spec.type === 'boolean') {
    if (token.inlineValue) throw new CliUsageError(`${name} takes no value; write just ${name}`);
    return '';
  }
  // A value of its own that starts with "--" is the next option: this one was given none.
  if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
    throw new CliUsageError(`${name} needs a value, e.g. ${spec.example}`);
  }
  return token.value;
}

/** The options after the command, name -> values, checked: known to this command, with their values, once unless repeatable. */
function collectOptions(command: CommandWithOptions, args: string[]): Map<string, string[]> {
  const specs = COMMAND_OPTIONS[command];
  const known = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name.slice(2), { type: spec.type, multiple: spec.multiple === true }]));
  // Not strict: an unknown option or a missing value becomes our message, not parseArgs'.
  const { tokens } = parseArgs({ args, options: known, strict: false, allowPositionals: true, tokens: true });
  const found = new Map<string, string[]>();
  for (const token of tokens) {
    if (token.kind === 'positional') {
      throw new CliUsageError(`unexpected argument ${quote(token.value)}; ${command} takes only options (see sd-nearby --help)`);
    }
    const spec = token.kind === 'option' && Object.hasOwn(specs, token.rawName) ? specs[token.rawName] : undefined;
    if (token.kind !== 'option' || spec === undefined) throw unknownOption(command, typedOptionName(args[token.index] ?? ''));
    const value = optionValue(token.rawName, spec, token);
    const list = found.get(token.rawName);
    if (list === undefined) found.set(token.rawName, [value]);
    else if (spec.multiple) list.push(value);
    else throw new CliUsageError(`${token.rawName} is given more than once; give it once`);
  }
  return found;
}

/** help, version, or a mistake before the options; null when `argv` starts with serve, browse or doctor. */
function commandBeforeOptions(argv: string[]): CliCommand | null {
  if (argv.length === 0) return { kind: 'help', text: USAGE, missingCommand: true };
  if (argv[0] === 'account') return { kind: 'account', argv: argv.slice(1) };
  if (argv.some((a) => a === '-h' || a === '--help')) return { kind: 'help', text: USAGE };
  if (argv.includes('--version')) return { kind: 'version' };
  const command = argv[0] ?? 'help';
  if (command === 'help') return { kind: 'help', text: USAGE };
  if (command === 'version') return { kind: 'version' };
  if (command === 'serve' || command === 'browse' || command === 'doctor') return null;
  if (command.startsWith('-')) {
    const guess = suggest(command.split('=')[0] ?? command, GENERAL_OPTIONS);
    if (guess !== null && guess !== command) throw new CliUsageError(`unknown option ${command} (did you mean ${guess}?)`);
    throw new CliUsageError(`the command comes first: sd-nearby serve ${command} … or sd-nearby browse ${command} …`);
  }
  const guess = suggest(command, COMMANDS);
  throw new CliUsageError(
    guess !== null
      ? `unknown command ${quote(command)} (did you mean ${guess}?)`
      : `unknown command ${quote(command)}; the commands are ${COMMANDS.join(', ')}`,
  );
}

function browseCommand(options: Map<string, string[]>): CliCommand {
  const timeout = options.get('--timeout')?.[0];
  return {
    kind: 'browse',
    timeoutSeconds: timeout === undefined ? DEFAULT_BROWSE_TIMEOUT_SECONDS : parseTimeout(timeout),
    json: options.has('--json'),
  };
}

function parseSeconds(raw: string): number {
  const t = raw.trim();
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n) || n < NETWORK_CHECK_MIN_SECONDS || n > NETWORK_CHECK_MAX_SECONDS) {
    throw new CliUsageError(`--seconds expects seconds from ${NETWORK_CHECK_MIN_SECONDS} to ${NETWORK_CHECK_MAX_SECONDS}, got ${quote(raw)}`);
  }
  return n;
}

/** The API token given on the command line, else in the environment; null when neither. */
function givenApiToken(option: string | undefined, env: Record<string, string | undefined>): string | null {
  const envToken = env[API_TOKEN_ENV];
  if (option !== undefined) return parseToken('--api-token', option);
  if (envToken !== undefined && envToken !== '') return parseToken(`$${API_TOKEN_ENV}`, envToken);
  return null;
}

function doctorCommand(options: Map<string, string[]>, env: Record<string, string | undefined>): CliCommand {
  const one = (name: string): string | undefined => options.get(name)?.[0];
  const seconds = one('--seconds');
  const api = one('--api');
  const dataDir = one('--data-dir');
  if (dataDir !== undefined && dataDir.trim() === '') throw new CliUsageError('--data-dir expects a folder, got an empty value');
  return {
    kind: 'doctor',
    seconds: seconds === undefined ? NETWORK_CHECK_DEFAULT_SECONDS : parseSeconds(seconds),
    json: options.has('--json'),
    api: api === undefined ? null : parseHostPort('--api', api),
    apiToken: givenApiToken(one('--api-token'), env),
    dataDir: dataDir ?? null,
  };
}

function serveCommand(options: Map<string, string[]>, env: Record<string, string | undefined>): CliCommand {
  const one = (name: string): string | undefined => options.get(name)?.[0];
  const dataDir = one('--data-dir');
  if (dataDir !== undefined && dataDir.trim() === '') throw new CliUsageError('--data-dir expects a folder, got an empty value');
  const name = one('--name');
  const mode = one('--mode');
  const port = one('--port');
  const api = one('--api');
  const token = one('--api-token');
  const ui = one('--ui');
  const apiToken = givenApiToken(token, env);
  return {
    kind: 'serve',
    dataDir: dataDir ?? null,
    name: name === undefined ? null : parseName('--name', name, DEVICE_NAME_MAX_CHARS, 'a device name'),
    mode: mode === undefined ? null : parseMode(mode),
    port: port !== undefined ? parsePort('--port', port) : env.SD_DOCKER === 'true' ? DOCKER_PORT : null,
    api: api === undefined ? { ...DEFAULT_API } : parseHostPort('--api', api),
    apiToken,
    libraries: (options.get('--library') ?? []).map((n) => parseName('--library', n, LIBRARY_NAME_MAX_CHARS, 'a library name')),
    ui: ui === undefined ? null : parseHostPort('--ui', ui),
    wideArea: parseWideArea(one('--wide-area'), one('--dns-server'), one('--tsig-key')),
    trustIssuers: (options.get('--trust-issuer') ?? []).map(parseIssuerKey),
  };
}

/** --wide-area DOMAIN with its server and key; the server and key mean nothing without a domain. */
function parseWideArea(domain: string | undefined, dnsServer: string | undefined, tsigKey: string | undefined): WideAreaSettings | 'off' | null {
  if (domain === undefined) {
    const orphan = dnsServer !== undefined ? '--dns-server' : tsigKey !== undefined ? '--tsig-key' : null;
    if (orphan !== null) throw new CliUsageError(`${orphan} needs --wide-area DOMAIN (the domain to register in), e.g. --wide-area sd.example.com ${orphan} ...`);
    return null;
  }
  if (domain.trim().toLowerCase() === 'none') {
    if (dnsServer !== undefined || tsigKey !== undefined) throw new CliUsageError('--wide-area none turns wide-area discovery off: give no --dns-server or --tsig-key with it');
    return 'off';
  }
  const checked = checkWideAreaSettings({ domain, dnsServer: dnsServer ?? null, tsigKeyFile: tsigKey ?? null });
  if (!checked.ok) throw new CliUsageError(`--wide-area: ${checked.error}`);
  return checked.value;
}

export function parseCliArgs(argv: string[], env: Record<string, string | undefined>): CliCommand {
  const early = commandBeforeOptions(argv);
  if (early !== null) return early;
  const [command, ...rest] = argv as [CommandWithOptions, ...string[]];
  const options = collectOptions(command, rest);
  if (command === 'browse') return browseCommand(options);
  return command === 'doctor' ? doctorCommand(options, env) : serveCommand(options, env);
}
