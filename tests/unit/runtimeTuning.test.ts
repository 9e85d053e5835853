// A node's process stops V8's tiering at the baseline compiler (src-main/core/runtimeTuning.ts):
// a function hot enough to be optimized by TurboFan in a plain process is not in a tuned one.
// Checked in child processes with V8's own introspection (%GetOptimizationStatus).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(fileURLToPath(new URL('../../src-main/core/runtimeTuning.ts', import.meta.url))).href;
/** V8's optimization status bits (src/runtime/runtime.h, OptimizationStatus). */
const TURBOFANNED = 1 << 4;

function optimizationStatusOfHotFunction(tuned: boolean): number {
  const script = `
    ${tuned ? `const { preferBaselineCompiler } = await import(${JSON.stringify(MODULE)}); preferBaselineCompiler();` : ''}
    function hot(x) { let s = 0; for (let i = 0; i < 100; i++) s += (x * i) % 7; return s; }
    let total = 0;
    for (let i = 0; i < 300000; i++) total += hot(i);
    process.stdout.write(String(eval('%GetOptimizationStatus(hot)')));`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 });
  return Number(out);
}

test('a hot function is optimized by TurboFan in a plain process, and not after preferBaselineCompiler()', () => {
  assert.ok(optimizationStatusOfHotFunction(false) & TURBOFANNED, 'the check itself sees TurboFan at work');
  assert.equal(optimizationStatusOfHotFunction(true) & TURBOFANNED, 0);
});
