// A device's metadata has one schema and one cleaning, whichever way it arrives (TXT record or a
// link's hello / metadata message); our own is built once for the advertisement, the hello and
// state().self.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import {
  KNOWN_DEVICE_MODELS,
  DEVICE_MODEL_LINK_MAX_UNITS,
  LIBRARIES_LINK_MAX,
  NAME_LINK_MAX_UNITS,
  VERSION_DISPLAY_MAX_CHARS,
  VERSION_LINK_MAX_UNITS,
  cleanDeviceMetadata,
  deviceMetadataLinkSchema,
  emptyDeviceMetadata,
  withinLinkLimits,
  type DeviceMetadata,
} from '../../src-shared/peerMetadata.js';
import { decodeTxt, encodeTxt } from '../../src-shared/txtCodec.js';
import { linkMessageSchema } from '../../src-main/core/p2p/messages.js';
import { WITHHELD_METADATA } from '../../src-main/core/contactsOnly/contactsOnlyService.js';
import { ownMetadata, selfInfo } from '../../src-main/core/ownMetadata.js';

const enc = new TextEncoder();
const identity = (): string => encodeRemoteIdentity(randomBytes(32));

/** A hello as a peer would send it, parsed as the link parses it. */
function parsedHello(metadata: unknown): DeviceMetadata {
  const message = linkMessageSchema.parse({ type: 'hello', version: 1, metadata, port: 7373 });
  assert.equal(message.type, 'hello');
  return (message as { metadata: DeviceMetadata }).metadata;
}

describe('one cleaning for every source', () => {
  test('the same unsafe values by TXT and by link give the same metadata', () => {
    const id = identity();
    const uuid = randomUUID();
    const sent = {
      name: '  Evil\u202egpj.exe\u0000  laptop ',
      operatingSystem: 'macos',
      deviceModel: 'macbook\u200bpro',
      version: '1.0\u200f',
      libraries: [{ uuid: uuid.toUpperCase(), identity: id }, { uuid, identity: identity() }, { uuid: randomUUID(), identity: 'not-an-identity' }],
    };
    const expected: DeviceMetadata = {
      name: 'Evilgpj.exe laptop',
      operatingSystem: 'macos',
      deviceModel: 'MacBook Pro',
      version: '1.0',
      libraries: [{ uuid, identity: id }],
      librariesOmitted: 0,
    };
    const txt = [
      `name=${sent.name}`,
      `os=MacOS`,
      `device_model=${sent.deviceModel}`,
      `version=${sent.version}`,
      ...sent.libraries.map((l) => `${l.uuid}=${l.identity}`),
    ].map((s) => enc.encode(s));
    assert.deepEqual(decodeTxt(txt), expected);
    assert.deepEqual(parsedHello(sent), expected);
    assert.deepEqual(cleanDeviceMetadata(sent), expected);
  });

  test('cleaning is idempotent: what came in cleaned stays as it is', () => {
    const once = cleanDeviceMetadata({ name: 'a\u0007b  c', deviceModel: 'mac mini', version: 'v'.repeat(100), operatingSystem: 'Mac OS X' });
    assert.deepEqual(cleanDeviceMetadata({ ...once, librariesOmitted: String(once.librariesOmitted) }), once);
    assert.equal(once.deviceModel, 'Mac mini');
    assert.equal(Array.from(once.version!).length, VERSION_DISPLAY_MAX_CHARS);
  });

  test('a device that says nothing: no name, OS other, no model, version or libraries', () => {
    assert.deepEqual(emptyDeviceMetadata(), { name: '', operatingSystem: 'other', deviceModel: null, version: null, libraries: [], librariesOmitted: 0 });
    assert.deepEqual(decodeTxt([]), emptyDeviceMetadata());
    assert.deepEqual(WITHHELD_METADATA, emptyDeviceMetadata());
    // And a peer reading our withheld hello learns exactly that.
    assert.deepEqual(parsedHello(JSON.parse(JSON.stringify(WITHHELD_METADATA))), emptyDeviceMetadata());
  });
});

describe('the link carries the same schema, with its own caps', () => {
  const ok = { name: 'Box', operatingSystem: 'linux', deviceModel: null, version: null, libraries: [] };

  test('values over the link caps are refused (the link drops the peer)', () => {
    const over: Array<[string, unknown]> = [
      ['name', 'n'.repeat(NAME_LINK_MAX_UNITS + 1)],
      ['deviceModel', 'm'.repeat(DEVICE_MODEL_LINK_MAX_UNITS + 1)],
      ['version', 'v'.repeat(VERSION_LINK_MAX_UNITS + 1)],
      ['operatingSystem', 'MacOS'],
      ['libraries', Array.from({ length: LIBRARIES_LINK_MAX + 1 }, () => ({ uuid: randomUUID(), identity: identity() }))],
    ];
    for (const [field, value] of over) {
      assert.equal(deviceMetadataLinkSchema.safeParse({ ...ok, [field]: value }).success, false, field);
    }
    assert.equal(deviceMetadataLinkSchema.safeParse(ok).success, true);
  });

  test('the full library list travels (more than a TXT record holds), and nothing claims libraries were omitted', () => {
    const libraries = Array.from({ length: LIBRARIES_LINK_MAX }, () => ({ uuid: randomUUID(), identity: identity() }));
    const parsed = parsedHello({ ...ok, libraries, librariesOmitted: 5 });
    assert.equal(parsed.libraries.length, LIBRARIES_LINK_MAX);
    assert.equal(parsed.librariesOmitted, 0);
  });
});

describe('our own metadata', () => {
  const facts = { name: 'Küche 🍳 Server', version: '1.2.3', identity: identity(), activeLibraries: [{ uuid: randomUUID() }, { uuid: randomUUID() }], deviceModel: 'NAS' };

  test('the advertisement, the hello and state().self say the same', () => {
    const own = ownMetadata(facts);
    const heard = decodeTxt(encodeTxt(own).strings);
    const hello = parsedHello(JSON.parse(JSON.stringify(own)));
    const self = selfInfo(own, { identity: facts.identity, hostname: 'sd-0123456789abcdef.local', port: 7373 });
    for (const seen of [heard, hello]) {
      assert.deepEqual(seen, { ...own, librariesOmitted: 0 });
    }
    assert.deepEqual(own.libraries, facts.activeLibraries.map((l) => ({ uuid: l.uuid, identity: facts.identity })));
    assert.deepEqual(self, { name: own.name, operatingSystem: own.operatingSystem, deviceModel: 'NAS', version: '1.2.3', identity: facts.identity, hostname: 'sd-0123456789abcdef.local', port: 7373 });
  });

  test('null announces no model; undefined detects one from the hardware, Other when it tells nothing', () => {
    assert.equal(ownMetadata({ ...facts, deviceModel: null }).deviceModel, null);
    const { deviceModel: _given, ...withoutModel } = facts;
    assert.ok((KNOWN_DEVICE_MODELS as readonly string[]).includes(ownMetadata(withoutModel).deviceModel ?? ''));
  });

  test('whatever we hold, what we send on a link stays within its caps (no peer refuses our hello)', () => {
    const huge = withinLinkLimits(ownMetadata({ ...facts, name: '😀'.repeat(200), deviceModel: 'm'.repeat(500), version: `${'9'.repeat(VERSION_LINK_MAX_UNITS - 1)}😀`, activeLibraries: Array.from({ length: LIBRARIES_LINK_MAX + 5 }, () => ({ uuid: randomUUID() })) }));
    assert.ok(deviceMetadataLinkSchema.safeParse(huge).success);
    assert.equal(huge.libraries.length, LIBRARIES_LINK_MAX);
    // Cut on a character boundary: no half of a surrogate pair.
    assert.equal(huge.name, '😀'.repeat(NAME_LINK_MAX_UNITS / 2));
    assert.equal(huge.version, '9'.repeat(VERSION_LINK_MAX_UNITS - 1));
    assert.deepEqual(withinLinkLimits(huge), huge);
  });
});
