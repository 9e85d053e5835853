// The model this device announces, from what the OS tells of its hardware: DMI directories as
// Linux lays them out (fixtures in a temporary folder), `hw.model` strings as macOS prints them,
// Win32_ComputerSystem as PowerShell prints it. Unknown is `Other`, never nothing.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { appleModelName, detectDeviceModel, type HardwareCommand } from '../../src-main/core/deviceModel.js';
import { ownMetadata } from '../../src-main/core/ownMetadata.js';
import { KNOWN_DEVICE_MODELS } from '../../src-shared/peerMetadata.js';
import { decodeTxt, encodeTxt } from '../../src-shared/txtCodec.js';

const fixtures = mkdtempSync(join(tmpdir(), 'nearby-dmi-'));
after(() => rmSync(fixtures, { recursive: true, force: true }));

/** A /sys/class/dmi/id as Linux writes it: one value per file, newline-terminated. */
function dmiDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(fixtures, 'id-'));
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), `${value}\n`);
  return dir;
}

const noCommand: HardwareCommand = () => {
  throw new Error('Linux reads files, it runs no command');
};

describe('Linux: DMI product name, family and chassis type', () => {
  const cases: Array<[what: string, files: Record<string, string>, model: string]> = [
    ['a ThinkPad (chassis 10, notebook)', { product_name: '20XW0055US', product_family: 'ThinkPad X1 Carbon Gen 9', chassis_type: '10' }, 'Laptop'],
    ['a tower PC (chassis 3, desktop)', { product_name: 'OptiPlex 7090', product_family: 'OptiPlex', chassis_type: '3' }, 'Desktop'],
    ['a rack server (chassis 23)', { product_name: 'PowerEdge R740', chassis_type: '23' }, 'Server'],
    ['a Mac running Linux: its Apple identifier wins over the chassis', { product_name: 'MacBookPro11,1', product_family: 'Mac', chassis_type: '10' }, 'MacBook Pro'],
    ['an Apple Silicon Mac (Asahi) by its identifier', { product_name: 'Mac14,3', chassis_type: '1' }, 'Mac mini'],
    ['chassis "Other" (1): the family names a laptop', { product_name: 'Laptop 13 (AMD Ryzen 7040Series)', product_family: 'Framework Laptop 13', chassis_type: '1' }, 'Laptop'],
    ['chassis "Unknown" (2): the product names a NAS', { product_name: 'DS920+', product_family: 'DiskStation', chassis_type: '2' }, 'NAS'],
    ['a virtual machine (chassis 1, nothing known)', { product_name: 'Standard PC (Q35 + ICH9, 2009)', chassis_type: '1' }, 'Other'],
    ['placeholders the firmware left', { product_name: 'To be filled by O.E.M.', product_family: 'Default string', chassis_type: '2' }, 'Other'],
    ['a chassis type not in the table (12, docking station)', { chassis_type: '12' }, 'Other'],
    ['garbage in chassis_type', { chassis_type: 'notebook' }, 'Other'],
  ];
  for (const [what, files, model] of cases) {
    test(`${what}: ${model}`, () => assert.equal(detectDeviceModel('linux', noCommand, dmiDir(files)), model));
  }

  test('no DMI at all (a container, a board without SMBIOS): Other', () => {
    assert.equal(detectDeviceModel('linux', noCommand, join(fixtures, 'missing')), 'Other');
  });

  test('an unreadable file is no file (a directory where chassis_type should be)', () => {
    const dir = dmiDir({ product_name: 'ThinkPad T14' });
    mkdirSync(join(dir, 'chassis_type'));
    assert.equal(detectDeviceModel('linux', noCommand, dir), 'Laptop');
  });
});

describe('macOS: sysctl hw.model, mapped to the marketing name', () => {
  const cases: Array<[hwModel: string, model: string]> = [
    ['MacBookPro18,3', 'MacBook Pro'],
    ['MacBookAir10,1', 'MacBook Air'],
    ['MacBook10,1', 'MacBook'],
    ['iMac21,1', 'iMac'],
    ['iMacPro1,1', 'iMac Pro'],
    ['Macmini9,1', 'Mac mini'],
    ['MacPro7,1', 'Mac Pro'],
    ['Mac13,1', 'Mac Studio'],
    ['Mac14,2', 'MacBook Air'],
    ['Mac14,8', 'Mac Pro'],
    ['Mac15,7', 'MacBook Pro'],
    ['Mac16,2', 'iMac'],
    ['Mac16,11', 'Mac mini'],
    ['Mac99,1', 'Other'],
    ['VirtualMac2,1', 'Other'],
    ['', 'Other'],
  ];
  for (const [hwModel, model] of cases) {
    test(`${JSON.stringify(hwModel)}: ${model}`, () => {
      const asked: string[] = [];
      const run: HardwareCommand = (file, args) => {
        asked.push([file, ...args].join(' '));
        return `${hwModel}\n`;
      };
      assert.equal(detectDeviceModel('darwin', run), model);
      assert.deepEqual(asked, ['/usr/sbin/sysctl -n hw.model']);
    });
  }

  test('sysctl failing or timing out (null): Other', () => {
    assert.equal(detectDeviceModel('darwin', () => null), 'Other');
  });

  test('every name it gives is a known model (their icons, and the original maps them)', () => {
    for (const id of ['MacBookPro1,1', 'MacBookAir1,1', 'MacBook1,1', 'iMac1,1', 'iMacPro1,1', 'Macmini1,1', 'MacPro1,1', 'Mac13,2', 'Mac15,14', 'Mac16,13']) {
      const name = appleModelName(id);
      assert.ok(name !== null && (KNOWN_DEVICE_MODELS as readonly string[]).includes(name), `${id} -> ${name}`);
    }
  });
});

describe('Windows: Win32_ComputerSystem Model and PCSystemType', () => {
  const cases: Array<[output: string | null, model: string]> = [
    ['Surface Laptop 4\r\n2\r\n', 'Laptop'],
    ['OptiPlex 7090\r\n1\r\n', 'Desktop'],
    ['ProLiant DL380 Gen10\r\n4\r\n', 'Server'],
    ['MacBookPro15,1\r\n2\r\n', 'MacBook Pro'],
    ['ThinkPad T14 Gen 2\r\n0\r\n', 'Laptop'],
    ['Virtual Machine\r\n1\r\n', 'Desktop'],
    ['Virtual Machine\r\n0\r\n', 'Other'],
    ['', 'Other'],
    [null, 'Other'],
  ];
  for (const [output, model] of cases) {
    test(`${JSON.stringify(output)}: ${model}`, () => {
      let asked = '';
      const run: HardwareCommand = (file, args) => {
        asked = [file, ...args].join(' ');
        return output;
      };
      assert.equal(detectDeviceModel('win32', run), model);
      assert.match(asked, /^powershell\.exe -NoProfile -NonInteractive -Command .*Win32_ComputerSystem.*\.Model.*\.PCSystemType/);
    });
  }
});

test('other systems: Other', () => {
  assert.equal(detectDeviceModel('freebsd', () => 'x'), 'Other');
});

test('our advertisement carries device_model whatever the hardware tells; only an explicit none leaves it out', () => {
  const facts = { name: 'Box', version: '1.0.0', identity: 'a'.repeat(43), activeLibraries: [] };
  const txt = encodeTxt(ownMetadata(facts)).strings.map((b) => Buffer.from(b).toString('utf8'));
  const model = txt.find((s) => s.startsWith('device_model='));
  assert.ok(model !== undefined && model.length > 'device_model='.length, `TXT ${JSON.stringify(txt)}`);
  assert.ok((KNOWN_DEVICE_MODELS as readonly string[]).includes(decodeTxt(encodeTxt(ownMetadata(facts)).strings).deviceModel ?? ''));
  assert.ok(!encodeTxt(ownMetadata({ ...facts, deviceModel: null })).strings.some((b) => Buffer.from(b).toString('utf8').startsWith('device_model=')));
});
