// Errors from the node are written for people already (contract.ts: CommandError); parsePayload
// adds a prefix naming the request and the field ("invalid setName request: name: ..."), which a
// form that shows the error beside its field does not need.

const PAYLOAD_ERROR_PREFIX = /^invalid \w+ request: (?:[\w.]+: )?/u;

export function userMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : 'something went wrong';
  const text = raw.replace(PAYLOAD_ERROR_PREFIX, '').trim() || raw;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
