// The web UI's token in the page (src-renderer/transport/pageToken.ts): taken once from the
// address's fragment, kept for the tab, taken out of the address bar, handed to the WebSocket.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { takeToken, TOKEN_STORAGE_KEY, webSocketUrl, type TokenWindow } from '../../src-renderer/transport/pageToken.js';

function fakeWindow(hash: string, stored: Record<string, string> = {}): TokenWindow & { urls: string[]; stored: Record<string, string> } {
  const urls: string[] = [];
  const location = { hash, pathname: '/', search: '' };
  return {
    urls,
    stored,
    location,
    history: {
      replaceState(_data, _unused, url) {
        urls.push(String(url));
        location.hash = '';
      },
    },
    sessionStorage: {
      getItem: (key) => stored[key] ?? null,
      setItem: (key, value) => void (stored[key] = value),
    },
  };
}

describe('the page token', () => {
  test('taken from #token=, kept in the tab, and the address bar cleaned', () => {
    const win = fakeWindow('#token=abc-DEF_123');
    assert.equal(takeToken(win), 'abc-DEF_123');
    assert.equal(win.stored[TOKEN_STORAGE_KEY], 'abc-DEF_123');
    assert.deepEqual(win.urls, ['/'], 'the fragment is gone from the address');
    assert.equal(takeToken(win), 'abc-DEF_123', 'a reload finds it in the tab');
  });

  test('no fragment and nothing kept: no token, the address untouched', () => {
    const win = fakeWindow('');
    assert.equal(takeToken(win), null);
    assert.deepEqual(win.urls, []);
  });

  test('a new token in the address replaces the one kept', () => {
    const win = fakeWindow('#token=new', { [TOKEN_STORAGE_KEY]: 'old' });
    assert.equal(takeToken(win), 'new');
    assert.equal(win.stored[TOKEN_STORAGE_KEY], 'new');
  });

  test('storage refused: the token still serves this page load', () => {
    const win = fakeWindow('#token=t1');
    win.sessionStorage.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    assert.equal(takeToken(win), 't1');
  });

  test('the WebSocket URL carries it as ?token=, encoded', () => {
    assert.equal(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:7380' }, 'a+b/c'), 'ws://127.0.0.1:7380/api/ws?token=a%2Bb%2Fc');
    assert.equal(webSocketUrl({ protocol: 'https:', host: 'nas:7380' }, null), 'wss://nas:7380/api/ws');
  });
});
