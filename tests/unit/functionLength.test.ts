// Issue 10: no function over 80 lines in src-shared, src-main or src-renderer. A function that
// long does several things; each should have a name. Read with the TypeScript parser (functions,
// methods, arrow functions, accessors, constructors), counted from the first line to the last.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../support/nearby.js';

export const FUNCTION_LINES_MAX = 80;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every function-like node of `text` longer than `max` lines: `name (N lines) at line L`. */
export function longFunctions(fileName: string, text: string, max = FUNCTION_LINES_MAX): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      if (last - first + 1 > max) {
        const name = 'name' in node && node.name ? node.name.getText(file) : ts.isArrowFunction(node) || ts.isFunctionExpression(node) ? `(${ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(file) : 'anonymous'})` : 'constructor';
        found.push(`${name} (${last - first + 1} lines) at line ${first}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe(`no function over ${FUNCTION_LINES_MAX} lines`, () => {
  test('the check finds a long function (self-test)', () => {
    const body = Array.from({ length: FUNCTION_LINES_MAX }, (_, i) => `  const x${i} = ${i};`).join('\n');
    assert.deepEqual(longFunctions('a.ts', `function tooLong() {\n${body}\n}\nconst ok = () => 1;\n`), [`tooLong (${FUNCTION_LINES_MAX + 2} lines) at line 1`]);
    assert.deepEqual(longFunctions('a.ts', `class A { m() {\n${body}\n} }`), [`m (${FUNCTION_LINES_MAX + 2} lines) at line 1`]);
  });

  for (const folder of ['src-shared', 'src-main', 'src-renderer']) {
    test(folder, () => {
      const offences = sources(join(REPO_ROOT, folder)).flatMap((path) => longFunctions(path, readFileSync(path, 'utf8')).map((f) => `${relative(REPO_ROOT, path)}: ${f}`));
      assert.deepEqual(offences, []);
    });
  }
});
