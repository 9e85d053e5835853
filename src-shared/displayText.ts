// Text a peer sends is shown to a person: it must not be able to mislead them. Control characters,
// bidirectional overrides and isolates (which can reverse what follows, e.g. "gpj.exe") and other
// invisible formatting characters are removed (the zero-width joiner and variation selectors
// stay: emoji need them); whitespace runs collapse; the length is capped.

// Every control (Cc) and format (Cf) character, which includes the bidi controls and tag
// characters, but the zero-width joiner; plus line/paragraph separators and blank fillers.
const INVISIBLE_OR_CONTROL = /(?!\u200d)[\p{Cc}\p{Cf}\u2028\u2029\u115f\u1160\u3164\uffa0]/gu;

export const DISPLAY_NAME_MAX_CHARS = 64;

/** Returns `raw` made safe to show: no control or bidi characters, trimmed, at most `maxChars` code points. */
export function toDisplayText(raw: string, maxChars = DISPLAY_NAME_MAX_CHARS): string {
  const cleaned = raw.normalize('NFC').replace(/[\t\n\v\f\r]+/gu, ' ').replace(INVISIBLE_OR_CONTROL, '').replace(/\s+/gu, ' ').trim();
  const codePoints = Array.from(cleaned);
  if (codePoints.length <= maxChars) return cleaned;
  return codePoints.slice(0, maxChars - 1).join('').trimEnd() + '…';
}

/**
 * Letters of other scripts that look like Latin ones in most fonts (a subset of Unicode's
 * confusables, TR39 §4: the ones a keyboard or a name field gives easily), and digits that pass for
 * letters in a name. "Воb" (Cyrillic В and о) or "B0b" must not pass for "Bob".
 */
const LOOKALIKE_LETTERS: Record<string, string> = {
  А: 'a', В: 'b', Е: 'e', К: 'k', М: 'm', Н: 'h', О: 'o', Р: 'p', С: 'c', Т: 't', Х: 'x', У: 'y', Ѕ: 's', І: 'i', Ј: 'j',
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', ѕ: 's', і: 'i', ј: 'j', ԁ: 'd', һ: 'h', ӏ: 'l',
  Α: 'a', Β: 'b', Ε: 'e', Ζ: 'z', Η: 'h', Ι: 'i', Κ: 'k', Μ: 'm', Ν: 'n', Ο: 'o', Ρ: 'p', Τ: 't', Υ: 'y', Χ: 'x',
  ο: 'o', ι: 'i', κ: 'k', ν: 'v', ρ: 'p', τ: 't', υ: 'u', χ: 'x', α: 'a',
  '0': 'o', '1': 'l', '|': 'l',
};

/**
 * What a name looks like to a person, for comparing two names: compatibility forms folded (NFKC:
 * full-width letters, ligatures), lookalike letters of other scripts folded to Latin, case and
 * whitespace ignored. Two names with the same key can be told apart only by their devices' keys.
 */
export function nameLookalikeKey(name: string): string {
  const text = toDisplayText(name, Number.MAX_SAFE_INTEGER).normalize('NFKC');
  let out = '';
  for (const ch of text) out += LOOKALIKE_LETTERS[ch] ?? ch;
  return out.toLowerCase().replace(/\s+/gu, '');
}
