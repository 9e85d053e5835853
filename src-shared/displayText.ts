// Text a peer sends is shown to a person: it must not be able to mislead them. Control characters,
// bidirectional overrides and isolates (which can reverse what follows, e.g. "gpj.exe") and other
// invisible formatting characters are removed (the zero-width joiner and variation selectors
// stay: emoji need them); whitespace runs collapse; the length is capped.

const INVISIBLE_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/gu;

export const DISPLAY_NAME_MAX_CHARS = 64;

/** Returns `raw` made safe to show: no control or bidi characters, trimmed, at most `maxChars` code points. */
export function toDisplayText(raw: string, maxChars = DISPLAY_NAME_MAX_CHARS): string {
  const cleaned = raw.normalize('NFC').replace(/[\t\n\v\f\r]+/gu, ' ').replace(INVISIBLE_OR_CONTROL, '').replace(/\s+/gu, ' ').trim();
  const codePoints = Array.from(cleaned);
  if (codePoints.length <= maxChars) return cleaned;
  return codePoints.slice(0, maxChars - 1).join('').trimEnd() + '…';
}
