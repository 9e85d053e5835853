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
