// This node's broadcast secret (docs/protocol.md): 32 random bytes in `<dataDir>/broadcast-secret.json`
// (mode 0600, written atomically). Its Contacts only tokens are derived from it, and each contact
// receives it at pairing. Removing a contact rotates it, so the removed device cannot resolve
// the broadcasts that follow. A file that cannot be read is set aside and a new secret made: the
// contacts then get it the next time a link to them is up (`contact-secret`), as after a rotation.

import { z } from 'zod';
import { JsonStore, loadJsonFile } from '../storage/jsonStore.js';
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

export class BroadcastSecretStore extends JsonStore<SecretFile, BroadcastSecretEvents> {
  static async load(dataDir: string): Promise<BroadcastSecretStore> {
    let fresh = false;
    const loaded = await loadJsonFile(dataDir, {
      fileName: BROADCAST_SECRET_FILE,
      schema: fileSchema,
      defaults: () => {
        fresh = true;
        return newSecretFile();
      },
      whenSetAside: 'a new broadcast secret was made, so contacts recognise this device in Contacts only mode again once it has met them',
    });
    const store = new BroadcastSecretStore(loaded);
    // A secret made just now is saved before anything is derived from it (a copy of the value
    // counts as a change, so it is written).
    if (fresh) await store.mutate((current) => ({ next: { ...current }, result: undefined }));
    return store;
  }

  protected override announce(value: SecretFile): void {
    this.emit('rotated', Buffer.from(value.secret, 'base64'));
  }

  /** A copy of the current secret. */
  get secret(): Buffer {
    return Buffer.from(this.value.secret, 'base64');
  }

  get createdAt(): string {
    return this.value.createdAt;
  }

  /** A new secret, written before it is used; then 'rotated'. */
  rotate(): Promise<Buffer> {
    return this.mutate(() => {
      const next = newSecretFile();
      return { next, result: Buffer.from(next.secret, 'base64') };
    });
  }
}

function newSecretFile(): SecretFile {
  return { version: 1, secret: newBroadcastSecret().toString('base64'), createdAt: new Date().toISOString() };
}
