// The account a device proved it belongs to (issue 14), as the UIs show it: the owner's name and
// verified email, from credentials the node checked offline (src-main/core/accounts/).

/** A device's account: set only when its credentials verified against a trusted issuer and the identity its handshake proved. */
export interface PeerAccount {
  name: string;
  email: string;
  verified: true;
}

/** What a row of the list says about its account (the peer directory sets it on every row). */
export interface AccountStanding {
  /** The account it proved; null when it showed none or its credentials failed. */
  account?: PeerAccount | null;
  /** Why credentials it showed were not accepted, in words for the user (expired, unknown issuer, …). */
  accountProblem?: string;
  /** Set when it proved our own account: one of "My devices", trusted like a contact without a code. */
  myDevice?: true;
}

/** "Oscar Beaumont · oscar@example.com", the same in every UI and the CLI. */
export function accountText(account: PeerAccount): string {
  return `${account.name} · ${account.email}`;
}
