import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CliUsageError, HELP_WIDTH_COLUMNS, optionNames, parseCliArgs, USAGE, wrapWords, type CliCommand } from '../../src-main/server/cliArgs.js';
import { REPO_ROOT } from '../support/nearby.js';

const noEnv: Record<string, string | undefined> = {};

function serve(argv: string[], env = noEnv): Extract<CliCommand, { kind: 'serve' }> {
  const cmd = parseCliArgs(['serve', ...argv], env);
  assert.equal(cmd.kind, 'serve');
  return cmd as Extract<CliCommand, { kind: 'serve' }>;
}

function usageError(argv: string[], message: string | RegExp, env = noEnv): void {
  assert.throws(
    () => parseCliArgs(argv, env),
    (err: unknown) => {
      assert.ok(err instanceof CliUsageError, `expected CliUsageError, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      assert.ok(!err.message.includes('\n'), 'the message is one line');
      return true;
    },
    `argv ${JSON.stringify(argv)}`,
  );
}

describe('help and version', () => {
  test('no arguments, help, -h and --help give the usage', () => {
    for (const argv of [['help'], ['-h'], ['--help'], ['serve', '--help'], ['browse', '-h'], ['serve', '--prot', '1', '--help']]) {
      const cmd = parseCliArgs(argv, noEnv);
      assert.deepEqual(cmd, { kind: 'help', text: USAGE }, JSON.stringify(argv));
    }
    // No command at all is a mistake, not a request for help: the usage, but as an error.
    assert.deepEqual(parseCliArgs([], noEnv), { kind: 'help', text: USAGE, missingCommand: true });
  });

  test('the usage lists every command and flag', () => {
    for (const word of ['serve', 'browse', 'help', 'version', '--data-dir', '--name', '--mode', '--port', '--api', '--api-token', '--library', '--ui', '--timeout', '--json', '--help', '--version', 'SD_DOCKER', 'contacts-only']) {
      assert.ok(USAGE.includes(word), word);
    }
  });

  test('the usage fits an 80-column terminal: no line is longer, so the terminal breaks none inside a word', () => {
    const long = USAGE.split('\n').filter((line) => line.length > HELP_WIDTH_COLUMNS);
    assert.equal(HELP_WIDTH_COLUMNS, 80);
    assert.deepEqual(long, []);
  });

  test('descriptions are wrapped between words: each line as full as the next word allows, nothing lost or cut', () => {
    const text = 'address of the HTTP API for scripts (default: 127.0.0.1 on a free port; IPv6 as [::1]:PORT; "none" turns the API off)';
    for (const width of [20, 37, 59]) {
      const lines = wrapWords(text, width);
      assert.equal(lines.join(' '), text, 'the words, in order, none split');
      for (const [i, line] of lines.entries()) {
        assert.ok(line.length <= width, `${JSON.stringify(line)} is over ${width}`);
        const next = lines[i + 1];
        if (next !== undefined) assert.ok(line.length + 1 + next.split(' ')[0]!.length > width, `the next word fitted on ${JSON.stringify(line)}`);
      }
    }
    assert.deepEqual(wrapWords('a unix:/a/very/long/socket/path b', 10), ['a', 'unix:/a/very/long/socket/path', 'b'], 'a word longer than the width stands alone, whole');
  });

  test("every option the parser knows is in the README's usage block", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const block = /```\n(sd-nearby serve [\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block !== undefined, "README has a usage block starting with 'sd-nearby serve'");
    for (const command of ['serve', 'browse'] as const) {
      const start = block.indexOf(`sd-nearby ${command}`);
      const line = block.slice(start, command === 'serve' ? block.indexOf('sd-nearby browse') : undefined);
      for (const option of optionNames(command)) assert.match(line, new RegExp(`\\[${option}[ \\]]`), `${command} ${option}`);
    }
  });

  test('--version and version', () => {
    assert.deepEqual(parseCliArgs(['--version'], noEnv), { kind: 'version' });
    assert.deepEqual(parseCliArgs(['version'], noEnv), { kind: 'version' });
    assert.deepEqual(parseCliArgs(['serve', '--version'], noEnv), { kind: 'version' });
  });
});

describe('serve', () => {
  test('defaults', () => {
    assert.deepEqual(serve([]), {
      kind: 'serve',
      dataDir: null,
      name: null,
      mode: null,
      port: null,
      api: { host: '127.0.0.1', port: 0 },
      apiToken: null,
      libraries: [],
      ui: null,
      wideArea: null,
      trustIssuers: [],
    });
  });

  test('every flag, as "--flag value" and "--flag=value"', () => {
    const token = 'abcdefghijklmnopqrstuvwxyz012345';
    const issuer = 'UNogXNfAJRmmDiA+szlD5WG/QPzMuDSZtooRuh0TC+A';
    const spaced = serve([
      '--data-dir', '/var/lib/sd', '--name', 'Living room NAS', '--mode', 'contacts-only', '--port', '4000',
      '--api', '127.0.0.1:7374', '--api-token', token, '--library', 'Photos', '--library', 'Music', '--ui', 'localhost:8080',
      '--wide-area', 'sd.example.com', '--dns-server', '[2001:db8::53]:5300', '--tsig-key', '/etc/sd/update.key',
      '--trust-issuer', issuer,
    ]);
    const joined = serve([
      '--data-dir=/var/lib/sd', '--name=Living room NAS', '--mode=contacts-only', '--port=4000',
      '--api=127.0.0.1:7374', `--api-token=${token}`, '--library=Photos', '--library=Music', '--ui=localhost:8080',
      '--wide-area=sd.example.com', '--dns-server=[2001:db8::53]:5300', '--tsig-key=/etc/sd/update.key',
      `--trust-issuer=${issuer}`,
    ]);
    const expected = {
      kind: 'serve',
      dataDir: '/var/lib/sd',
      name: 'Living room NAS',
      mode: 'contacts-only',
      port: 4000,
      api: { host: '127.0.0.1', port: 7374 },
      apiToken: token,
      libraries: ['Photos', 'Music'],
      ui: { host: 'localhost', port: 8080 },
      wideArea: { domain: 'sd.example.com', dnsServer: '[2001:db8::53]:5300', tsigKeyFile: '/etc/sd/update.key' },
      trustIssuers: [issuer],
    };
    assert.deepEqual(spaced, expected);
    assert.deepEqual(joined, expected);
  });

  test('a value may contain "=" and start with a single dash', () => {
    assert.equal(serve(['--name=a=b']).name, 'a=b');
    assert.equal(serve(['--name', '-x-']).name, '-x-');
    assert.equal(serve(['--api-token', '-abcdefghijklmnopq']).apiToken, '-abcdefghijklmnopq');
  });

  test('--wide-area: a DNS name; none turns it off; the server and key need it', () => {
    assert.deepEqual(serve(['--wide-area', 'Sd.Example.com.']).wideArea, { domain: 'Sd.Example.com', dnsServer: null, tsigKeyFile: null });
    assert.equal(serve(['--wide-area', 'none']).wideArea, 'off');
    assert.deepEqual(serve(['--wide-area', 'sd.test', '--dns-server', '10.1.2.3']).wideArea, { domain: 'sd.test', dnsServer: '10.1.2.3', tsigKeyFile: null });
    usageError(['serve', '--dns-server', '10.1.2.3'], /^--dns-server needs --wide-area DOMAIN/);
    usageError(['serve', '--tsig-key', 'k.key'], /^--tsig-key needs --wide-area DOMAIN/);
    usageError(['serve', '--wide-area', 'bad domain!'], /^--wide-area: the wide-area domain "bad domain!" is not a DNS name/);
    usageError(['serve', '--wide-area', 'home.local'], /cannot be \.local/);
    usageError(['serve', '--wide-area', 'sd.test', '--dns-server', '10.1.2.3:99999'], /port is 1 to 65535/);
    usageError(['serve', '--wide-area', 'sd.test', '--dns-server', 'a b'], /a DNS server is HOST or HOST:PORT/);
    usageError(['serve', '--wide-area', 'none', '--dns-server', '10.1.2.3'], /turns wide-area discovery off/);
  });

  test('--mode is case-insensitive', () => {
    assert.equal(serve(['--mode', 'EVERYONE']).mode, 'everyone');
    assert.equal(serve(['--mode', 'Contacts-Only']).mode, 'contacts-only');
    assert.equal(serve(['--mode=disabled']).mode, 'disabled');
  });

  test('--port: 1..65535, 0 = random', () => {
    assert.equal(serve(['--port', '1']).port, 1);
    assert.equal(serve(['--port', '65535']).port, 65535);
    assert.equal(serve(['--port', '0']).port, 0);
  });

  test('SD_DOCKER=true makes the port 7373 unless --port is given', () => {
    assert.equal(serve([], { SD_DOCKER: 'true' }).port, 7373);
    assert.equal(serve(['--port', '9000'], { SD_DOCKER: 'true' }).port, 9000);
    assert.equal(serve(['--port', '0'], { SD_DOCKER: 'true' }).port, 0);
    assert.equal(serve([], { SD_DOCKER: 'false' }).port, null);
    assert.equal(serve([], { SD_DOCKER: undefined }).port, null);
  });

  test('--api forms', () => {
    assert.deepEqual(serve(['--api', '127.0.0.1:0']).api, { host: '127.0.0.1', port: 0 });
    assert.deepEqual(serve(['--api', '0.0.0.0:7374']).api, { host: '0.0.0.0', port: 7374 });
    assert.deepEqual(serve(['--api', '[::1]:7374']).api, { host: '::1', port: 7374 });
    assert.deepEqual(serve(['--api', '[::]:7374']).api, { host: '::', port: 7374 });
    assert.deepEqual(serve(['--api', 'LOCALHOST:80']).api, { host: 'localhost', port: 80 });
    assert.equal(serve(['--api', 'none']).api, null);
    assert.equal(serve(['--api=NONE']).api, null);
  });

  test('--ui forms', () => {
    assert.deepEqual(serve(['--ui', '[::1]:8080']).ui, { host: '::1', port: 8080 });
    assert.equal(serve(['--ui', 'none']).ui, null);
  });

  test('--api-token from the environment, the flag wins', () => {
    const envToken = 'from-the-environment-123';
    assert.equal(serve([], { SD_NEARBY_API_TOKEN: envToken }).apiToken, envToken);
    assert.equal(serve(['--api-token', 'from-the-flag-1234567'], { SD_NEARBY_API_TOKEN: envToken }).apiToken, 'from-the-flag-1234567');
    assert.equal(serve([], { SD_NEARBY_API_TOKEN: '' }).apiToken, null);
  });

  test('--name and --library are trimmed', () => {
    assert.equal(serve(['--name', '  Desk  ']).name, 'Desk');
    assert.deepEqual(serve(['--library', ' Photos ']).libraries, ['Photos']);
    assert.equal(serve(['--name', 'x'.repeat(64)]).name, 'x'.repeat(64));
  });
});

describe('browse', () => {
  test('defaults', () => {
    assert.deepEqual(parseCliArgs(['browse'], noEnv), { kind: 'browse', timeoutSeconds: 5, json: false });
  });
  test('--timeout and --json', () => {
    assert.deepEqual(parseCliArgs(['browse', '--timeout', '10', '--json'], noEnv), { kind: 'browse', timeoutSeconds: 10, json: true });
    assert.deepEqual(parseCliArgs(['browse', '--timeout=0.1'], noEnv), { kind: 'browse', timeoutSeconds: 0.1, json: false });
    assert.deepEqual(parseCliArgs(['browse', '--timeout', '3600'], noEnv), { kind: 'browse', timeoutSeconds: 3600, json: false });
    assert.deepEqual(parseCliArgs(['browse', '--timeout', '2.5'], noEnv), { kind: 'browse', timeoutSeconds: 2.5, json: false });
  });
});

describe('doctor', () => {
  test('defaults: alone, 10 s, people-readable', () => {
    assert.deepEqual(parseCliArgs(['doctor'], noEnv), { kind: 'doctor', seconds: 10, json: false, api: null, apiToken: null, dataDir: null });
  });
  test('--seconds, --json, and a running node through its API', () => {
    assert.deepEqual(parseCliArgs(['doctor', '--seconds', '3', '--json', '--api', 'unix:/run/n.sock'], noEnv), {
      kind: 'doctor',
      seconds: 3,
      json: true,
      api: { host: 'localhost', port: 0, socketPath: '/run/n.sock' },
      apiToken: null,
      dataDir: null,
    });
    const withToken = parseCliArgs(['doctor', '--api', '127.0.0.1:7374', '--data-dir', '/d'], { SD_NEARBY_API_TOKEN: 'a'.repeat(20) });
    assert.deepEqual(withToken, { kind: 'doctor', seconds: 10, json: false, api: { host: '127.0.0.1', port: 7374 }, apiToken: 'a'.repeat(20), dataDir: '/d' });
  });
  test('mistakes say what to write', () => {
    usageError(['doctor', '--seconds', '0'], '--seconds expects seconds from 1 to 60, got "0"');
    usageError(['doctor', '--seconds', '61'], '--seconds expects seconds from 1 to 60, got "61"');
    usageError(['doctor', '--timeout', '5'], '--timeout is an option of browse, not of doctor');
    usageError(['doctor', '--secnds', '5'], 'unknown option --secnds (did you mean --seconds?)');
    usageError(['doctr'], 'unknown command "doctr" (did you mean doctor?)');
  });
  test('the usage names doctor and its options', () => {
    for (const word of ['doctor', '--seconds']) assert.ok(USAGE.includes(word), word);
  });
});

describe('usage errors', () => {
  test('commands', () => {
    usageError(['serv'], 'unknown command "serv" (did you mean serve?)');
    usageError(['brwose'], 'unknown command "brwose" (did you mean browse?)');
    usageError(['launch'], 'unknown command "launch"; the commands are serve, browse, doctor, account, help, version');
    usageError(['--port', '5'], 'the command comes first: sd-nearby serve --port … or sd-nearby browse --port …');
    usageError(['--verison'], 'unknown option --verison (did you mean --version?)');
  });

  test('unknown options, with a suggestion when close', () => {
    usageError(['serve', '--prot', '1'], 'unknown option --prot (did you mean --port?)');
    usageError(['serve', '--nmae=x'], 'unknown option --nmae (did you mean --name?)');
    usageError(['serve', '--lib', 'x'], 'unknown option --lib (did you mean --library?)');
    usageError(['serve', '--datadir', 'x'], 'unknown option --datadir (did you mean --data-dir?)');
    usageError(['serve', '--frobnicate'], /^unknown option --frobnicate; serve accepts --data-dir, --name, --mode, --port, --api, --api-token, --library, --ui, --wide-area, --dns-server, --tsig-key, --trust-issuer$/);
    usageError(['serve', '-p', '1'], /^unknown option -p; serve accepts /);
    usageError(['browse', '--jsno'], 'unknown option --jsno (did you mean --json?)');
  });

  test('an option of the other command', () => {
    usageError(['browse', '--port', '1'], '--port is an option of serve, not of browse');
    usageError(['serve', '--timeout', '1'], '--timeout is an option of browse, not of serve');
  });

  test('stray arguments', () => {
    usageError(['serve', 'now'], 'unexpected argument "now"; serve takes only options (see sd-nearby --help)');
    usageError(['browse', '-'], /^unexpected argument "-"/);
  });

  test('missing values', () => {
    usageError(['serve', '--port'], '--port needs a value, e.g. --port 7373');
    usageError(['serve', '--name', '--mode', 'everyone'], '--name needs a value, e.g. --name "Living room NAS"');
    usageError(['serve', '--api'], '--api needs a value, e.g. --api 127.0.0.1:7374');
    usageError(['browse', '--timeout'], '--timeout needs a value, e.g. --timeout 5');
    usageError(['serve', '--library'], '--library needs a value, e.g. --library Photos');
    usageError(['browse', '--json=yes'], '--json takes no value; write just --json');
  });

  test('repeated options', () => {
    usageError(['serve', '--port', '1', '--port', '2'], '--port is given more than once; give it once');
  });

  test('bad port numbers', () => {
    for (const bad of ['99999', '65536', 'abc', '-1', '1.5', '1e3', '', '0x10', '123456']) {
      usageError(['serve', '--port', bad], `--port expects a number from 1 to 65535, got ${JSON.stringify(bad)}`);
    }
  });

  test('bad --mode', () => {
    usageError(['serve', '--mode', 'all'], '--mode expects everyone, contacts-only or disabled, got "all"');
  });

  test('bad --name / --library', () => {
    usageError(['serve', '--name', '   '], '--name expects a device name of 1 to 64 characters, got an empty one');
    usageError(['serve', '--name', 'x'.repeat(65)], '--name expects a device name of 1 to 64 characters, got 65');
    usageError(['serve', '--library', ''], '--library expects a library name of 1 to 64 characters, got an empty one');
    usageError(['serve', '--data-dir', ''], '--data-dir expects a folder, got an empty value');
  });

  test('bad --api / --ui', () => {
    usageError(['serve', '--api', 'example.com:80'], /^--api expects HOST:PORT with HOST an IPv4 address, a \[bracketed\] IPv6 address or localhost .*got "example.com:80"$/);
    usageError(['serve', '--api', '127.0.0.1'], '--api needs a port after the host, e.g. --api 127.0.0.1:7374 (port 0 picks a free one)');
    usageError(['serve', '--api', '::1:7374'], '--api: put an IPv6 address in brackets, e.g. --api [::1]:7374; got "::1:7374"');
    usageError(['serve', '--api', '[nope]:1'], /^--api expects HOST:PORT/);
    usageError(['serve', '--api', '127.0.0.1:99999'], '--api expects a port from 1 to 65535 (or 0 for a free one) after the host, got "127.0.0.1:99999"');
    usageError(['serve', '--api', '256.1.1.1:80'], /^--api expects HOST:PORT/);
    usageError(['serve', '--ui', 'x'], '--ui needs a port after the host, e.g. --ui x:7374 (port 0 picks a free one)');
  });

  test('bad --api-token', () => {
    usageError(['serve', '--api-token', 'short'], '--api-token expects at least 16 characters, got 5');
    usageError(['serve', '--api-token', 'has spaces in it, quite long'], '--api-token expects printable ASCII characters without spaces');
    usageError(['serve'], '$SD_NEARBY_API_TOKEN expects at least 16 characters, got 3', { SD_NEARBY_API_TOKEN: 'abc' });
  });

  test('bad --timeout', () => {
    usageError(['browse', '--timeout', 'abc'], '--timeout expects seconds, got "abc"');
    usageError(['browse', '--timeout', '-1'], '--timeout expects seconds, got "-1"');
    usageError(['browse', '--timeout', '0'], '--timeout expects seconds from 0.1 to 3600, got "0"');
    usageError(['browse', '--timeout', '3601'], '--timeout expects seconds from 0.1 to 3600, got "3601"');
    usageError(['browse', '--timeout', 'Infinity'], '--timeout expects seconds, got "Infinity"');
  });
});
