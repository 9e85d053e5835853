// The page's token for the node (issue 11), in a browser (`sd-nearby serve --ui`): where it comes
// from, where it is kept, how it reaches the WebSocket. No DOM types here, so it is tested in plain Node.

export const WEBSOCKET_PATH = '/api/ws';

/** Where the page keeps the node's token for this tab (sessionStorage: gone with the tab). */
export const TOKEN_STORAGE_KEY = 'sd-nearby-token';

/** What of the window the token needs: its address, its history (to clean the address) and its storage. */
export interface TokenWindow {
  location: { hash: string; pathname: string; search: string };
  history: { replaceState(data: unknown, unused: string, url?: string | null): void };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

/**
 * The node's token: `serve` prints the UI's address with `#token=…` (a fragment: the browser
 * never sends it). The page takes it once, keeps it in the tab's sessionStorage (a reload and a
 * restart of the node keep working) and takes it out of the address bar, so it is not left in
 * the history, a bookmark or a screenshot. sessionStorage, not localStorage: a program of
 * another user that later listens on the same port would read the page's localStorage.
 */
export function takeToken(win: TokenWindow): string | null {
  const fromAddress = new URLSearchParams(win.location.hash.replace(/^#/u, '')).get('token');
  if (fromAddress === null || fromAddress === '') {
    try {
      return win.sessionStorage.getItem(TOKEN_STORAGE_KEY);
    } catch {
      return null; // storage refused (e.g. blocked by the browser's settings)
    }
  }
  try {
    win.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromAddress);
  } catch {
    // storage refused: the token serves this page load only
  }
  win.history.replaceState(null, '', `${win.location.pathname}${win.location.search}`);
  return fromAddress;
}

/** `ws(s)://<host>/api/ws`, with `?token=` (browsers cannot set a WebSocket's headers). */
export function webSocketUrl(location: { protocol: string; host: string }, token: string | null): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${WEBSOCKET_PATH}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}
