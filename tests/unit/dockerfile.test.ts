// Docker cannot run on these machines: the Dockerfile is checked as text, and its command line
// through the CLI's own parser. (SD_DOCKER=true -> port 7373 is tested for real in
// tests/net/persistence.test.ts.)

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseCliArgs } from '../../src-main/server/cliArgs.js';
import { REPO_ROOT } from '../support/nearby.js';

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = (m[1] ?? '').toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: (m[2] ?? '').trim(), stage });
  }
  return out;
}

function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1] ?? ''] = (m[2] ?? '').replace(/^"|"$/g, '');
  }
  return env;
}

const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const finalStage = Math.max(...dockerfile.map((i) => i.stage));
const final = dockerfile.filter((i) => i.stage === finalStage);

describe('Dockerfile of the headless node', () => {
  test('builds on node:20-slim with npm ci from the lock file', () => {
    const froms = dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    assert.ok(froms.length > 0 && froms.every((f) => f === 'node:20-slim'), froms.join(', '));
    assert.ok(dockerfile.some((i) => i.op === 'COPY' && i.args.includes('package-lock.json')));
    assert.ok(dockerfile.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)));
    assert.ok(dockerfile.some((i) => i.op === 'RUN' && /build:node/.test(i.args)));
  });

  test('the final image: SD_DOCKER=true, the data directory a volume, 7373/tcp and 5353/udp exposed', () => {
    const env = envOf(final);
    assert.equal(env.SD_DOCKER, 'true');
    assert.ok(final.some((i) => i.op === 'VOLUME' && i.args.split(/\s+/).includes('/data')));
    const exposed = final.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    assert.ok(exposed.includes('7373/tcp'), exposed.join(' '));
    assert.ok(exposed.includes('5353/udp'), exposed.join(' '));
    assert.ok(final.some((i) => i.op === 'USER' && i.args !== 'root'), 'does not run as root');
  });

  test('its command is a valid `serve` with the data in /data, the P2P port 7373 and the API beyond loopback', () => {
    const entry = JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    const cmd = JSON.parse(final.find((i) => i.op === 'CMD')?.args ?? '[]') as string[];
    assert.deepEqual(entry, ['node', 'bin/sd-nearby.js']);
    const parsed = parseCliArgs(cmd, envOf(final));
    assert.equal(parsed.kind, 'serve');
    if (parsed.kind !== 'serve') return;
    assert.equal(parsed.dataDir, '/data');
    assert.equal(parsed.port, 7373, 'SD_DOCKER=true gives port 7373');
    assert.equal(parsed.api?.host, '0.0.0.0');
    assert.ok(existsSync(join(REPO_ROOT, entry[1] ?? '')), 'the entry point exists');
  });

  test('.dockerignore keeps build output and local modules out of the context', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(p), `${p} is ignored`);
  });

  test('every file the build copies exists', () => {
    for (const i of dockerfile.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
      const parts = i.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) assert.ok(existsSync(join(REPO_ROOT, src)), `COPY ${src}`);
    }
  });
});
