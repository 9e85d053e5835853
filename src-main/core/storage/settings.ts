// The node's settings, kept in `<dataDir>/settings.json`. Read leniently (unknown keys dropped,
// missing keys from the defaults); a file that cannot be understood is set aside, never deleted.

import os from 'node:os';
import { z } from 'zod';
import { CommandError, TRUSTED_ISSUERS_MAX } from '../../../src-shared/contract.js';
import { toDisplayText } from '../../../src-shared/displayText.js';
import { DISCOVERY_MODES } from '../../../src-shared/discoveryModes.js';
import { isRemoteIdentity } from '../../../src-shared/identity.js';
import { parseManualPeer } from '../../../src-shared/manualPeer.js';
import { describeSchemaIssues } from '../../../src-shared/schemaIssues.js';
import { JsonStore, loadJsonFile } from './jsonStore.js';
import { checkWideAreaSettings } from '../../../src-shared/wideArea.js';

export const SETTINGS_FILE = 'settings.json';
export const SETTINGS_NAME_MAX_CHARS = 64;
export const MANUAL_PEERS_MAX = 100;
export const MANUAL_PEER_MAX_CHARS = 300;
export const FALLBACK_DEVICE_NAME = 'My device';

export const settingsSchema = z.object({
  version: z.literal(1),
  name: z
    .string()
    .transform((s) => toDisplayText(s, 10_000))
    .pipe(
      z
        .string()
        .min(1, 'a device name cannot be empty')
        .max(SETTINGS_NAME_MAX_CHARS, `a device name is at most ${SETTINGS_NAME_MAX_CHARS} characters`),
    ),
  discovery: z.enum(DISCOVERY_MODES),
  port: z.number().int('a port is a whole number').min(1, 'a port is 1 to 65535').max(65535, 'a port is 1 to 65535').nullable(),
  manualPeers: z
    .array(z.string().max(MANUAL_PEER_MAX_CHARS, `a manual peer is at most ${MANUAL_PEER_MAX_CHARS} characters`))
    .max(MANUAL_PEERS_MAX, `at most ${MANUAL_PEERS_MAX} manual peers`),
  /** While Everyone is temporary: when it reverts to Contacts only (ISO time); null otherwise. */
  everyoneUntil: z.iso.datetime({ offset: true }).nullable().optional(),
  /** Manual peer address -> the identity it proved the first time it connected (DESIGN §5: pinned). */
  pinnedIdentities: z
    .record(z.string().max(MANUAL_PEER_MAX_CHARS).refine((k) => parseManualPeer(k).ok, 'not a manual peer address'), z.string().refine(isRemoteIdentity, 'not a remote identity'))
    .refine((r) => Object.keys(r).length <= MANUAL_PEERS_MAX, `at most ${MANUAL_PEERS_MAX} pinned identities`)
    .optional(),
  /** Wide-area discovery (issue 16): the DNS domain, the server for updates, the TSIG key file; null or absent: off. */
  wideArea: z
    .object({ domain: z.string(), dnsServer: z.string().nullable(), tsigKeyFile: z.string().nullable() })
    .superRefine((w, ctx) => {
      const checked = checkWideAreaSettings(w);
      if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.error });
    })
    .nullable()
    .optional(),
  /** Issuers whose accounts this node accepts (issue 14), besides --trust-issuer: their public keys. */
  trustedIssuers: z
    .array(z.string().refine(isRemoteIdentity, "not an issuer's public key (43 characters, as sd-nearby account create-issuer prints it)"))
    .max(TRUSTED_ISSUERS_MAX, `at most ${TRUSTED_ISSUERS_MAX} trusted issuers`)
    .optional(),
});

export type Settings = z.output<typeof settingsSchema>;

/** A device name from a host name: first label, without `.local`, safe to show; 'My device' when nothing is left. */
export function defaultDeviceName(hostname: string = safeHostname()): string {
  const firstLabel = hostname.trim().split('.')[0] ?? '';
  const name = toDisplayText(firstLabel, SETTINGS_NAME_MAX_CHARS);
  return name === '' ? FALLBACK_DEVICE_NAME : name;
}

function safeHostname(): string {
  try {
    return os.hostname();
  } catch {
    return '';
  }
}

export function defaultSettings(): Settings {
  return { version: 1, name: defaultDeviceName(), discovery: 'everyone', port: null, manualPeers: [] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema for the file: missing keys are taken from `defaults`, unknown keys are dropped. */
function settingsFileSchema(defaults: Settings): z.ZodType<Settings> {
  return z.preprocess((raw) => (isPlainObject(raw) ? { ...defaults, ...raw } : raw), settingsSchema) as z.ZodType<Settings>;
}

const patchSchema = settingsSchema.partial().strict();

function copy(settings: Settings): Settings {
  const out: Settings = { ...settings, manualPeers: [...settings.manualPeers] };
  if (settings.pinnedIdentities) out.pinnedIdentities = { ...settings.pinnedIdentities };
  if (settings.wideArea) out.wideArea = { ...settings.wideArea };
  if (settings.trustedIssuers) out.trustedIssuers = [...settings.trustedIssuers];
  return out;
}

export interface SettingsStoreEvents {
  change: [settings: Settings];
}

export class SettingsStore extends JsonStore<Settings, SettingsStoreEvents> {
  static async load(dataDir: string): Promise<SettingsStore> {
    const defaults = defaultSettings();
    return new SettingsStore(await loadJsonFile(dataDir, { fileName: SETTINGS_FILE, schema: settingsFileSchema(defaults), defaults: () => copy(defaults) }));
  }

  protected override announce(settings: Settings): void {
    this.emit('change', copy(settings));
  }

  /** A copy of the current settings. */
  get(): Settings {
    return copy(this.value);
  }

  /**
   * Validates `patch` merged over the current settings, writes the file atomically, then emits
   * 'change'. Throws CommandError('invalid-payload') and changes nothing when the result is invalid.
   * Updates run one at a time, in call order.
   */
  update(patch: Partial<Settings>): Promise<Settings> {
    return this.modify(() => patch);
  }

  /**
   * Read-modify-write, in turn with every other update: `change` sees the settings as the updates
   * before it left them. (A patch computed from an earlier read loses what was written meanwhile:
   * two clients adding and removing manual peers at once brought a removed address back.)
   * What `change` throws rejects this call and writes nothing.
   */
  modify(change: (current: Settings) => Partial<Settings>): Promise<Settings> {
    return this.mutate((current) => {
      const next = merge(current, change(copy(current)));
      return { next, result: copy(next) };
    });
  }
}

/** `patch` over `current`, checked: CommandError('invalid-payload') naming the field when it does not fit. */
function merge(current: Settings, patch: Partial<Settings>): Settings {
  const checkedPatch = patchSchema.safeParse(patch);
  if (!checkedPatch.success) {
    throw new CommandError('invalid-payload', `invalid settings: ${describeSchemaIssues(checkedPatch.error)}`);
  }
  const merged = settingsSchema.safeParse({ ...current, ...stripUndefined(checkedPatch.data) });
  if (!merged.success) {
    throw new CommandError('invalid-payload', `invalid settings: ${describeSchemaIssues(merged.error)}`);
  }
  return merged.data;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
