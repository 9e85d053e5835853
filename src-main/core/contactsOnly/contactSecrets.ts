// The broadcast secrets our contacts gave us (`contact-secret` over the link, docs/protocol.md),
// kept in `<dataDir>/contact-secrets.json` (mode 0600, written atomically). With them this node
// resolves its contacts' Contacts only tokens. They live apart from contacts.json on purpose: the
// contact list goes to the UI in NodeState, secrets never leave the node's data directory except
// over an authenticated link to the contact they belong to.

import path from 'node:path';
import { z } from 'zod';
import { isRemoteIdentity } from '../../../src-shared/identity.js';
import { readJsonFile, writeJsonFileAtomic } from '../jsonFile.js';
import { BROADCAST_SECRET_BYTES } from './broadcastTokens.js';
import { secretText } from './broadcastSecret.js';

export const CONTACT_SECRETS_FILE = 'contact-secrets.json';
export const CONTACT_SECRETS_MAX = 1000;

const entrySchema = z.object({
  identity: z.string().refine(isRemoteIdentity, 'not an identity'),
  secret: secretText,
  receivedAt: z.iso.datetime({ offset: true }),
});
const fileSchema = z.object({ version: z.literal(1), secrets: z.array(entrySchema).max(CONTACT_SECRETS_MAX) });
type Entry = z.output<typeof entrySchema>;

export class ContactSecretStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private entries: Map<string, Entry>,
    readonly problem: string | null,
  ) {}

  static async load(dataDir: string): Promise<ContactSecretStore> {
    const file = path.join(dataDir, CONTACT_SECRETS_FILE);
    const { value, problem } = await readJsonFile(file, fileSchema, () => ({ version: 1 as const, secrets: [] }), CONTACT_SECRETS_FILE);
    const sentence = problem ? `${problem}; contacts in Contacts only mode are recognised again once each has met this device` : null;
    return new ContactSecretStore(file, new Map(value.secrets.map((e) => [e.identity, e])), sentence);
  }

  /** The secret `identity` gave us, or null. */
  get(identity: string): Buffer | null {
    const e = this.entries.get(identity);
    return e ? Buffer.from(e.secret, 'base64') : null;
  }

  /** Every (identity, secret) pair, for the token resolver. */
  all(): Array<{ identity: string; secret: Buffer }> {
    return [...this.entries.values()].map((e) => ({ identity: e.identity, secret: Buffer.from(e.secret, 'base64') }));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stores (or replaces) a contact's secret. Resolves to true when something changed. */
  set(identity: string, secret: Uint8Array, at: Date = new Date()): Promise<boolean> {
    if (!isRemoteIdentity(identity)) return Promise.reject(new Error('not an identity'));
    if (secret.length !== BROADCAST_SECRET_BYTES) return Promise.reject(new Error(`a broadcast secret is ${BROADCAST_SECRET_BYTES} bytes`));
    const text = Buffer.from(secret).toString('base64');
    return this.mutate((next) => {
      if (next.get(identity)?.secret === text) return false;
      if (!next.has(identity) && next.size >= CONTACT_SECRETS_MAX) throw new Error(`at most ${CONTACT_SECRETS_MAX} contact secrets`);
      next.set(identity, { identity, secret: text, receivedAt: at.toISOString() });
      return true;
    });
  }

  /** Forgets the secrets of every identity not in `keep` (removed contacts). */
  retainOnly(keep: Iterable<string>): Promise<boolean> {
    const wanted = new Set(keep);
    return this.mutate((next) => {
      let changed = false;
      for (const id of [...next.keys()]) if (!wanted.has(id)) changed = next.delete(id) || changed;
      return changed;
    });
  }

  private mutate(change: (next: Map<string, Entry>) => boolean): Promise<boolean> {
    const run = this.queue.then(async () => {
      const next = new Map(this.entries);
      if (!change(next)) return false;
      await writeJsonFileAtomic(this.file, { version: 1, secrets: [...next.values()] });
      this.entries = next;
      return true;
    });
    this.queue = run.catch(() => {});
    return run;
  }
}
