// What this node makes of accounts (issue 14): the credentials it presents (in a hello, in the
// answer to a verification; the mode decides to whom), the issuers it trusts, and the account each
// peer proved, checked offline against the identity the TLS handshake proved. Devices of our own
// account are "My devices": a relationship, like a contact, without a pairing code.

import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { toDisplayText } from '../../../src-shared/displayText.js';
import type { AccountStanding, PeerAccount } from '../../../src-shared/account.js';
import { checkSignatures, checkStanding, CredentialError, type CheckedCredentials } from './credentials.js';
import type { MyDeviceStore } from './myDevices.js';

/** Both credentials as they travel (hello `account`, the verification's answer). */
export interface AccountPresentation {
  account: string;
  device: string;
}

/**
 * Lenient on length on purpose: an oversize credential is refused by the decoder with its reason
 * kept (the row says why), not by the schema, which would drop the whole hello. The frame limit
 * (64 KiB) bounds it anyway.
 */
export const accountPresentationSchema = z.object({ account: z.string().max(16 * 1024), device: z.string().max(16 * 1024) }).strict();

/** Checked credentials remembered (signatures cost about 0.1 ms each); the least recently used go first. */
const CHECKED_MAX = 512;

export interface AccountTrustOptions {
  /** Our own credentials (data directory), or null. */
  own: AccountPresentation | null;
  ownIdentity: string;
  /** The issuers given by --trust-issuer and the setting `trustedIssuers`, as now. */
  trustedIssuers: () => readonly string[];
  /** My devices kept across restarts (myDevices.ts); none: in memory only. */
  remembered?: MyDeviceStore;
  /** Where a failed write of the remembered devices is told. */
  warn?: (message: string) => void;
  now?: () => number;
}

type Checked = CheckedCredentials | CredentialError;

/** 'myDevices': the set of My devices changed (one proved our account, or stopped proving it). */
export class AccountTrust extends EventEmitter<{ myDevices: [] }> {
  private readonly checked = new Map<string, Checked>();
  /** Identities proven to be devices of our account in this run (a link's hello or a verification said so and checked out), with their device names. */
  private readonly myDevices = new Map<string, string>();
  /** Remembered devices that stopped proving our account in this run (their file entry may not be gone yet). */
  private readonly disproved = new Set<string>();
  private readonly now: () => number;
  private issuers: Set<string> | null = null;
  /** Our own credentials checked against our own identity: our account, or why they cannot be used. */
  readonly own: { account: CheckedCredentials | null; problem: string | null };

  constructor(private readonly opts: AccountTrustOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.own = this.checkOwn();
  }

  /** What we present to a peer the mode lets us tell: our credentials, even when they fail (the peer says why). */
  presentation(): AccountPresentation | null {
    return this.opts.own;
  }

  /** Our own account's public key, when our credentials hold. */
  get ownAccountKey(): string | null {
    return this.own.account?.account.accountKey ?? null;
  }

  /** The issuers we trust: those given, and the one that signed our own account (we carry its credential). Made once per change (issuersChanged). */
  trustedIssuers(): ReadonlySet<string> {
    if (this.issuers === null) {
      this.issuers = new Set(this.opts.trustedIssuers());
      if (this.own.account) this.issuers.add(this.own.account.account.issuer);
    }
    return this.issuers;
  }

  /** The setting `trustedIssuers` changed: the next check reads it again. */
  issuersChanged(): void {
    this.issuers = null;
  }

  /**
   * What `presented` proves for the device whose handshake proved `identity`: its account, or
   * none with the reason (expired, unknown issuer, another device's, forged, cut short, oversize).
   */
  evaluate(identity: string, presented: AccountPresentation | null | undefined): AccountStanding {
    return this.check(identity, presented).standing;
  }

  private check(identity: string, presented: AccountPresentation | null | undefined): { standing: AccountStanding; checked?: CheckedCredentials } {
    if (!presented) return { standing: { account: null } };
    try {
      const checked = this.signaturesOf(presented);
      if (checked instanceof CredentialError) throw checked;
      checkStanding(checked, identity, this.trustedIssuers(), this.now());
      const account: PeerAccount = { name: checked.account.name, email: checked.account.email, verified: true };
      const mine = this.ownAccountKey !== null && checked.account.accountKey === this.ownAccountKey && identity !== this.opts.ownIdentity;
      return { standing: mine ? { account, myDevice: true } : { account }, checked };
    } catch (err) {
      if (!(err instanceof CredentialError)) throw err;
      return { standing: { account: null, accountProblem: `${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}.` } };
    }
  }

  /**
   * evaluate, and keeps what it says of My devices: one that proved our account now is one (and is
   * remembered until its credential ends); one whose credentials do not prove it is not (and is
   * forgotten). A device that presents nothing this time keeps what it proved before.
   */
  observe(identity: string, presented: AccountPresentation | null | undefined): AccountStanding {
    const { standing, checked } = this.check(identity, presented);
    if (!presented) return standing;
    const remembered = this.opts.remembered;
    const wasMine = this.isMyDevice(identity);
    const failed = (err: Error) => this.opts.warn?.(`cannot keep My devices in my-devices.json: ${err.message}`);
    if (standing.myDevice && checked) {
      const name = toDisplayText(checked.device.deviceName);
      this.myDevices.set(identity, name);
      this.disproved.delete(identity);
      remembered?.remember({ identity, name, accountKey: checked.account.accountKey, notAfter: Math.min(checked.account.notAfter, checked.device.notAfter) }).catch(failed);
    } else {
      this.myDevices.delete(identity);
      if (wasMine) this.disproved.add(identity);
      remembered?.forget(identity).catch(failed);
    }
    // Told after the memory changed, before the file is written: isMyDevice reads the memory first, and a forgotten device is no longer in either.
    if (wasMine !== (standing.myDevice === true)) this.emit('myDevices');
    return standing;
  }

  /** The account our own credentials prove now (null: none, or they cannot be used). */
  ownAccount(): PeerAccount | null {
    return this.opts.own ? (this.evaluate(this.opts.ownIdentity, this.opts.own).account ?? null) : null;
  }

  /** Proved our account in this run, or in an earlier one and still within its credential's dates (and not disproved since). */
  isMyDevice(identity: string): boolean {
    if (this.myDevices.has(identity)) return true;
    if (this.disproved.has(identity)) return false;
    const ours = this.ownAccountKey;
    return ours !== null && this.opts.remembered !== undefined && this.opts.remembered.holds(identity, ours, this.now());
  }

  /** My devices with their names: those proven in this run, and those remembered that still hold. */
  myDeviceList(): Array<{ identity: string; name: string }> {
    const out = new Map(this.myDevices);
    const ours = this.ownAccountKey;
    if (ours !== null && this.opts.remembered) for (const d of this.opts.remembered.holding(ours, this.now())) if (!out.has(d.identity) && !this.disproved.has(d.identity)) out.set(d.identity, d.name);
    return [...out].map(([identity, name]) => ({ identity, name }));
  }

  private signaturesOf(presented: AccountPresentation): Checked {
    const key = `${presented.account}\n${presented.device}`;
    let checked = this.checked.get(key);
    if (checked === undefined) {
      try {
        checked = checkSignatures(presented.account, presented.device);
      } catch (err) {
        if (!(err instanceof CredentialError)) throw err;
        checked = err;
      }
    }
    this.checked.delete(key);
    this.checked.set(key, checked);
    if (this.checked.size > CHECKED_MAX) this.checked.delete(this.checked.keys().next().value as string);
    return checked;
  }

  private checkOwn(): { account: CheckedCredentials | null; problem: string | null } {
    const own = this.opts.own;
    if (!own) return { account: null, problem: null };
    try {
      const checked = checkSignatures(own.account, own.device);
      checkStanding(checked, this.opts.ownIdentity, new Set([checked.account.issuer]), this.now());
      return { account: checked, problem: null };
    } catch (err) {
      if (!(err instanceof CredentialError)) throw err;
      return { account: null, problem: `This device's account credentials cannot be used (${err.message}); other devices show no account for it. Add it again with sd-nearby account add-device.` };
    }
  }
}
