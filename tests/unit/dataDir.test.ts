import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { defaultDataDir } from '../../src-main/core/storage/dataDir.js';

describe('defaultDataDir', () => {
  test('SD_NEARBY_DATA_DIR wins on every platform', () => {
    for (const platform of ['linux', 'darwin', 'freebsd'] as const) {
      assert.equal(defaultDataDir({ env: { SD_NEARBY_DATA_DIR: '/srv/nearby', XDG_DATA_HOME: '/x' }, platform, homedir: '/home/u' }), '/srv/nearby');
    }
    assert.equal(defaultDataDir({ env: { SD_NEARBY_DATA_DIR: 'C:\\data\\nearby', APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\u' }), 'C:\\data\\nearby');
  });

  test('a relative SD_NEARBY_DATA_DIR is made absolute', () => {
    assert.equal(defaultDataDir({ env: { SD_NEARBY_DATA_DIR: 'state' }, platform: 'linux', homedir: '/home/u' }), path.resolve('state'));
  });

  test('an empty SD_NEARBY_DATA_DIR is ignored', () => {
    assert.equal(defaultDataDir({ env: { SD_NEARBY_DATA_DIR: '' }, platform: 'linux', homedir: '/home/u' }), '/home/u/.local/share/sd-nearby');
  });

  test('Linux: XDG_DATA_HOME, else ~/.local/share', () => {
    assert.equal(defaultDataDir({ env: { XDG_DATA_HOME: '/data/xdg' }, platform: 'linux', homedir: '/home/u' }), '/data/xdg/sd-nearby');
    assert.equal(defaultDataDir({ env: {}, platform: 'linux', homedir: '/home/u' }), '/home/u/.local/share/sd-nearby');
  });

  test('Linux: a relative or empty XDG_DATA_HOME is ignored (XDG spec)', () => {
    assert.equal(defaultDataDir({ env: { XDG_DATA_HOME: 'relative/dir' }, platform: 'linux', homedir: '/home/u' }), '/home/u/.local/share/sd-nearby');
    assert.equal(defaultDataDir({ env: { XDG_DATA_HOME: '' }, platform: 'linux', homedir: '/home/u' }), '/home/u/.local/share/sd-nearby');
  });

  test('macOS: ~/Library/Application Support (XDG ignored)', () => {
    assert.equal(defaultDataDir({ env: { XDG_DATA_HOME: '/x' }, platform: 'darwin', homedir: '/Users/o' }), '/Users/o/Library/Application Support/sd-nearby');
  });

  test('Windows: %APPDATA%, else ~\\AppData\\Roaming', () => {
    assert.equal(defaultDataDir({ env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\u' }), 'C:\\Users\\u\\AppData\\Roaming\\sd-nearby');
    assert.equal(defaultDataDir({ env: {}, platform: 'win32', homedir: 'C:\\Users\\u' }), 'C:\\Users\\u\\AppData\\Roaming\\sd-nearby');
  });

  test('without arguments: this process, this platform', () => {
    const saved = process.env.SD_NEARBY_DATA_DIR;
    try {
      process.env.SD_NEARBY_DATA_DIR = '/tmp/sd-nearby-from-env';
      assert.equal(defaultDataDir(), '/tmp/sd-nearby-from-env');
      delete process.env.SD_NEARBY_DATA_DIR;
      const dir = defaultDataDir();
      assert.ok(path.isAbsolute(dir));
      assert.equal(path.basename(dir), 'sd-nearby');
      if (process.platform === 'linux' && !process.env.XDG_DATA_HOME) assert.equal(dir, path.join(os.homedir(), '.local', 'share', 'sd-nearby'));
    } finally {
      if (saved === undefined) delete process.env.SD_NEARBY_DATA_DIR;
      else process.env.SD_NEARBY_DATA_DIR = saved;
    }
  });
});
