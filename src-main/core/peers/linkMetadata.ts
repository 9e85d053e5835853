// Placeholder until the metadata branch lands (src-shared/peerMetadata.ts cleans every source once).
import { isRemoteIdentity } from '../../../src-shared/identity.js';
import { toDisplayText } from '../../../src-shared/displayText.js';
import { canonicalDeviceModel, isUuid } from '../../../src-shared/txtCodec.js';
import type { PeerLibrary, PeerMetadata } from '../../../src-shared/peer.js';
import type { LinkMetadata } from '../p2p/messages.js';

export type { LinkMetadata };

export function metadataFromLink(m: LinkMetadata): PeerMetadata {
  const model = m.deviceModel === null ? '' : toDisplayText(m.deviceModel);
  const version = m.version === null ? '' : toDisplayText(m.version, 32);
  const libraries: PeerLibrary[] = [];
  for (const l of m.libraries) {
    const uuid = l.uuid.toLowerCase();
    if (isUuid(uuid) && isRemoteIdentity(l.identity) && !libraries.some((x) => x.uuid === uuid)) libraries.push({ uuid, identity: l.identity });
  }
  return { name: toDisplayText(m.name), operatingSystem: m.operatingSystem, deviceModel: model === '' ? null : canonicalDeviceModel(model), version: version === '' ? null : version, libraries, librariesOmitted: 0 };
}
