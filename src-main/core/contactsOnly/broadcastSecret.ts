// This node's broadcast secret (docs/protocol.md): 32 random bytes in `<dataDir>/broadcast-secret.json`
// (mode 0600, written atomically). Its Contacts only tokens are derived from it, and each contact
// receives it at pairing. Removing a contact rotates it, so the removed device cannot resolve
// the broadcasts that follow. A file that cannot be read is set aside and a new secret made: the
// contacts then get it the next time a link to them is up (`contact-secret`), as after a rotation.

import { EventEmitter } from 'node:events';
import path from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFileAtomic } from '../jsonFile.js';
import { BROADCAST_SECRET_BYTES, newBroadcastSecret } from './broadcastTokens.js';

export const BROADCAST_SECRET_FILE = 'broadcast-secret.json';

export const secretText = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, `expected ${BROADCAST_SECRET_BYTES} bytes in base64`)
  .refine((s) => Buffer.from(s, 'base64').length === BROADCAST_SECRET_BYTES, `expected ${BROADCAST_SECRET_BYTES} bytes in base64`);

const fileSchema = z.object({
  version: z.literal(1),
  secret: secretText,
  createdAt: z.iso.datetime({ offset: true }),
});
type SecretFile = z.output<typeof fileSchema>;

export interface BroadcastSecretEvents {
  /** The secret changed (a rotation): announce with the new one, give it to the contacts. */
  rotated: [secret: Buffer];
}

export class BroadcastSecretStore extends EventEmitter<BroadcastSecretEvents> {
  private constructor(
    readonly file: string,
    private value: Buffer,
    private created: string,
    /** One sentence for the user when the file was bad and a new secret was made; null otherwise. */
    readonly problem: string | null,
  ) {
    super();
  }

  static async load(dataDir: string): Promise<BroadcastSecretStore> {
    const file = path.join(dataDir, BROADCAST_SECRET_FILE);
    let fresh: SecretFile | null = null;
    const makeFresh = (): SecretFile => (fresh = { version: 1, secret: newBroadcastSecret().toString('base64'), createdAt: new Date().toISOString() });
    const { value, problem } = await readJsonFile(file, fileSchema, makeFresh, BROADCAST_SECRET_FILE);
    if (fresh) await writeJsonFileAtomic(file, fresh);
    const sentence = problem
      ? `${problem}; a new broadcast secret was made, so contacts recognise this device in Contacts only mode again once it has met them`
      : null;
    return new BroadcastSecretStore(file, Buffer.from(value.secret, 'base64'), value.createdAt, sentence);
  }

  /** A copy of the current secret. */
  get secret(): Buffer {
    return Buffer.from(this.value);
  }

  get createdAt(): string {
    return this.created;
  }

  /** A new secret, written before it is used; then 'rotated'. */
  async rotate(): Promise<Buffer> {
    const next = newBroadcastSecret();
    const createdAt = new Date().toISOString();
    await writeJsonFileAtomic(this.file, { version: 1, secret: next.toString('base64'), createdAt } satisfies SecretFile);
    this.value = next;
    this.created = createdAt;
    this.emit('rotated', Buffer.from(next));
    return Buffer.from(next);
  }
}
