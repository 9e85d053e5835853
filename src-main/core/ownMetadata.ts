// What this node says about itself (DESIGN §1): one function builds it for the TXT record, the
// link's hello and the UI's `state().self`, so the three cannot disagree. What the node cannot
// be told (its OS, its model from the firmware) is found out here.

import { readFileSync } from 'node:fs';
import { platform } from 'node:os';
import type { SelfInfo } from '../../src-shared/contract.js';
import type { DeviceMetadata, OperatingSystem } from '../../src-shared/peerMetadata.js';

export function currentOperatingSystem(): OperatingSystem {
  switch (platform()) {
    case 'darwin': return 'macos';
    case 'win32': return 'windows';
    case 'linux': return 'linux';
    case 'android': return 'android';
    default: return 'other';
  }
}

/** SMBIOS chassis types (DMTF DSP0134, System Enclosure "Type" field) and the model each stands for. */
const CHASSIS_MODELS: ReadonlyArray<[model: string, chassisTypes: readonly number[]]> = [
  ['Laptop', [8, 9, 10, 14, 31, 32]], // portable, laptop, notebook, sub notebook, convertible, detachable
  ['Desktop', [3, 4, 5, 6, 7, 13, 15, 16, 35, 36]], // desktop, low profile, pizza box, towers, all in one, space-saving, lunch box, mini PC, stick PC
  ['Server', [17, 23, 28, 29]], // main server chassis, rack mount, blade, blade enclosure
];
const CHASSIS_TYPE_PATH = '/sys/class/dmi/id/chassis_type';

/** A device model from the firmware's chassis type (SMBIOS), where the OS exposes it; null elsewhere. */
export function detectDeviceModel(): string | null {
  if (platform() !== 'linux') return null;
  try {
    const chassis = Number(readFileSync(CHASSIS_TYPE_PATH, 'utf8').trim());
    return CHASSIS_MODELS.find(([, types]) => types.includes(chassis))?.[0] ?? null;
  } catch {
    return null; // not readable (container, other OS): no model is advertised
  }
}

/** The firmware does not change while we run: read once. */
let detectedDeviceModel: string | null | undefined;

/** What the node knows of itself that may change while it runs, and what the user set. */
export interface OwnFacts {
  /** The device name (settings). */
  name: string;
  /** The app's version. */
  version: string;
  /** Our identity: each active library is advertised as `{library_uuid}={identity}`. */
  identity: string;
  activeLibraries: ReadonlyArray<{ uuid: string }>;
  /** The model to announce (NodeOptions.deviceModel): undefined detects it, null announces none. */
  deviceModel?: string | null;
}

/** Our metadata; unlike a peer's, its version is always known. */
export type OwnMetadata = DeviceMetadata & { version: string };

/**
 * Our metadata, as the advertisement, the hello and `state().self` all use it. Each carrier keeps
 * its own limits: encodeTxt cuts it to TXT's (and counts the libraries that do not fit), the link
 * to its caps (PeerLink, withinLinkLimits).
 */
export function ownMetadata(facts: OwnFacts): OwnMetadata {
  if (facts.deviceModel === undefined && detectedDeviceModel === undefined) detectedDeviceModel = detectDeviceModel();
  return {
    name: facts.name,
    operatingSystem: currentOperatingSystem(),
    deviceModel: facts.deviceModel === undefined ? (detectedDeviceModel ?? null) : facts.deviceModel,
    version: facts.version,
    libraries: facts.activeLibraries.map((l) => ({ uuid: l.uuid, identity: facts.identity })),
    librariesOmitted: 0,
  };
}

/** `state().self`: our metadata without the library list (NodeState.libraries has it, with names) and where we listen. */
export function selfInfo(own: OwnMetadata, endpoint: Pick<SelfInfo, 'identity' | 'hostname' | 'port'>): SelfInfo {
  const { libraries: _libraries, librariesOmitted: _librariesOmitted, ...shown } = own;
  return { ...shown, ...endpoint };
}
