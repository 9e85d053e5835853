import { useNearby } from '../store/StoreContext.js';

/** A sentence whose `quoted` parts are commands: shown as code, without the backticks. */
function WithCommands({ text }: { text: string }) {
  return <>{text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}</>;
}

/** The connection to the node when it is not open, and the node's warnings. */
export function StatusBanner() {
  const connection = useNearby((s) => s.connection);
  const loaded = useNearby((s) => s.loaded);
  const warnings = useNearby((s) => s.warnings);
  return (
    <div className="banners">
      {connection.state === 'closed' ? (
        <p className="banner banner-error" role="alert" data-cause={connection.cause}>
          <WithCommands text={connection.reason} />
          {connection.retryAt !== null ? ' Trying again…' : ''}
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
