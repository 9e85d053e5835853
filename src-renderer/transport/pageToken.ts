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
 * A token added to the address (`#token=…`, as `serve` prints it; the fragment never reaches the
 * server): kept in the tab's sessionStorage (a reload and a restart of the node keep working) and
 * taken out of the address bar, so it is not left in the history, a bookmark or a screenshot.
 * sessionStorage, not localStorage: a program of another user that later listens on the same port
 * would read the page's localStorage. Null when the address holds none; the address is untouched.
 */
export function takeTokenFromAddress(win: TokenWindow): string | null {
  const fromAddress = new URLSearchParams(win.location.hash.replace(/^#/u, '')).get('token');
  if (fromAddress === null || fromAddress === '') return null;
  try {
    win.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromAddress);
  } catch {
    // storage refused: the token serves this page load only
  }
  win.history.replaceState(null, '', `${win.location.pathname}${win.location.search}`);
  return fromAddress;
}

/** The node's token when the page loads: from the address, else the one kept for the tab. */
export function takeToken(win: TokenWindow): string | null {
  const fromAddress = takeTokenFromAddress(win);
  if (fromAddress !== null) return fromAddress;
  try {
    return win.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null; // storage refused (e.g. blocked by the browser's settings)
  }
}

/**
 * A browser tells a page nothing of why its WebSocket did not open: a refused token (401) and a
 * node that does not answer look the same. This path, asked with a plain GET and the token as a
 * bearer header, tells them apart and changes nothing on the node: 401 without a token it takes,
 * 426 (use a WebSocket) with one, no answer at all from a node that is gone.
 */
export const TOKEN_CHECK_PATH = WEBSOCKET_PATH;
const HTTP_UNAUTHORIZED = 401;

/** Why the page is not connected to the node. */
export type DisconnectCause = 'token-missing' | 'token-refused' | 'unreachable' | 'lost';

/** What the check above says of a WebSocket that did not open: `answer` is its HTTP status, null when nothing answered. */
export function causeOfRefusal(answer: number | null, hasToken: boolean): DisconnectCause {
  if (answer === HTTP_UNAUTHORIZED) return hasToken ? 'token-refused' : 'token-missing';
  return answer === null ? 'unreachable' : 'lost';
}

/** Whether waiting helps: a missing or refused token stays so until a new one is added to the address. */
export function retryHelps(cause: DisconnectCause): boolean {
  return cause === 'unreachable' || cause === 'lost';
}

const HOW_TO_GET_THE_TOKEN = 'open the address `sd-nearby serve --ui` printed (it ends in #token=…), or add its #token=… to this address';

/** The banner's sentence for each cause, punctuated; `detail` is what the node said when it closed the connection. */
export function disconnectReason(cause: DisconnectCause, detail = ''): string {
  switch (cause) {
    case 'token-missing':
      return `This page has no token for the node: ${HOW_TO_GET_THE_TOKEN}.`;
    case 'token-refused':
      return `The node does not take this page's token (it may have been given a new one): ${HOW_TO_GET_THE_TOKEN}.`;
    case 'unreachable':
      return 'Cannot reach the node. Is `sd-nearby serve --ui` still running?';
    case 'lost':
      return `The connection to the node was lost${detail ? ` (${detail})` : ''}.`;
  }
}

/** `ws(s)://<host>/api/ws`, with `?token=` (browsers cannot set a WebSocket's headers). */
export function webSocketUrl(location: { protocol: string; host: string }, token: string | null): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${WEBSOCKET_PATH}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}
