// The layout's boundaries (DESIGN §3), checked on the sources: src-shared runs anywhere (no
// electron, no Node builtins), src-main/core and src-main/server are plain Node (no electron), the
// renderer only knows the browser (no Node builtins, no electron), and only src-main/electron
// imports electron; there, only the two entry points load it at runtime.

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
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
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
      sites.push({ file, specifier: node.moduleSpecifier.text, typeOnly: clause?.isTypeOnly === true || allTypeNamed });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      sites.push({ file, specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      sites.push({ file, specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const arg = node.arguments[0]!;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && ts.isStringLiteralLike(arg)) sites.push({ file, specifier: arg.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      sites.push({ file, specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
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
