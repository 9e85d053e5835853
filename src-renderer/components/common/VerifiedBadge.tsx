export function VerifiedBadge({ verified }: { verified: boolean }) {
  return verified ? (
    <span className="badge badge-verified" title="The P2P link proved this device holds the identity it claims">
      Verified
    </span>
  ) : (
    <span className="badge badge-unverified" title="What this device says about itself; proven once the P2P link connects">
      Not verified
    </span>
  );
}
