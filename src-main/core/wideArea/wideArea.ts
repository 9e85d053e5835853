// Wide-area discovery (issue 16), as the node sees it: the registration (registrar.ts) and the
// browsing (browser.ts) of one domain through one DNS server, opened from the settings. The node
// says what to advertise (the mode decides, as for mDNS), whether to browse, and whether someone
// looks; it reads the entries found as Peers with `source: 'wide-area'`. Without a DNS server of
// its own, it also browses the domains the system's resolver announces (browseDomains.ts).

import { EventEmitter } from 'node:events';
import { getServers } from 'node:dns';
import { parseDnsServer, type WideAreaSettings } from '../../../src-shared/wideArea.js';
import type { Peer } from '../../../src-shared/peer.js';
import { WideAreaBrowser, type StaleRegistration, type WideAreaUpdates } from './browser.js';
import type { DnsServer } from './dnsClient.js';
import { WideAreaRegistrar, type RegistrationStatus, type WideAreaAdvertisement } from './registrar.js';
import { loadTsigKeyFile } from './tsigKeyFile.js';
import { announcedBrowseDomains, systemSearchDomains } from './browseDomains.js';
import { WIDE_AREA_LEASE_ENV, WIDE_AREA_LEASE_MAX_S, WIDE_AREA_LEASE_MIN_S, WIDE_AREA_LEASE_S } from './constants.js';

export type { WideAreaAdvertisement } from './registrar.js';

/** The lease asked for: $SD_NEARBY_WIDE_AREA_LEASE_S when it is a number of seconds in range (tests), else an hour. */
export function leaseFromEnv(raw: string | undefined): number {
  const s = Number(raw);
  return Number.isInteger(s) && s >= WIDE_AREA_LEASE_MIN_S && s <= WIDE_AREA_LEASE_MAX_S ? s : WIDE_AREA_LEASE_S;
}

/** Without --dns-server: the first server of the system's resolver. */
function systemServer(): DnsServer {
  const first = getServers()[0];
  const parsed = first === undefined ? null : parseDnsServer(first.includes(':') && !first.startsWith('[') && first.split(':').length > 2 ? `[${first}]` : first);
  if (!parsed?.ok) throw new Error('wide-area discovery needs a DNS server: this system has none configured; give --dns-server HOST');
  return parsed.value;
}

export class WideArea extends EventEmitter<{ warning: [string]; peers: []; status: [RegistrationStatus] }> {
  /** The domain of the settings first, then those the network announces. */
  private readonly browsers: WideAreaBrowser[] = [];
  private browsing = false;
  private looking = false;
  private closed = false;

  private constructor(
    readonly settings: WideAreaSettings,
    readonly server: DnsServer,
    private readonly registrar: WideAreaRegistrar,
    private readonly ownInstance: string,
  ) {
    super();
    registrar.on('warning', (w) => this.emit('warning', `wide-area (${settings.domain}): ${w}`));
    registrar.on('status', (s) => this.emit('status', s));
    this.addBrowser(settings.domain);
  }

  private addBrowser(domain: string): void {
    // Leases that end are enforced in our own domain only (the registrar's key and zone are for it).
    const expire = domain === this.settings.domain ? (stale: StaleRegistration) => this.registrar.expire(stale) : undefined;
    const browser = new WideAreaBrowser({ domain, server: this.server, ownInstance: this.ownInstance, expire });
    browser.on('warning', (w) => this.emit('warning', `wide-area (${domain}): ${w}`));
    browser.on('peers', () => this.emit('peers'));
    browser.on('updates', () => this.emit('status', this.registrar.status));
    this.browsers.push(browser);
    if (this.browsing) browser.start();
    browser.setLooking(this.looking);
  }

  /** Adds the browse domains the system's resolver announces (RFC 6763 §11) under its search list. */
  private async addAnnouncedDomains(): Promise<void> {
    const domains = await announcedBrowseDomains(this.server, await systemSearchDomains(), this.settings.domain);
    if (this.closed) return;
    for (const domain of domains) this.addBrowser(domain);
  }

  /** Reads the key file and finds the server; throws one line when either cannot be used. */
  static async open(settings: WideAreaSettings, ownInstance: string, leaseS: number): Promise<WideArea> {
    const key = settings.tsigKeyFile === null ? null : await loadTsigKeyFile(settings.tsigKeyFile);
    const parsed = settings.dnsServer === null ? null : parseDnsServer(settings.dnsServer);
    if (parsed && !parsed.ok) throw new Error(parsed.error);
    const server = parsed ? parsed.value : systemServer();
    const registrar = new WideAreaRegistrar({ domain: settings.domain, server, key, leaseS, updateThePrimary: settings.dnsServer === null });
    const wide = new WideArea(settings, server, registrar, ownInstance);
    if (settings.dnsServer === null) void wide.addAnnouncedDomains();
    return wide;
  }

  get registration(): RegistrationStatus {
    return this.registrar.status;
  }

  /** How changes in the domain of the settings reach us (DNS Push, or polls); null while not browsing. */
  get updates(): WideAreaUpdates | null {
    return this.browsers[0]?.updates ?? null;
  }

  /** The DNS Push server in use for that domain, in words (null: none). */
  get pushServer(): string | null {
    return this.browsers[0]?.pushServer ?? null;
  }

  /** What to register (null: nothing, and what was registered is removed). */
  advertise(advertisement: WideAreaAdvertisement | null): void {
    this.registrar.set(advertisement);
  }

  setBrowsing(browsing: boolean): void {
    this.browsing = browsing;
    for (const b of this.browsers) {
      if (browsing) b.start();
      else b.stop();
    }
  }

  setLooking(looking: boolean): void {
    this.looking = looking;
    for (const b of this.browsers) b.setLooking(looking);
  }

  peers(): Peer[] {
    return this.browsers.length === 1 ? (this.browsers[0] as WideAreaBrowser).peers() : this.browsers.flatMap((b) => b.peers());
  }

  get heardCount(): number {
    return this.browsers.reduce((sum, b) => sum + b.heardCount, 0);
  }

  /** Removes the registration (bounded wait) and stops browsing. */
  async close(): Promise<void> {
    this.closed = true;
    for (const b of this.browsers) b.stop();
    await this.registrar.stop();
  }
}
