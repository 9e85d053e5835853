// The web UI's token in the page (src-renderer/transport/pageToken.ts): taken once from the
// address's fragment, kept for the tab, taken out of the address bar, handed to the WebSocket.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { causeOfRefusal, disconnectReason, retryHelps, takeToken, takeTokenFromAddress, TOKEN_STORAGE_KEY, webSocketUrl, type TokenWindow } from '../../src-renderer/transport/pageToken.js';

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

describe('a token added to the address later (hashchange)', () => {
  test('taken and kept, the address cleaned; an address without one changes nothing', () => {
    const win = fakeWindow('', { [TOKEN_STORAGE_KEY]: 'old' });
    assert.equal(takeTokenFromAddress(win), null);
    assert.deepEqual(win.urls, [], 'the address untouched');
    win.location.hash = '#token=added';
    assert.equal(takeTokenFromAddress(win), 'added');
    assert.equal(win.stored[TOKEN_STORAGE_KEY], 'added');
    assert.deepEqual(win.urls, ['/']);
  });
});

describe('why the page is not connected', () => {
  test('401 to the token check: missing without a token, refused with one; no answer: unreachable; anything else: lost', () => {
    assert.equal(causeOfRefusal(401, false), 'token-missing');
    assert.equal(causeOfRefusal(401, true), 'token-refused');
    assert.equal(causeOfRefusal(null, true), 'unreachable');
    assert.equal(causeOfRefusal(null, false), 'unreachable');
    assert.equal(causeOfRefusal(426, true), 'lost', 'the token is good: the WebSocket failed for another reason');
    assert.equal(causeOfRefusal(503, true), 'lost');
  });

  test('only an unreachable node or a lost connection is tried again; a token problem waits for a token', () => {
    assert.deepEqual(['token-missing', 'token-refused', 'unreachable', 'lost'].map((c) => retryHelps(c as Parameters<typeof retryHelps>[0])), [false, false, true, true]);
  });

  test('each cause has its own sentence; the token ones say how to get the token', () => {
    const missing = disconnectReason('token-missing');
    const refused = disconnectReason('token-refused');
    const unreachable = disconnectReason('unreachable');
    assert.equal(new Set([missing, refused, unreachable, disconnectReason('lost')]).size, 4);
    for (const t of [missing, refused]) {
      assert.match(t, /#token=…/);
      assert.doesNotMatch(t, /Cannot reach/);
    }
    assert.match(unreachable, /^Cannot reach the node/);
    assert.equal(disconnectReason('lost', 'node stopping'), 'The connection to the node was lost (node stopping).');
  });
});
