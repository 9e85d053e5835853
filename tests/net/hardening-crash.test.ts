// Issue 6, hardening point 3 (last part): a node killed 200 times in the middle of settings writes
// never leaves a file it cannot read. A writer process (support/settingsWriterMain.mjs, the
// node's own SettingsStore and LibraryStore, no discovery and no socket, so no namespace is needed)
// rewrites settings.json and libraries.json in a loop and is SIGKILLed at a random moment; after
// each kill both files load without a problem, and hold what the writer last wrote, or what it
// was writing when it died: never a mix, never something older.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, sleep, tempDataDir } from '../support/nearby.js';
import { exclusively, Report } from '../support/hardening.js';
import { createRng, seedFromEnv } from '../support/prng.js';
import { SettingsStore } from '../../src-main/core/storage/settings.js';
import { LibraryStore } from '../../src-main/core/storage/libraries.js';

const KILLS = 200;
const LANES = 2; // writers killed side by side, each in its own data directory
const KILL_WITHIN_MS = 40;
const WRITER = join(REPO_ROOT, 'tests/support/settingsWriterMain.mjs');

interface Log {
  lines: string[];
  ready: boolean;
}

/** What the writer does to the library list for its operation `i` (see settingsWriterMain.mjs). */
function applyLibraryOp(names: string[], name: string, i: number): string[] {
  const next = [...names];
  if (next.length < 6) next.push(name);
  else next[i % next.length] = name;
  return next;
}

function lastOf(lines: string[], prefix: string): string | null {
  for (let k = lines.length - 1; k >= 0; k--) if (lines[k]!.startsWith(prefix)) return lines[k]!.slice(prefix.length);
  return null;
}

const indexOf = (value: string) => Number(value.split('-').at(-1));

describe('hardening: killed in the middle of settings writes', () => {
  const report = new Report('crash');
  after(() => report.print());

  test(`${KILLS} SIGKILLs during writes never leave a settings or libraries file that cannot be read`, async () => {
    const seed = seedFromEnv();
    const rng = createRng(seed);
    report.add(`seed ${seed}`);
    const stats = { kills: 0, midWrite: 0, leftTemp: 0, settingsNewer: 0, librariesNewer: 0, writes: 0 };
    let t0 = Date.now();

    const lane = async (laneNo: number, kills: number) => {
      const dataDir = tempDataDir(`crash${laneNo}`);
      let prevLibraries: string[] = [];
      let prevName: string | null = null;
      for (let round = 0; round < kills; round++) {
        const child = spawn(process.execPath, [WRITER, dataDir, `${laneNo}.${round}`], { stdio: ['ignore', 'pipe', 'pipe'] });
        const log: Log = { lines: [], ready: false };
        let buffered = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          buffered += d;
          const parts = buffered.split('\n');
          buffered = parts.pop() ?? '';
          for (const line of parts) {
            log.lines.push(line);
            if (line === 'ready') log.ready = true;
          }
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
        const start = Date.now();
        while (!log.ready) {
          assert.equal(child.exitCode, null, `the writer exited before it was ready: ${stderr}`);
          assert.ok(Date.now() - start < 10_000, 'the writer did not start within 10 s');
          await sleep(2);
        }
        assert.ok(!log.lines.some((l) => l.startsWith('problem')), `the writer found a bad file at its start: ${log.lines.join('\n')}`);
        await sleep(rng() * KILL_WITHIN_MS);
        child.kill('SIGKILL');
        await exited;
        stats.kills++;

        // What the kill left behind, before anything tidies it up.
        const temps = readdirSync(dataDir).filter((f) => f.endsWith('.tmp'));
        if (temps.length > 0) stats.leftTemp++;
        const lines = log.lines;
        const begunSettings = lastOf(lines, 'begin settings ');
        const doneSettings = lastOf(lines, 'done settings ');
        const begunLibraries = lastOf(lines, 'begin libraries ');
        const doneLibraries = lastOf(lines, 'done libraries ');
        const inSettingsWrite = begunSettings !== null && begunSettings !== doneSettings;
        const inLibrariesWrite = begunLibraries !== null && begunLibraries !== doneLibraries;
        if (inSettingsWrite || inLibrariesWrite) stats.midWrite++;
        stats.writes += lines.filter((l) => l.startsWith('done ')).length;

        // Both files load without a problem (a problem would also move them aside).
        const settings = await SettingsStore.load(dataDir);
        const libraries = await LibraryStore.load(dataDir);
        const where = `lane ${laneNo}, kill ${round + 1} (${temps.length} temp files left; last lines ${JSON.stringify(lines.slice(-3))})`;
        assert.equal(settings.problem, null, `settings.json after ${where}: ${settings.problem}`);
        assert.equal(libraries.problem, null, `libraries.json after ${where}: ${libraries.problem}`);
        assert.deepEqual(readdirSync(dataDir).filter((f) => f.includes('.corrupt-')), [], `nothing set aside after ${where}`);
        assert.deepEqual(readdirSync(dataDir).filter((f) => f.endsWith('.tmp')), [], `the dead writer's temp files are cleared on load after ${where}`);

        // settings.json holds the last completed write, or the one under way: whole, never older.
        const s = settings.get();
        const allowed: Array<string | null> = [doneSettings ?? prevName ?? s.name, ...(inSettingsWrite ? [begunSettings] : [])]; // before any write: the defaults
        assert.ok(allowed.includes(s.name), `settings name ${s.name} after ${where}; allowed ${JSON.stringify(allowed)}`);
        if (/^r\d+\.\d+-\d+$/.test(s.name)) {
          const i = indexOf(s.name);
          assert.equal(s.discovery, i % 2 === 0 ? 'everyone' : 'disabled', `settings of write ${s.name} are whole (discovery) after ${where}`);
          assert.equal(s.manualPeers.length, i % 7, `settings of write ${s.name} are whole (manual peers) after ${where}`);
        }
        if (inSettingsWrite && s.name === begunSettings) stats.settingsNewer++;

        // libraries.json: the list after the last completed change, or after the one under way.
        const names = libraries.list().map((l) => l.name);
        let expected = prevLibraries;
        for (const line of lines.filter((l) => l.startsWith('done libraries '))) {
          const name = line.slice('done libraries '.length);
          expected = applyLibraryOp(expected, name, indexOf(name));
        }
        const candidates = [expected, ...(inLibrariesWrite ? [applyLibraryOp(expected, begunLibraries!, indexOf(begunLibraries!))] : [])];
        assert.ok(candidates.some((c) => JSON.stringify(c) === JSON.stringify(names)), `libraries ${JSON.stringify(names)} after ${where}; expected one of ${JSON.stringify(candidates)}`);
        if (inLibrariesWrite && JSON.stringify(names) !== JSON.stringify(expected)) stats.librariesNewer++;
        prevLibraries = names;
        prevName = s.name;
      }
    };

    await exclusively('cpu', () => {
      t0 = Date.now(); // not the wait for the lock
      return Promise.all(Array.from({ length: LANES }, (_, k) => lane(k, KILLS / LANES)));
    });
    report.add(`${stats.kills} kills in ${Date.now() - t0} ms (${LANES} writers side by side, each killed ${KILL_WITHIN_MS / 2} ms on average after it was ready); ${stats.writes} writes completed in all`);
    report.add(`${stats.midWrite} kills came while a write was under way (${stats.settingsNewer} left the settings write that was under way, ${stats.librariesNewer} the libraries write); ${stats.leftTemp} left a temp file behind (cleared at the next load); every file read back whole`);
    assert.equal(stats.kills, KILLS);
    // The test proves something only if kills land in the middle of writes.
    assert.ok(stats.midWrite >= KILLS / 2, `only ${stats.midWrite} of ${KILLS} kills came during a write`);
  });
});
