// The broadcast secrets our contacts gave us (`contact-secret` over the link, docs/protocol.md),
// kept in `<dataDir>/contact-secrets.json` (mode 0600, written atomically). With them this node
// resolves its contacts' Contacts only tokens. They live apart from contacts.json on purpose: the
// contact list goes to the UI in NodeState, secrets never leave the node's data directory except
// over an authenticated link to the contact they belong to.

import { z } from 'zod';
import { isRemoteIdentity } from '../../../src-shared/identity.js';
import { JsonStore, loadJsonFile } from '../storage/jsonStore.js';
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
type SecretsFile = z.output<typeof fileSchema>;

export class ContactSecretStore extends JsonStore<SecretsFile> {
  /** The file's entries by identity, for the file value it was made from. */
  private index: { of: SecretsFile; entries: Map<string, Entry> } | null = null;

  static async load(dataDir: string): Promise<ContactSecretStore> {
    return new ContactSecretStore(
      await loadJsonFile(dataDir, {
        fileName: CONTACT_SECRETS_FILE,
        schema: fileSchema,
        defaults: () => ({ version: 1 as const, secrets: [] }),
        whenSetAside: 'contacts in Contacts only mode are recognised again once each has met this device',
      }),
    );
  }

  /** The secret `identity` gave us, or null. */
  get(identity: string): Buffer | null {
    const e = this.entries().get(identity);
    return e ? Buffer.from(e.secret, 'base64') : null;
  }

  /** Every (identity, secret) pair, for the token resolver. */
  all(): Array<{ identity: string; secret: Buffer }> {
    return [...this.entries().values()].map((e) => ({ identity: e.identity, secret: Buffer.from(e.secret, 'base64') }));
  }

  get size(): number {
    return this.entries().size;
  }

  /** Stores (or replaces) a contact's secret. Resolves to true when something changed. */
  set(identity: string, secret: Uint8Array, at: Date = new Date()): Promise<boolean> {
    if (!isRemoteIdentity(identity)) return Promise.reject(new Error('not an identity'));
    if (secret.length !== BROADCAST_SECRET_BYTES) return Promise.reject(new Error(`a broadcast secret is ${BROADCAST_SECRET_BYTES} bytes`));
    const text = Buffer.from(secret).toString('base64');
    return this.changeEntries((next) => {
      if (next.get(identity)?.secret === text) return false;
      if (!next.has(identity) && next.size >= CONTACT_SECRETS_MAX) throw new Error(`at most ${CONTACT_SECRETS_MAX} contact secrets`);
      next.set(identity, { identity, secret: text, receivedAt: at.toISOString() });
      return true;
    });
  }

  /** Forgets the secrets of every identity not in `keep` (removed contacts). */
  retainOnly(keep: Iterable<string>): Promise<boolean> {
    const wanted = new Set(keep);
    return this.changeEntries((next) => {
      let changed = false;
      for (const id of [...next.keys()]) if (!wanted.has(id)) changed = next.delete(id) || changed;
      return changed;
    });
  }

  private entries(): Map<string, Entry> {
    const file = this.value;
    if (this.index?.of !== file) this.index = { of: file, entries: entriesOf(file) };
    return this.index.entries;
  }

  /** `change` edits a copy of the entries and says whether it changed anything. */
  private changeEntries(change: (next: Map<string, Entry>) => boolean): Promise<boolean> {
    return this.mutate((file) => {
      const next = entriesOf(file);
      if (!change(next)) return { next: file, result: false };
      return { next: { version: 1, secrets: [...next.values()] }, result: true };
    });
  }
}

function entriesOf(file: SecretsFile): Map<string, Entry> {
  return new Map(file.secrets.map((e) => [e.identity, e]));
}
