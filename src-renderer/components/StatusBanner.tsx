import { useNearby } from '../store/StoreContext.js';

/** The connection to the node when it is not open, and the node's warnings. */
export function StatusBanner() {
  const connection = useNearby((s) => s.connection);
  const loaded = useNearby((s) => s.loaded);
  const warnings = useNearby((s) => s.warnings);
  return (
    <div className="banners">
      {connection.state === 'closed' ? (
        <p className="banner banner-error" role="alert">
          {connection.reason}. Trying again…
        </p>
      ) : connection.state === 'connecting' && loaded ? (
        <p className="banner" role="status">
          Reconnecting to the node…
        </p>
      ) : null}
      {warnings.length > 0 ? (
        <ul className="banner banner-warning" aria-label="Warnings from the node">
          {warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
