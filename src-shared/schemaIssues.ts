// How a value that a zod schema refused is described to a person: one line, each issue as
// `field.path: message` (the message alone when it is about the whole value). zod quotes what it
// refused (an unknown key, whole): a line that echoes kilobytes a client sent helps nobody, so it
// is cut.

import type { z } from 'zod';

/** The longest description: enough for a few issues, short of echoing a payload back. */
export const SCHEMA_ISSUES_MAX_CHARS = 500;

export function describeSchemaIssues(error: z.ZodError): string {
  const text = error.issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
  if (text.length <= SCHEMA_ISSUES_MAX_CHARS) return text;
  // Whole characters only: no half of a surrogate pair at the cut.
  return `${Array.from(text.slice(0, SCHEMA_ISSUES_MAX_CHARS)).filter((c) => !/^[\ud800-\udfff]$/u.test(c)).join('')}…`;
}
