// The wide-area discovery settings (issue 16): a DNS domain to register in and browse, the DNS
// server that takes the signed updates, and the TSIG key file. Checked here once, for the CLI,
// the settings file and the UI alike; each mistake is one sentence saying what to write.

/** What the user gives; null server: the system's resolver; null key: unsigned updates. */
export interface WideAreaSettings {
  domain: string;
  dnsServer: string | null;
  tsigKeyFile: string | null;
}

/** Room left in a 255-byte name for `<43-char identity>._sd._udp.`: the domain gets the rest. */
export const WIDE_AREA_DOMAIN_MAX_CHARS = 200;
export const DNS_SERVER_MAX_CHARS = 300;
export const TSIG_KEY_PATH_MAX_CHARS = 4096;
const DEFAULT_DNS_PORT = 53;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** A domain such as `sd.example.com` (a final dot is dropped; case kept as given, compared without it). */
export function parseWideAreaDomain(raw: string): Checked<string> {
  const domain = raw.trim().replace(/\.$/, '');
  const labels = domain.split('.');
  if (domain === '') return { ok: false, error: 'a wide-area domain is a DNS name such as sd.example.com; got an empty one' };
  if (domain.length > WIDE_AREA_DOMAIN_MAX_CHARS) return { ok: false, error: `a wide-area domain is at most ${WIDE_AREA_DOMAIN_MAX_CHARS} characters` };
  if (labels.some((l) => !/^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l))) return { ok: false, error: `the wide-area domain ${JSON.stringify(raw.slice(0, 80))} is not a DNS name: letters, digits and hyphens in labels of 1 to 63, separated by dots (e.g. sd.example.com)` };
  if (domain.toLowerCase() === 'local' || domain.toLowerCase().endsWith('.local')) return { ok: false, error: 'the wide-area domain cannot be .local: that is mDNS, which Nearby uses on the LAN already' };
  return { ok: true, value: domain };
}

/** `HOST[:PORT]`: an IPv4 address, a [bracketed] IPv6 address or a host name, port 53 unless given. */
export function parseDnsServer(raw: string): Checked<{ host: string; port: number }> {
  const text = raw.trim();
  const shape = `a DNS server is HOST or HOST:PORT (an IPv4 address, a [bracketed] IPv6 address or a host name; port 53 unless given), got ${JSON.stringify(raw.slice(0, 80))}`;
  if (text === '' || text.length > DNS_SERVER_MAX_CHARS) return { ok: false, error: shape };
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(text);
  const plain = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  const bareIpv6 = /^[0-9A-Fa-f:]+$/.test(text) && text.includes('::') ? [text, text] : null;
  const match = bracketed ?? plain ?? bareIpv6;
  if (!match?.[1]) return { ok: false, error: shape };
  const port = match[2] === undefined ? DEFAULT_DNS_PORT : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: `the DNS server's port is 1 to 65535, got ${match[2]}` };
  return { ok: true, value: { host: match[1].toLowerCase(), port } };
}

/** All three fields checked; the first mistake as one sentence. */
export function checkWideAreaSettings(s: WideAreaSettings): Checked<WideAreaSettings> {
  const domain = parseWideAreaDomain(s.domain);
  if (!domain.ok) return domain;
  if (s.dnsServer !== null) {
    const server = parseDnsServer(s.dnsServer);
    if (!server.ok) return server;
  }
  if (s.tsigKeyFile !== null && (s.tsigKeyFile.trim() === '' || s.tsigKeyFile.length > TSIG_KEY_PATH_MAX_CHARS)) return { ok: false, error: `the TSIG key file is a path of 1 to ${TSIG_KEY_PATH_MAX_CHARS} characters` };
  return { ok: true, value: { domain: domain.value, dnsServer: s.dnsServer === null ? null : s.dnsServer.trim(), tsigKeyFile: s.tsigKeyFile } };
}
