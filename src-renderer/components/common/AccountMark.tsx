// The account a device proved it belongs to (issue 14), drawn the same wherever a device is shown
// (the list, the details, the pairing picker, panel and dialog): "Oscar Beaumont · oscar@example.com"
// after a mark that says the node checked it (a trusted issuer, signatures, the device's own key).
// Devices of the user's own account carry a "My device" badge. Credentials that failed show no
// account; the details say why.

import { accountText, type AccountStanding } from '../../../src-shared/account.js';

const VERIFIED_ACCOUNT_TITLE = 'Verified account: signed by an issuer this device trusts, for the key this device proved';

/** A seal with a check: the account was verified (drawn inline: it takes the text colour of its line). */
function AccountSeal() {
  return (
    <svg className="account-seal" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M8 0.8 9.9 2.2 12.2 2.1 13 4.3 14.9 5.7 14.2 8 14.9 10.3 13 11.7 12.2 13.9 9.9 13.8 8 15.2 6.1 13.8 3.8 13.9 3 11.7 1.1 10.3 1.8 8 1.1 5.7 3 4.3 3.8 2.1 6.1 2.2Z" />
      <path fill="none" stroke="var(--surface)" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" d="M5.2 8.2 7.2 10.1 10.9 6.1" />
    </svg>
  );
}

/** An email that may break after its @ before anywhere else (a narrow tile). */
function emailWithBreak(email: string) {
  const at = email.lastIndexOf('@');
  if (at < 0) return email;
  return (
    <>
      {email.slice(0, at + 1)}
      <wbr />
      {email.slice(at + 1)}
    </>
  );
}

/** "✓ Name · email" for a device with a verified account; nothing for any other. */
export function AccountLine({ standing, className = '' }: { standing: AccountStanding; className?: string }) {
  if (!standing.account) return null;
  const { name, email } = standing.account;
  // The pieces of accountText, so that a narrow place can put the email on a line of its own.
  return (
    <span className={`account-line ${className}`.trim()} title={`${VERIFIED_ACCOUNT_TITLE}: ${accountText(standing.account)}`}>
      <AccountSeal />
      <span className="account-text">
        <span className="visually-hidden">Verified account: </span>
        <span className="account-name">{name}</span>
        <span className="account-separator"> · </span>
        <span className="account-email">{emailWithBreak(email)}</span>
      </span>
    </span>
  );
}

/** The badge of a device of the user's own account. */
export function MyDeviceBadge({ standing }: { standing: AccountStanding }) {
  if (!standing.myDevice) return null;
  return (
    <span className="badge badge-my-device" title="Signed into your account: trusted like a contact, without a pairing code">
      My device
    </span>
  );
}

/** In the details of one of My devices, instead of the offer to pair: it needs no code. */
export function MyDeviceNote({ standing }: { standing: AccountStanding }) {
  if (!standing.myDevice || !standing.account) return null;
  return <p className="contact-note my-device-note">One of your devices: it proved your account, so it is trusted like a contact without a pairing code.</p>;
}

/** The details' line about the account: the verified one, the reason none is shown, or that it showed none. */
export function AccountFact({ standing }: { standing: AccountStanding }) {
  if (standing.account) return <AccountLine standing={standing} />;
  if (standing.accountProblem !== undefined) return <span className="account-problem">Not shown. {standing.accountProblem}</span>;
  return <span className="muted">None shown</span>;
}
