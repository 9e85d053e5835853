// My devices remembered (issue 14), in `<dataDir>/my-devices.json`: the devices that proved our own
// account, so that the relationship outlives a restart like a contact's (a standing link, dialled
// at start, with nobody looking). Each is kept with the account key it proved and the end of its
// device credential: trusted until then, or until it presents credentials that do not hold (then
// it is forgotten); a later proof renews it. Written atomically; a bad file is set aside.

import { z } from 'zod';
import { DISPLAY_NAME_MAX_CHARS, toDisplayText } from '../../../src-shared/displayText.js';
import { isRemoteIdentity } from '../../../src-shared/identity.js';
import { JsonListStore, listFileSchema, loadJsonFile } from '../storage/jsonStore.js';

export const MY_DEVICES_FILE = 'my-devices.json';
export const MY_DEVICES_MAX = 256;

export interface RememberedDevice {
  identity: string;
  /** The device name its credential gives (what a Contacts only token of it is listed as until its link says more). */
  name: string;
  /** The account key its credentials proved (ours when it was proved). */
  accountKey: string;
  /** Unix time (s) when its device credential ends: not trusted after it. */
  notAfter: number;
}

const rememberedSchema = z.object({
  identity: z.string().refine(isRemoteIdentity, 'not an identity (43 characters of base64)'),
  name: z.string().transform((s) => toDisplayText(s, DISPLAY_NAME_MAX_CHARS)),
  accountKey: z.string().refine(isRemoteIdentity, 'not a public key (43 characters of base64)'),
  notAfter: z.number().int().nonnegative(),
});

const myDevicesFileSchema = listFileSchema('devices', rememberedSchema, {
  max: MY_DEVICES_MAX,
  tooMany: `at most ${MY_DEVICES_MAX} devices`,
  uniqueField: 'identity',
  duplicate: (identity) => `duplicate device ${identity}`,
});

export class MyDeviceStore extends JsonListStore<'devices', RememberedDevice> {
  static async load(dataDir: string): Promise<MyDeviceStore> {
    const loaded = await loadJsonFile(dataDir, { fileName: MY_DEVICES_FILE, schema: myDevicesFileSchema, defaults: () => ({ version: 1 as const, devices: [] }) });
    return new MyDeviceStore(loaded, 'devices');
  }

  /** Whether `identity` proved `accountKey` and its credential has not ended at `nowMs`. */
  holds(identity: string, accountKey: string, nowMs: number): boolean {
    return this.items.some((d) => d.identity === identity && d.accountKey === accountKey && d.notAfter * 1000 >= nowMs);
  }

  /** Remembers (or renews) a device; nothing is written when it is known as it is. The oldest make room past the cap. */
  async remember(device: RememberedDevice): Promise<void> {
    // Decided when the write's turn comes (a forget queued before it has happened by then); the same list is no write.
    await this.changeList((devices) => {
      const known = devices.find((d) => d.identity === device.identity);
      if (known && known.accountKey === device.accountKey && known.notAfter === device.notAfter && known.name === device.name) return { next: devices, result: device };
      const others = devices.filter((d) => d.identity !== device.identity);
      return { next: [...others, { ...device }].slice(-MY_DEVICES_MAX), result: device };
    });
  }

  /** The devices that still prove `accountKey` at `nowMs`. */
  holding(accountKey: string, nowMs: number): RememberedDevice[] {
    return this.items.filter((d) => d.accountKey === accountKey && d.notAfter * 1000 >= nowMs).map((d) => ({ ...d }));
  }

  async forget(identity: string): Promise<void> {
    await this.mutate((file) => {
      const kept = file.devices.filter((d) => d.identity !== identity);
      return { next: kept.length === file.devices.length ? file : { version: 1 as const, devices: kept }, result: undefined };
    });
  }
}
