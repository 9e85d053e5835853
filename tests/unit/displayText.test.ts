import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DISPLAY_NAME_MAX_CHARS, nameLookalikeKey, toDisplayText } from '../../src-shared/displayText.js';

describe('toDisplayText', () => {
  test('plain text is unchanged', () => {
    assert.equal(toDisplayText('Oscars Laptop'), 'Oscars Laptop');
    assert.equal(toDisplayText('Küche 🍳 Server'), 'Küche 🍳 Server');
    assert.equal(toDisplayText('日本語のデバイス'), '日本語のデバイス');
  });

  test('the right-to-left override U+202E is removed ("gpj.exe" trick)', () => {
    assert.equal(toDisplayText('photo\u202egpj.exe'), 'photogpj.exe');
  });

  test('every bidi embedding, override, isolate and mark is removed', () => {
    const bidi = ['\u200e', '\u200f', '\u061c', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
    for (const ch of bidi) assert.equal(toDisplayText(`a${ch}b`), 'ab', `U+${ch.codePointAt(0)!.toString(16)}`);
  });

  test('C0 and C1 control characters and DEL are removed', () => {
    for (let cp = 0; cp <= 0x1f; cp++) {
      const expected = cp >= 0x09 && cp <= 0x0d ? 'a b' : 'ab'; // tab and line breaks separate words
      assert.equal(toDisplayText(`a${String.fromCharCode(cp)}b`), expected, `U+${cp.toString(16)}`);
    }
    for (let cp = 0x7f; cp <= 0x9f; cp++) assert.equal(toDisplayText(`a${String.fromCharCode(cp)}b`), 'ab', `U+${cp.toString(16)}`);
    assert.equal(toDisplayText('\u001b[31mred\u001b[0m'), '[31mred[0m', 'ANSI escapes lose their ESC');
  });

  test('invisible characters (zero width space, BOM, soft hyphen, word joiner) are removed', () => {
    assert.equal(toDisplayText('a\u200bb\ufeffc\u00add\u2060e'), 'abcde');
  });

  test('every format character goes: tag characters, Arabic number signs, interlinear annotations', () => {
    assert.equal(toDisplayText('a\u{e0041}\u{e007f}b\u0600c\ufff9d'), 'abcd');
  });

  test('emoji sequences keep their joiners and variation selectors', () => {
    assert.equal(toDisplayText('\u{1f468}\u200d\u{1f469}\u200d\u{1f467} \u2764\ufe0f'), '\u{1f468}\u200d\u{1f469}\u200d\u{1f467} \u2764\ufe0f');
  });

  test('whitespace runs collapse and the ends are trimmed', () => {
    assert.equal(toDisplayText('   My    Device   '), 'My Device');
    assert.equal(toDisplayText('a\u00a0\u3000b'), 'a b');
  });

  test('only invisible or control characters gives an empty string', () => {
    assert.equal(toDisplayText('\u202e\u0000\u200b   '), '');
    assert.equal(toDisplayText(''), '');
  });

  test('NFC normalisation: composed and decomposed spellings match', () => {
    assert.equal(toDisplayText('Cafe\u0301'), 'Café');
    assert.equal(toDisplayText('Cafe\u0301'), toDisplayText('Caf\u00e9'));
  });

  test(`long text is capped at ${DISPLAY_NAME_MAX_CHARS} code points, ending with an ellipsis`, () => {
    const out = toDisplayText('x'.repeat(200));
    assert.equal(Array.from(out).length, DISPLAY_NAME_MAX_CHARS);
    assert.equal(out, 'x'.repeat(DISPLAY_NAME_MAX_CHARS - 1) + '…');
  });

  test('text of exactly the limit is not cut', () => {
    const exact = 'y'.repeat(DISPLAY_NAME_MAX_CHARS);
    assert.equal(toDisplayText(exact), exact);
  });

  test('the cap counts code points, so emoji are not split', () => {
    const out = toDisplayText('😀'.repeat(100), 10);
    assert.equal(out, '😀'.repeat(9) + '…');
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(out), 'no lone surrogate');
    assert.doesNotMatch(toDisplayText('a😀'.repeat(50), 6), /[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  test('a custom cap works and a space before the ellipsis is trimmed', () => {
    assert.equal(toDisplayText('abcd efgh', 6), 'abcd…');
    assert.equal(toDisplayText('abcdefgh', 1000), 'abcdefgh');
  });

  test('the cap applies after cleaning: removed characters do not count', () => {
    const text = '\u202e'.repeat(100) + 'short';
    assert.equal(toDisplayText(text), 'short');
  });
});

describe('nameLookalikeKey (issue 11): names a person would take for the same', () => {
  test('case, spacing, invisible characters, full-width forms and lookalike letters of other scripts do not tell names apart', () => {
    const bob = nameLookalikeKey('Bob');
    for (const alike of ['bob', 'BOB', ' Bob ', 'B ob', 'Bo\u200bb', 'Ｂｏｂ', 'Воb', 'Bοb', 'B0b', 'Bob\u202e']) assert.equal(nameLookalikeKey(alike), bob, alike);
  });

  test('different names stay different', () => {
    for (const other of ['Bobby', 'Rob', 'Bob 2', 'Alice']) assert.notEqual(nameLookalikeKey(other), nameLookalikeKey('Bob'), other);
  });
});
