// Manual peers (DESIGN §5): what the user types where multicast does not reach. Accepted forms:
// `IPv4:port`, `[IPv6]:port`, `host:port`, `host` (port 7373 when omitted).

export const MANUAL_PEER_DEFAULT_PORT = 7373;
export const MANUAL_PEER_MAX_CHARS = 255;

export interface ManualPeerAddress {
  host: string;
  port: number;
  /** The canonical text: `host:port` or `[v6]:port`. */
  text: string;
}

export type ParseResult = { ok: true; value: ManualPeerAddress } | { ok: false; reason: string };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOSTNAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

function isIpv4(host: string): boolean {
  const m = IPV4.exec(host);
  return !!m && m.slice(1).every((o) => Number(o) <= 255 && !/^0\d/.test(o));
}

function isIpv6(host: string): boolean {
  const bare = host.replace(/%[\w.-]+$/, '');
  if (!/^[0-9a-f:.]+$/i.test(bare) || !bare.includes(':')) return false;
  const doubleColons = bare.split('::').length - 1;
  if (doubleColons > 1) return false;
  const parts = bare.split(':');
  const tailIpv4 = parts[parts.length - 1]?.includes('.') ?? false;
  if (tailIpv4 && !isIpv4(parts[parts.length - 1] ?? '')) return false;
  const groups = parts.filter((p) => p !== '' && !p.includes('.'));
  if (groups.some((g) => g.length > 4)) return false;
  const count = groups.length + (tailIpv4 ? 2 : 0);
  return doubleColons === 1 ? count < 8 : count === 8;
}

function isHostname(host: string): boolean {
  if (host.length > 253) return false;
  return host.replace(/\.$/, '').split('.').every((l) => HOSTNAME_LABEL.test(l));
}

function parsePort(text: string): number | string {
  if (!/^\d{1,5}$/.test(text)) return `the port must be a number from 1 to 65535, got "${text}"`;
  const port = Number(text);
  if (port < 1 || port > 65535) return `the port must be from 1 to 65535, got ${port}`;
  return port;
}

/** Parses what a user typed; the reason, when it fails, says what to change. */
export function parseManualPeer(input: string): ParseResult {
  const text = input.trim();
  if (text === '') return { ok: false, reason: 'enter an address, e.g. 192.168.1.20:7373 or nas.local' };
  if (text.length > MANUAL_PEER_MAX_CHARS) return { ok: false, reason: `an address is at most ${MANUAL_PEER_MAX_CHARS} characters` };
  let host: string;
  let portText: string | null = null;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2] ?? null;
    if (!isIpv6(host)) return { ok: false, reason: `"${host}" is not an IPv6 address` };
    if (text.endsWith(':')) return { ok: false, reason: 'a port is missing after ":"' };
  } else if ((text.match(/:/g) ?? []).length > 1) {
    if (isIpv6(text)) return { ok: false, reason: `put an IPv6 address in brackets with its port, e.g. [${text}]:7373` };
    return { ok: false, reason: 'not an address: use IP:port, [IPv6]:port, host:port or host' };
  } else {
    const colon = text.lastIndexOf(':');
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : null;
    if (colon >= 0 && portText === '') return { ok: false, reason: 'a port is missing after ":"' };
    if (host === '') return { ok: false, reason: 'a host is missing before ":"' };
    if (/^[\d.]+$/.test(host)) {
      if (!isIpv4(host)) return { ok: false, reason: `"${host}" is not an IPv4 address (four numbers from 0 to 255)` };
    } else if (!isHostname(host)) {
      return { ok: false, reason: `"${host}" is not a valid host name (letters, digits, hyphens and dots)` };
    }
  }
  let port = MANUAL_PEER_DEFAULT_PORT;
  if (portText !== null) {
    const parsed = parsePort(portText);
    if (typeof parsed === 'string') return { ok: false, reason: parsed };
    port = parsed;
  }
  const lowered = host.toLowerCase();
  const shown = lowered.includes(':') ? `[${lowered}]` : lowered;
  return { ok: true, value: { host: lowered, port, text: `${shown}:${port}` } };
}
