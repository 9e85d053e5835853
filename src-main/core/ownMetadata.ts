// What this node says about itself (DESIGN §1): one function builds it for the TXT record, the
// link's hello and the UI's `state().self`, so the three cannot disagree. What the node cannot
// be told (its OS, its model: deviceModel.ts) is found out here.

import { platform } from 'node:os';
import { detectDeviceModel } from './deviceModel.js';
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

/** The hardware does not change while we run: found out once. */
let detectedDeviceModel: string | undefined;

/** The model given (null: none), else the one the hardware tells. */
function ownDeviceModel(given: string | null | undefined): string | null {
  if (given !== undefined) return given;
  detectedDeviceModel ??= detectDeviceModel(platform());
  return detectedDeviceModel;
}

/** What the node knows of itself that may change while it runs, and what the user set. */
export interface OwnFacts {
  /** The device name (settings). */
  name: string;
  /** The app's version. */
  version: string;
  /** Our identity: each active library is advertised as `{library_uuid}={identity}`. */
  identity: string;
  activeLibraries: ReadonlyArray<{ uuid: string }>;
  /** The model to announce (NodeOptions.deviceModel): undefined detects it (`Other` when unknown), null announces none. */
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
  return {
    name: facts.name,
    operatingSystem: currentOperatingSystem(),
    deviceModel: ownDeviceModel(facts.deviceModel),
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
