// The model this device announces (TXT `device_model`, the hello, `state().self`), found out from
// what the OS tells of its hardware: Linux's DMI tables (SMBIOS, DMTF DSP0134), macOS's `hw.model`,
// Windows' Win32_ComputerSystem. Always one of KNOWN_DEVICE_MODELS, `Other` when nothing fits, as
// the original Spacedrive does (its peers read the key on every device and map what they do not
// know to Other; they compare ignoring case and spaces, so `MacBook Pro` is their `MacBookPro`).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const UNKNOWN_DEVICE_MODEL = 'Other';
/** Where Linux exposes the firmware's DMI strings (world-readable ones: no root needed). */
export const LINUX_DMI_DIR = '/sys/class/dmi/id';
/** `sysctl` and PowerShell answer in well under a second; a stuck one must not hold the start. */
const MODEL_COMMAND_TIMEOUT_MS = 5000;

/** Apple's model identifiers (`MacBookPro18,3`, `iMac21,1`...) by family prefix; the longest prefix wins. */
const APPLE_FAMILIES: ReadonlyArray<[prefix: string, model: string]> = [
  ['MacBookPro', 'MacBook Pro'],
  ['MacBookAir', 'MacBook Air'],
  ['MacBook', 'MacBook'],
  ['Macmini', 'Mac mini'],
  ['MacPro', 'Mac Pro'],
  ['iMacPro', 'iMac Pro'],
  ['iMac', 'iMac'],
];

/**
 * Since 2022 Apple names new Macs `MacN,M` whatever their family: Apple's "Identify your ..."
 * support pages (MacBook Pro, MacBook Air, iMac, Mac mini, Mac Studio, Mac Pro), up to the M4 Macs.
 */
const APPLE_SILICON_MODELS: Readonly<Record<string, string>> = {
  'Mac13,1': 'Mac Studio', 'Mac13,2': 'Mac Studio',
  'Mac14,2': 'MacBook Air', 'Mac14,15': 'MacBook Air',
  'Mac14,3': 'Mac mini', 'Mac14,12': 'Mac mini',
  'Mac14,5': 'MacBook Pro', 'Mac14,6': 'MacBook Pro', 'Mac14,7': 'MacBook Pro', 'Mac14,9': 'MacBook Pro', 'Mac14,10': 'MacBook Pro',
  'Mac14,8': 'Mac Pro',
  'Mac14,13': 'Mac Studio', 'Mac14,14': 'Mac Studio',
  'Mac15,3': 'MacBook Pro', 'Mac15,6': 'MacBook Pro', 'Mac15,7': 'MacBook Pro', 'Mac15,8': 'MacBook Pro', 'Mac15,9': 'MacBook Pro', 'Mac15,10': 'MacBook Pro', 'Mac15,11': 'MacBook Pro',
  'Mac15,4': 'iMac', 'Mac15,5': 'iMac',
  'Mac15,12': 'MacBook Air', 'Mac15,13': 'MacBook Air',
  'Mac15,14': 'Mac Studio',
  'Mac16,1': 'MacBook Pro', 'Mac16,5': 'MacBook Pro', 'Mac16,6': 'MacBook Pro', 'Mac16,7': 'MacBook Pro', 'Mac16,8': 'MacBook Pro',
  'Mac16,2': 'iMac', 'Mac16,3': 'iMac',
  'Mac16,9': 'Mac Studio',
  'Mac16,10': 'Mac mini', 'Mac16,11': 'Mac mini',
  'Mac16,12': 'MacBook Air', 'Mac16,13': 'MacBook Air',
};

/** The marketing name of an Apple model identifier (`hw.model`, or DMI's product name on a Mac running Linux); null when it is none we know. */
export function appleModelName(identifier: string): string | null {
  const id = identifier.trim();
  const silicon = APPLE_SILICON_MODELS[id];
  if (silicon !== undefined) return silicon;
  const family = /^([A-Za-z]+)\d+,\d+$/.exec(id)?.[1];
  return APPLE_FAMILIES.find(([prefix]) => prefix === family)?.[1] ?? null;
}

/** SMBIOS chassis types (DSP0134, System Enclosure "Type") and the model each stands for. */
const CHASSIS_MODELS: ReadonlyArray<[model: string, chassisTypes: readonly number[]]> = [
  ['Laptop', [8, 9, 10, 14, 31, 32]], // portable, laptop, notebook, sub notebook, convertible, detachable
  ['Desktop', [3, 4, 5, 6, 7, 13, 15, 16, 35, 36]], // desktop, low profile, pizza box, towers, all in one, space-saving, lunch box, mini PC, stick PC
  ['Server', [17, 23, 28, 29]], // main server chassis, rack mount, blade, blade enclosure
];

/**
 * Product families whose chassis type is often left "Other" (1), "Unknown" (2) or wrong by the
 * firmware: the family names the kind of device. Checked after the chassis type.
 */
const FAMILY_MODELS: ReadonlyArray<[model: string, pattern: RegExp]> = [
  ['Laptop', /\b(thinkpad|latitude|elitebook|probook|zbook|ideapad|yoga|zenbook|vivobook|surface (laptop|book|pro|go)|spectre|galaxy book|framework laptop|notebook|laptop)\b/i],
  ['Server', /\b(poweredge|proliant|primergy|thinksystem|system x|server)\b/i],
  ['NAS', /\b(diskstation|rackstation|synology|qnap|truenas|nas)\b/i],
  ['Desktop', /\b(optiplex|thinkcentre|prodesk|elitedesk|nuc|desktop)\b/i],
];

/** What DMI says about the machine; each null when the firmware leaves it out. */
export interface DmiFacts {
  productName: string | null;
  productFamily: string | null;
  chassisType: number | null;
}

/** The model from DMI: an Apple identifier first (a Mac running Linux), then the chassis type, then the product's family or name. */
export function modelFromDmi(dmi: DmiFacts): string {
  for (const text of [dmi.productName, dmi.productFamily]) {
    const apple = text === null ? null : appleModelName(text);
    if (apple !== null) return apple;
  }
  const byChassis = CHASSIS_MODELS.find(([, types]) => dmi.chassisType !== null && types.includes(dmi.chassisType))?.[0];
  if (byChassis !== undefined) return byChassis;
  const product = [dmi.productFamily, dmi.productName].filter((t): t is string => t !== null).join(' ');
  return FAMILY_MODELS.find(([, pattern]) => pattern.test(product))?.[0] ?? UNKNOWN_DEVICE_MODEL;
}

/** Reads DMI from `dir` (LINUX_DMI_DIR; a fixture in tests). Missing or unreadable files are nulls. */
export function readDmi(dir: string): DmiFacts {
  const read = (file: string): string | null => {
    try {
      const text = readFileSync(join(dir, file), 'utf8').trim();
      // Firmware fills fields it was not given with placeholders.
      return text === '' || /^(to be filled by o\.e\.m\.|default string|system product name|not applicable|none)$/i.test(text) ? null : text;
    } catch {
      return null;
    }
  };
  const chassis = Number(read('chassis_type'));
  return { productName: read('product_name'), productFamily: read('product_family'), chassisType: Number.isInteger(chassis) && chassis > 0 ? chassis : null };
}

/** Win32_ComputerSystem's PCSystemType: 1 desktop, 2 mobile, 3 workstation, 4, 5 and 7 servers (0 unspecified, 6 appliance). */
const WINDOWS_SYSTEM_TYPES: Readonly<Record<number, string>> = { 1: 'Desktop', 2: 'Laptop', 3: 'Desktop', 4: 'Server', 5: 'Server', 7: 'Server' };

/** The model from Win32_ComputerSystem: an Apple identifier (Boot Camp), else the system type, else the model's words. */
export function modelFromWindows(system: { model: string | null; pcSystemType: number | null }): string {
  const apple = system.model === null ? null : appleModelName(system.model);
  if (apple !== null) return apple;
  const byType = system.pcSystemType === null ? undefined : WINDOWS_SYSTEM_TYPES[system.pcSystemType];
  if (byType !== undefined) return byType;
  return FAMILY_MODELS.find(([, pattern]) => system.model !== null && pattern.test(system.model))?.[0] ?? UNKNOWN_DEVICE_MODEL;
}

/** Runs a command that prints a fact of the hardware; null when it fails, is missing or hangs. */
export type HardwareCommand = (file: string, args: readonly string[]) => string | null;

const runHardwareCommand: HardwareCommand = (file, args) => {
  try {
    return execFileSync(file, args, { encoding: 'utf8', timeout: MODEL_COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
  } catch {
    return null;
  }
};

/** What the OS tells of the hardware, as a model this device announces; `Other` when it tells nothing we know. */
export function detectDeviceModel(platform: NodeJS.Platform, run: HardwareCommand = runHardwareCommand, dmiDir = LINUX_DMI_DIR): string {
  switch (platform) {
    case 'linux':
      return modelFromDmi(readDmi(dmiDir));
    case 'darwin': {
      // By its full path: an app started from the Dock gets a short PATH.
      const identifier = run('/usr/sbin/sysctl', ['-n', 'hw.model'])?.trim() ?? '';
      return appleModelName(identifier) ?? UNKNOWN_DEVICE_MODEL;
    }
    case 'win32': {
      const out = run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', '$s = Get-CimInstance Win32_ComputerSystem; $s.Model; $s.PCSystemType']);
      const [model = '', type = ''] = (out ?? '').split(/\r?\n/).map((l) => l.trim());
      return modelFromWindows({ model: model === '' ? null : model, pcSystemType: /^\d+$/.test(type) ? Number(type) : null });
    }
    default:
      return UNKNOWN_DEVICE_MODEL;
  }
}
