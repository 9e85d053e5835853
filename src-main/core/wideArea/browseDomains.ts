// Browse domains the network announces (RFC 6763 §11): under each domain of the system's search
// list, PTR records at `b._dns-sd._udp.<domain>` (browse domains) and `lb._dns-sd._udp.<domain>`
// (the legacy browse domain) name the domains to look in. Used when no DNS server is given: the
// system's resolver is asked, as macOS and avahi do.

import { readFile } from 'node:fs/promises';
import { parseWideAreaDomain } from '../../../src-shared/wideArea.js';
import type { DnsServer } from './dnsClient.js';
import { canonicalName } from './dnsWire.js';
import { query } from './zone.js';

/** Where the system's resolver keeps its search list (`search` and `domain` lines). */
export const RESOLV_CONF_PATH = '/etc/resolv.conf';
/** Search domains asked, and announced browse domains taken, at most. */
export const SEARCH_DOMAINS_MAX = 3;
export const ANNOUNCED_DOMAINS_MAX = 4;
const RESOLV_CONF_MAX_BYTES = 64 * 1024;

/** The search list of resolv.conf text: the last `search` or `domain` line wins (resolv.conf(5)). */
export function searchDomainsOf(resolvConf: string): string[] {
  let domains: string[] = [];
  for (const line of resolvConf.slice(0, RESOLV_CONF_MAX_BYTES).split('\n')) {
    const [keyword, ...rest] = line.trim().split(/\s+/);
    if (keyword === 'search' || keyword === 'domain') domains = rest;
  }
  return domains.map((d) => parseWideAreaDomain(d)).flatMap((d) => (d.ok ? [d.value] : [])).slice(0, SEARCH_DOMAINS_MAX);
}

export async function systemSearchDomains(): Promise<string[]> {
  try {
    return searchDomainsOf(await readFile(RESOLV_CONF_PATH, 'utf8'));
  } catch {
    return []; // no resolv.conf (Windows, a container without one): nothing announced
  }
}

/** The browse domains announced under `searchDomains`, other than `exclude`; a question that fails counts as none. */
export async function announcedBrowseDomains(server: DnsServer, searchDomains: readonly string[], exclude: string): Promise<string[]> {
  const found = new Map<string, string>();
  const names = searchDomains.flatMap((d) => [`b._dns-sd._udp.${d}`, `lb._dns-sd._udp.${d}`]);
  const answers = await Promise.all(names.map((name) => query(server, name, 'PTR').catch(() => null)));
  answers.forEach((answer, i) => {
    for (const r of answer?.records ?? []) {
      if (r.type !== 'PTR' || canonicalName(r.name) !== canonicalName(names[i] as string)) continue;
      const domain = parseWideAreaDomain(r.data);
      if (domain.ok && canonicalName(domain.value) !== canonicalName(exclude)) found.set(canonicalName(domain.value), domain.value);
    }
  });
  return [...found.values()].slice(0, ANNOUNCED_DOMAINS_MAX);
}
