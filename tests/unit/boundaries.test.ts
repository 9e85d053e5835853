// The layout's boundaries (DESIGN §3), checked on the sources: src-shared runs anywhere (no
// electron, no Node builtins), src-main/core and src-main/server are plain Node (no electron), the
// renderer only knows the browser (no Node builtins, no electron), and only src-main/electron
// imports electron; there, only the two entry points load it at runtime. Between our own folders
// the arrows go one way: the renderer never imports src-main, core imports no shell (electron,
// server) and no renderer, the server no electron, and src-shared only src-shared.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

interface ImportSite {
  file: string;
  /** 1-based line of the import in `file`. */
  line: number;
  specifier: string;
  /** `import type` / `export type`: erased at compile time, loads nothing. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs).sort();
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const p = path.join(abs, entry);
    if (statSync(p).isDirectory()) files.push(...sourceFiles(path.join(dir, entry)));
    else if (/\.(ts|tsx|mts|cts)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(path.join(dir, entry));
  }
  return files;
}

/** Every module a file refers to: import/export declarations, import(), require(), import x = require(). */
function importsOf(file: string): ImportSite[] {
  return importsOfText(file, readFileSync(path.join(ROOT, file), 'utf8'));
}

function importsOfText(file: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
  const add = (node: ts.Node, specifier: string, typeOnly: boolean) =>
    sites.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, specifier, typeOnly });
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const allTypeNamed =
        clause !== undefined &&
        clause.name === undefined &&
        clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier.text, clause?.isTypeOnly === true || allTypeNamed);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      add(node, node.moduleReference.expression.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const arg = node.arguments[0]!;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && ts.isStringLiteralLike(arg)) add(node, arg.text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** The folder of ours (`src-main/core/...`, '/'-separated, from the root) a relative import lands in; null for a package. */
function importTarget(site: ImportSite): string | null {
  if (!site.specifier.startsWith('.')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(toPosix(site.file)), site.specifier));
}

const toPosix = (p: string) => p.split(path.sep).join('/');
const within = (target: string, folder: string) => target === folder || target.startsWith(`${folder}/`);

/** The arrows between our folders that are refused, types included: a type import couples too. */
const REFUSED_ARROWS: Array<{ from: string; refuses: (target: string) => boolean; rule: string }> = [
  { from: 'src-renderer', refuses: (t) => within(t, 'src-main'), rule: 'the renderer reaches the node only through the contract in src-shared, never src-main' },
  {
    from: 'src-main/core',
    refuses: (t) => ['src-main/electron', 'src-main/server', 'src-renderer'].some((folder) => within(t, folder)),
    rule: 'the node (src-main/core) runs under any shell: it imports neither src-main/electron, src-main/server nor src-renderer',
  },
  { from: 'src-main/server', refuses: (t) => within(t, 'src-main/electron'), rule: 'the headless shell (src-main/server) runs without Electron: no import of src-main/electron' },
  { from: 'src-shared', refuses: (t) => !within(t, 'src-shared'), rule: 'src-shared runs on both sides: it imports only src-shared' },
];

/** Each import in `sites` that takes a refused arrow, as `file:line: 'specifier' (rule)`. */
function refusedArrows(sites: ImportSite[]): string[] {
  const bad: string[] = [];
  for (const site of sites) {
    const target = importTarget(site);
    const arrow = REFUSED_ARROWS.find((a) => within(toPosix(site.file), a.from));
    if (target !== null && arrow !== undefined && arrow.refuses(target)) bad.push(`${toPosix(site.file)}:${site.line}: '${site.specifier}' (${arrow.rule})`);
  }
  return bad;
}

const isElectron = (s: string) => s === 'electron' || s.startsWith('electron/');
const isNodeBuiltin = (s: string) => s.startsWith('node:') || BUILTINS.has(s) || BUILTINS.has(s.split('/')[0]!);
const list = (sites: ImportSite[]) => sites.map((s) => `${s.file}: '${s.specifier}'`).join('\n');

const ALL_SOURCE_DIRS = ['src-shared', 'src-main', 'src-renderer', 'bin', 'scripts'];

describe('the boundaries of the layout', () => {
  test('the import scanner sees the forms of import it has to (a self-check)', () => {
    const sites = importsOf('tests/unit/boundaries.test.ts');
    assert.ok(sites.some((s) => s.specifier === 'node:fs' && !s.typeOnly));
    assert.ok(sites.some((s) => s.specifier === 'typescript'));
    assert.ok(sourceFiles('src-shared').length > 0 && sourceFiles('src-main/core').length > 0 && sourceFiles('src-main/electron').length > 0);
  });

  test('the arrow check refuses a bad import, static or dynamic, and names its line (a self-check)', () => {
    const text = [
      "import { ok } from '../../src-shared/peer.js';",
      "import { NearbyNode } from '../../src-main/core/node.js';",
      'export async function later() {',
      "  return import('../../src-main/server/cli.js');",
      '}',
    ].join('\n');
    const bad = refusedArrows(importsOfText(path.join('src-renderer', 'store', 'scratch.ts'), text));
    assert.deepEqual(bad.map((b) => b.split(': ')[0]), ['src-renderer/store/scratch.ts:2', 'src-renderer/store/scratch.ts:4']);
    assert.deepEqual(refusedArrows(importsOfText(path.join('src-main', 'core', 'scratch.ts'), "import type { X } from '../electron/ipc.js';")).length, 1, 'types too');
    assert.deepEqual(refusedArrows(importsOfText(path.join('src-shared', 'scratch.ts'), "import { z } from 'zod';\nimport { y } from './peer.js';")), [], 'packages and src-shared itself are fine');
  });

  for (const arrow of REFUSED_ARROWS) {
    test(`between our folders: ${arrow.rule}`, () => {
      const files = sourceFiles(arrow.from);
      assert.ok(files.length > 0, `no source files under ${arrow.from}: was it moved?`);
      const bad = refusedArrows(files.flatMap(importsOf));
      assert.equal(bad.length, 0, `refused imports:\n${bad.join('\n')}`);
    });
  }

  test('src-shared imports neither electron nor any Node builtin', () => {
    const bad = sourceFiles('src-shared').flatMap(importsOf).filter((s) => isElectron(s.specifier) || isNodeBuiltin(s.specifier));
    assert.equal(bad.length, 0, `src-shared must run in the renderer too:\n${list(bad)}`);
  });

  test('src-main/core and src-main/server never import electron (not even its types)', () => {
    const bad = [...sourceFiles('src-main/core'), ...sourceFiles('src-main/server')].flatMap(importsOf).filter((s) => isElectron(s.specifier));
    assert.equal(bad.length, 0, `the node and the headless shell run without Electron:\n${list(bad)}`);
  });

  test('the renderer imports no Node builtin and no electron (not even types)', () => {
    const bad = sourceFiles('src-renderer').flatMap(importsOf).filter((s) => isElectron(s.specifier) || isNodeBuiltin(s.specifier));
    assert.equal(bad.length, 0, `the renderer talks to the node only through the contract:\n${list(bad)}`);
  });

  test('only src-main/electron imports electron', () => {
    const files = ALL_SOURCE_DIRS.flatMap(sourceFiles).filter((f) => !f.startsWith(`src-main${path.sep}electron${path.sep}`));
    const bad = files.flatMap(importsOf).filter((s) => isElectron(s.specifier));
    assert.equal(bad.length, 0, list(bad));
  });

  test('in src-main/electron only main.ts and preload.ts load electron at runtime (the rest is testable without it)', () => {
    const runtime = sourceFiles('src-main/electron').flatMap(importsOf).filter((s) => isElectron(s.specifier) && !s.typeOnly);
    const files = [...new Set(runtime.map((s) => path.basename(s.file)))].sort();
    assert.deepEqual(files, ['main.ts', 'preload.ts']);
  });

  test('the preload and what it imports load nothing but electron at runtime (a sandboxed preload cannot require)', () => {
    const seen = new Set<string>();
    const runtimeBare: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const site of importsOf(file)) {
        if (site.typeOnly) continue;
        if (site.specifier.startsWith('.')) walk(path.join(path.dirname(file), site.specifier.replace(/\.js$/, '.ts')));
        else runtimeBare.push(site.specifier);
      }
    };
    walk(path.join('src-main', 'electron', 'preload.ts'));
    assert.deepEqual([...new Set(runtimeBare)], ['electron']);
  });
});
