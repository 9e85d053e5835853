// How a value that a zod schema refused is described to a person: one line, each issue as
// `field.path: message` (the message alone when it is about the whole value).

import type { z } from 'zod';

export function describeSchemaIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
}
