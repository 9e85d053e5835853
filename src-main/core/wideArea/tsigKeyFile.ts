// The key file BIND's tsig-keygen writes (and named.conf includes):
//   key "name" { algorithm hmac-sha256; secret "base64"; };
// One key per file; comments (#, //, /* */) allowed. A file we cannot use is one line saying why.

import { readFile } from 'node:fs/promises';
import { TSIG_ALGORITHMS, type TsigAlgorithm, type TsigKey } from './tsig.js';

/** A key file is a few lines; anything much larger is not one. */
export const TSIG_KEY_FILE_MAX_BYTES = 64 * 1024;

export class TsigKeyFileError extends Error {}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(\/\/|#)[^\n]*/g, ' ');
}

/** Reads the key in `text` (from `where`, named in errors). Throws TsigKeyFileError with one line. */
export function parseTsigKeyFile(text: string, where: string): TsigKey {
  const clean = withoutComments(text);
  const blocks = [...clean.matchAll(/key\s+"([^"]+)"\s*\{([^}]*)\}\s*;?/g)];
  if (blocks.length === 0) throw new TsigKeyFileError(`${where} holds no key: expected key "name" { algorithm hmac-sha256; secret "..."; }; as tsig-keygen writes`);
  if (blocks.length > 1) throw new TsigKeyFileError(`${where} holds ${blocks.length} keys; give a file with the one key to sign updates with`);
  const [, name = '', body = ''] = blocks[0] as RegExpMatchArray;
  const algorithmText = /algorithm\s+"?([A-Za-z0-9.-]+)"?\s*;/.exec(body)?.[1]?.toLowerCase();
  if (algorithmText === undefined) throw new TsigKeyFileError(`${where}: key "${name}" has no algorithm (e.g. algorithm hmac-sha256;)`);
  if (!Object.hasOwn(TSIG_ALGORITHMS, algorithmText)) throw new TsigKeyFileError(`${where}: key "${name}" uses algorithm ${algorithmText}; supported are ${Object.keys(TSIG_ALGORITHMS).join(', ')}`);
  const secretText = /secret\s+"([^"]*)"\s*;/.exec(body)?.[1]?.replace(/\s+/g, '');
  if (secretText === undefined) throw new TsigKeyFileError(`${where}: key "${name}" has no secret (secret "base64...";)`);
  if (secretText === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(secretText) || secretText.length % 4 !== 0) throw new TsigKeyFileError(`${where}: the secret of key "${name}" is not base64`);
  if (!/^[A-Za-z0-9._-]{1,253}$/.test(name)) throw new TsigKeyFileError(`${where}: the key name "${name}" is not a DNS name`);
  return { name, algorithm: algorithmText as TsigAlgorithm, secret: Buffer.from(secretText, 'base64') };
}

/** Reads and parses the key file at `path`; a file that cannot be read or used is one line. */
export async function loadTsigKeyFile(path: string): Promise<TsigKey> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > TSIG_KEY_FILE_MAX_BYTES) throw new TsigKeyFileError(`${path} is ${bytes.length} bytes: not a key file (at most ${TSIG_KEY_FILE_MAX_BYTES})`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof TsigKeyFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'this user may not read it' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message;
    throw new TsigKeyFileError(`the TSIG key file ${path} cannot be read: ${why}`);
  }
  return parseTsigKeyFile(text, `the TSIG key file ${path}`);
}
