import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import {
  DEVICE_MODEL_TXT_MAX_BYTES,
  LIBRARIES_TXT_MAX,
  NAME_TXT_MAX_BYTES,
  VERSION_TXT_MAX_BYTES,
  canonicalDeviceModel,
  parseOperatingSystem,
  type DeviceMetadata,
  type PeerLibrary,
} from '../../src-shared/peerMetadata.js';
import {
  TXT_RECORD_BUDGET_BYTES,
  TXT_STRING_MAX_BYTES,
  decodeTxt,
  encodeTxt,
  truncateUtf8,
  type EncodedTxt,
} from '../../src-shared/txtCodec.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const txt = (...strings: string[]): Uint8Array[] => strings.map((s) => enc.encode(s));
const asText = (encoded: EncodedTxt): string[] => encoded.strings.map((s) => dec.decode(s));
const identity = (): string => encodeRemoteIdentity(randomBytes(32));
const library = (): PeerLibrary => ({ uuid: randomUUID(), identity: identity() });
const byteLength = (s: string): number => enc.encode(s).length;

type Meta = Omit<DeviceMetadata, 'librariesOmitted'>;
const base: Meta = { name: 'Oscars Laptop', operatingSystem: 'macos', deviceModel: 'MacBook Pro', version: '0.1.0', libraries: [] };

/** The invariants every encoded record must meet. */
function assertWithinLimits(encoded: EncodedTxt): void {
  let total = 0;
  for (const s of encoded.strings) {
    assert.ok(s.length <= TXT_STRING_MAX_BYTES, `string of ${s.length} bytes`);
    assert.ok(s.length > 0);
    total += 1 + s.length;
  }
  assert.equal(encoded.byteLength, total, 'byteLength counts each string plus its length byte');
  assert.ok(total <= TXT_RECORD_BUDGET_BYTES, `record of ${total} bytes`);
  // Valid UTF-8 throughout.
  const strict = new TextDecoder('utf-8', { fatal: true });
  for (const s of encoded.strings) strict.decode(s);
}

describe('encodeTxt', () => {
  test('writes the DESIGN §1 keys, both OS spellings, and one entry per library', () => {
    const lib = library();
    const encoded = encodeTxt({ ...base, libraries: [lib] });
    assert.deepEqual(asText(encoded), [
      'name=Oscars Laptop',
      'operating_system=macos',
      'os=MacOS',
      'device_model=MacBook Pro',
      'version=0.1.0',
      `${lib.uuid}=${lib.identity}`,
    ]);
    assert.equal(encoded.librariesIncluded, 1);
    assert.equal(encoded.librariesOmitted, 0);
    assertWithinLimits(encoded);
  });

  test('uses the Spacedrive 0.4 `os=` spelling for every OS', () => {
    const expected = { macos: 'MacOS', windows: 'Windows', linux: 'Linux', ios: 'Ios', android: 'Android', other: 'Other' } as const;
    for (const [operatingSystem, spelling] of Object.entries(expected)) {
      const strings = asText(encodeTxt({ ...base, operatingSystem: operatingSystem as Meta['operatingSystem'] }));
      assert.ok(strings.includes(`operating_system=${operatingSystem}`));
      assert.ok(strings.includes(`os=${spelling}`));
    }
  });

  test('omits device_model and version when null', () => {
    const strings = asText(encodeTxt({ ...base, deviceModel: null, version: null }));
    assert.deepEqual(strings, ['name=Oscars Laptop', 'operating_system=macos', 'os=MacOS']);
  });

  test('a 2,000-byte name stays within every limit and is cut to NAME_TXT_MAX_BYTES', () => {
    const encoded = encodeTxt({ ...base, name: 'N'.repeat(2000), deviceModel: 'D'.repeat(2000), version: 'V'.repeat(2000) });
    assertWithinLimits(encoded);
    const strings = asText(encoded);
    assert.equal(strings[0], `name=${'N'.repeat(NAME_TXT_MAX_BYTES)}`);
    assert.equal(strings[3], `device_model=${'D'.repeat(DEVICE_MODEL_TXT_MAX_BYTES)}`);
    assert.equal(strings[4], `version=${'V'.repeat(VERSION_TXT_MAX_BYTES)}`);
  });

  test('a 2,000-byte name with 100 libraries still fits the budget', () => {
    const encoded = encodeTxt({ ...base, name: 'é'.repeat(1000), libraries: Array.from({ length: 100 }, library) });
    assertWithinLimits(encoded);
  });

  test('names are cut on a UTF-8 boundary: 2-byte, 3-byte and 4-byte (emoji) characters', () => {
    for (const ch of ['é', '€', '😀', '𝄞']) {
      const encoded = encodeTxt({ ...base, name: ch.repeat(500) });
      assertWithinLimits(encoded); // fatal decoder: no split character
      const name = dec.decode(encoded.strings[0]!).slice('name='.length);
      const size = byteLength(ch);
      assert.equal(byteLength(name), Math.floor(NAME_TXT_MAX_BYTES / size) * size, ch);
      assert.equal(name, ch.repeat(Math.floor(NAME_TXT_MAX_BYTES / size)));
    }
  });

  test('an odd mix is cut to at most NAME_TXT_MAX_BYTES without a broken character', () => {
    const encoded = encodeTxt({ ...base, name: 'a😀'.repeat(100) });
    const name = dec.decode(encoded.strings[0]!).slice('name='.length);
    assert.ok(byteLength(name) <= NAME_TXT_MAX_BYTES && byteLength(name) > NAME_TXT_MAX_BYTES - 4);
    assert.ok(!name.includes('\ufffd'));
    assertWithinLimits(encoded);
  });

  test('100 libraries: those that do not fit are counted in libraries_omitted', () => {
    const libs = Array.from({ length: 100 }, library);
    const encoded = encodeTxt({ ...base, libraries: libs });
    assertWithinLimits(encoded);
    assert.ok(encoded.librariesIncluded > 0);
    assert.ok(encoded.librariesOmitted > 0);
    assert.equal(encoded.librariesIncluded + encoded.librariesOmitted, 100);
    const strings = asText(encoded);
    assert.equal(strings.at(-1), `libraries_omitted=${encoded.librariesOmitted}`);
    // The included ones are the first ones, in order.
    const entries = strings.filter((s) => /^[0-9a-f-]{36}=/.test(s));
    assert.equal(entries.length, encoded.librariesIncluded);
    assert.deepEqual(entries, libs.slice(0, encoded.librariesIncluded).map((l) => `${l.uuid}=${l.identity}`));
    // And the decoder reads the count back.
    const decoded = decodeTxt(encoded.strings);
    assert.equal(decoded.librariesOmitted, encoded.librariesOmitted);
    assert.equal(decoded.libraries.length, encoded.librariesIncluded);
  });

  test('no libraries_omitted key when every library fits', () => {
    const encoded = encodeTxt({ ...base, libraries: Array.from({ length: 3 }, library) });
    assert.equal(encoded.librariesOmitted, 0);
    assert.ok(!asText(encoded).some((s) => s.startsWith('libraries_omitted=')));
  });

  test('the budget holds for any name length and library count (including >= 10,000 libraries)', () => {
    const many = Array.from({ length: 10_100 }, library);
    for (let n = 0; n <= 140; n += 1) {
      for (const count of [0, 1, 12, 13, 14, 15, 16, 50, 10_100]) {
        const encoded = encodeTxt({ ...base, name: 'x'.repeat(n), deviceModel: null, version: null, operatingSystem: 'linux', libraries: many.slice(0, count) });
        assertWithinLimits(encoded);
        assert.equal(encoded.librariesIncluded + encoded.librariesOmitted, count);
      }
    }
  });

  test('invalid libraries (bad uuid or identity) are not sent', () => {
    const good = library();
    const encoded = encodeTxt({
      ...base,
      libraries: [{ uuid: 'not-a-uuid', identity: identity() }, { uuid: randomUUID(), identity: 'short' }, good],
    });
    assert.equal(encoded.librariesIncluded, 1);
    assert.equal(encoded.librariesOmitted, 0);
    assert.ok(asText(encoded).includes(`${good.uuid}=${good.identity}`));
  });

  test('library uuids are sent in lowercase', () => {
    const lib = library();
    const strings = asText(encodeTxt({ ...base, libraries: [{ uuid: lib.uuid.toUpperCase(), identity: lib.identity }] }));
    assert.ok(strings.includes(`${lib.uuid}=${lib.identity}`));
  });

  test('control and bidi characters never leave the node', () => {
    const encoded = encodeTxt({ ...base, name: 'Evil\u202egpj.exe\u0000\n', deviceModel: 'Mac\u200bBook' });
    const strings = asText(encoded);
    assert.equal(strings[0], 'name=Evilgpj.exe');
    assert.equal(strings[3], 'device_model=MacBook');
  });
});

describe('decodeTxt', () => {
  const id = identity();

  test('reads a Spacedrive 0.4 style record', () => {
    const decoded = decodeTxt(txt('name=Oscars Laptop', 'os=MacOS', 'device_model=MacBookPro', 'version=0.4.2'));
    assert.deepEqual(decoded, {
      name: 'Oscars Laptop',
      operatingSystem: 'macos',
      deviceModel: 'MacBook Pro',
      version: '0.4.2',
      libraries: [],
      librariesOmitted: 0,
    });
  });

  test('accepts operating_system or os, in any case and spelling', () => {
    const cases: Array<[string, string]> = [
      ['os=MacOS', 'macos'],
      ['operating_system=macos', 'macos'],
      ['os=Mac OS', 'macos'],
      ['operating_system=Mac OS X', 'macos'],
      ['OS=MACOS', 'macos'],
      ['os=Windows', 'windows'],
      ['os=Linux', 'linux'],
      ['os=Ios', 'ios'],
      ['os=iPadOS', 'ios'],
      ['os=Android', 'android'],
      ['os=Other', 'other'],
      ['os=TempleOS', 'other'],
      ['os=', 'other'],
    ];
    for (const [entry, expected] of cases) assert.equal(decodeTxt(txt('name=x', entry)).operatingSystem, expected, entry);
    assert.equal(decodeTxt(txt('name=x')).operatingSystem, 'other');
  });

  test('operating_system is preferred over os when both are present', () => {
    assert.equal(decodeTxt(txt('os=Windows', 'operating_system=linux')).operatingSystem, 'linux');
  });

  test('device models match ignoring case and spaces; unknown ones are kept as free text', () => {
    assert.equal(decodeTxt(txt('device_model=MacBookPro')).deviceModel, 'MacBook Pro');
    assert.equal(decodeTxt(txt('device_model=macbook pro')).deviceModel, 'MacBook Pro');
    assert.equal(decodeTxt(txt('device_model=MACMINI')).deviceModel, 'Mac mini');
    assert.equal(decodeTxt(txt('device_model=ThinkPad X1')).deviceModel, 'ThinkPad X1');
    assert.equal(decodeTxt(txt('device_model=')).deviceModel, null);
    assert.equal(decodeTxt(txt('name=x')).deviceModel, null);
  });

  test('a missing version is fine', () => {
    const decoded = decodeTxt(txt('name=Box', 'operating_system=linux'));
    assert.equal(decoded.version, null);
    assert.equal(decoded.name, 'Box');
  });

  test('a missing or empty name gives an empty name (the caller falls back to the identity)', () => {
    assert.equal(decodeTxt(txt('os=Linux')).name, '');
    assert.equal(decodeTxt(txt('name=')).name, '');
    assert.equal(decodeTxt(txt('name=   ')).name, '');
    assert.equal(decodeTxt(txt('name=\u202e\u200b')).name, '');
    assert.equal(decodeTxt(txt('name')).name, ''); // boolean attribute
    assert.equal(decodeTxt([]).name, '');
  });

  test('unknown keys, boolean attributes and empty keys are ignored', () => {
    const decoded = decodeTxt(txt('name=Box', 'colour=blue', 'flag', '=value', 'x=', ''));
    assert.equal(decoded.name, 'Box');
    assert.deepEqual(decoded.libraries, []);
  });

  test('keys are case-insensitive and the first occurrence wins', () => {
    assert.equal(decodeTxt(txt('name=First', 'name=Second')).name, 'First');
    assert.equal(decodeTxt(txt('NAME=Upper', 'name=lower')).name, 'Upper');
    assert.equal(decodeTxt(txt('os=Linux', 'os=Windows')).operatingSystem, 'linux');
  });

  test('a value may contain "="', () => {
    assert.equal(decodeTxt(txt('name=a=b')).name, 'a=b');
  });

  test('invalid UTF-8 does not throw and is replaced', () => {
    const decoded = decodeTxt([enc.encode('name=ab'), new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xff, 0xc3])]);
    assert.equal(decoded.name, 'ab');
    const only = decodeTxt([new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0x41, 0xff, 0xfe, 0x42])]);
    assert.equal(only.name, 'A\ufffd\ufffdB');
    assert.doesNotThrow(() => decodeTxt([new Uint8Array([0xff, 0x3d, 0xff])]));
  });

  test('oversize strings and non-byte entries are ignored, never fatal', () => {
    const long = enc.encode(`name=${'x'.repeat(300)}`);
    const decoded = decodeTxt([long, enc.encode('os=Linux'), 'name=str' as unknown as Uint8Array, null as unknown as Uint8Array]);
    assert.equal(decoded.name, '');
    assert.equal(decoded.operatingSystem, 'linux');
  });

  test('library entries: valid ones read (uuid lowercased), invalid identities and duplicates ignored', () => {
    const uuid = randomUUID();
    const other = randomUUID();
    const decoded = decodeTxt(txt(
      `${uuid.toUpperCase()}=${id}`,
      `${uuid}=${identity()}`, // duplicate: first wins
      `${other}=not-an-identity`,
      `${randomUUID()}=${id}=`, // padding is not our format
      `${randomUUID()}=${id.slice(0, 42)}`,
      `${randomUUID()}=`,
      `not-a-uuid=${id}`,
    ));
    assert.deepEqual(decoded.libraries, [{ uuid, identity: id }]);
  });

  test(`at most ${LIBRARIES_TXT_MAX} libraries are read`, () => {
    const strings = txt(...Array.from({ length: LIBRARIES_TXT_MAX + 10 }, () => `${randomUUID()}=${id}`));
    assert.equal(decodeTxt(strings).libraries.length, LIBRARIES_TXT_MAX);
  });

  test('control and bidi characters are stripped from the name, model and version', () => {
    const decoded = decodeTxt(txt('name=Evil\u202egpj.exe', 'device_model=Mac\u0007Book\u2066Pro', 'version=1.0\u200f'));
    assert.equal(decoded.name, 'Evilgpj.exe');
    assert.equal(decoded.deviceModel, 'MacBook Pro');
    assert.equal(decoded.version, '1.0');
    assert.equal(decodeTxt(txt('name=a\u0000b\u001bc\u007fd\u0085e')).name, 'abcde');
  });

  test('a long name is capped for display', () => {
    const name = decodeTxt(txt(`name=${'w'.repeat(200)}`)).name!;
    assert.equal(Array.from(name).length, 64);
    assert.ok(name.endsWith('…'));
  });

  test('libraries_omitted is read only when it is a plain number', () => {
    assert.equal(decodeTxt(txt('libraries_omitted=12')).librariesOmitted, 12);
    assert.equal(decodeTxt(txt('libraries_omitted=-3')).librariesOmitted, 0);
    assert.equal(decodeTxt(txt('libraries_omitted=1e9')).librariesOmitted, 0);
    assert.equal(decodeTxt(txt('libraries_omitted=99999999')).librariesOmitted, 0);
  });

  test('round trip: encode then decode gives the same metadata', () => {
    const libs = Array.from({ length: 5 }, library);
    const meta: Meta = { name: 'Küche 🍳 Server', operatingSystem: 'linux', deviceModel: 'Server', version: '1.2.3', libraries: libs };
    assert.deepEqual(decodeTxt(encodeTxt(meta).strings), { ...meta, librariesOmitted: 0 });
    for (const os of ['macos', 'windows', 'linux', 'ios', 'android', 'other'] as const) {
      assert.equal(decodeTxt(encodeTxt({ ...meta, operatingSystem: os }).strings).operatingSystem, os);
    }
    const bare: Meta = { name: 'x', operatingSystem: 'other', deviceModel: null, version: null, libraries: [] };
    assert.deepEqual(decodeTxt(encodeTxt(bare).strings), { ...bare, librariesOmitted: 0 });
  });
});

describe('helpers', () => {
  test('truncateUtf8 never splits a character', () => {
    assert.equal(truncateUtf8('aé😀', 1), 'a');
    assert.equal(truncateUtf8('aé😀', 2), 'a');
    assert.equal(truncateUtf8('aé😀', 3), 'aé');
    assert.equal(truncateUtf8('aé😀', 6), 'aé');
    assert.equal(truncateUtf8('aé😀', 7), 'aé😀');
    assert.equal(truncateUtf8('abc', 0), '');
  });
  test('parseOperatingSystem and canonicalDeviceModel', () => {
    assert.equal(parseOperatingSystem(undefined), 'other');
    assert.equal(parseOperatingSystem('Mac OS'), 'macos');
    assert.equal(parseOperatingSystem('darwin'), 'macos');
    assert.equal(parseOperatingSystem('GNU/Linux'), 'linux');
    assert.equal(canonicalDeviceModel('imacpro'), 'iMac Pro');
    assert.equal(canonicalDeviceModel('Unknown Thing'), 'Unknown Thing');
  });
});
