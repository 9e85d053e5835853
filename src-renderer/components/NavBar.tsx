import type { View } from '../store/nearbyStore.js';
import { useNearby } from '../store/StoreContext.js';

const VIEWS: Array<{ view: View; label: string }> = [
  { view: 'devices', label: 'Nearby devices' },
  { view: 'pair', label: 'Pair' },
  { view: 'libraries', label: 'Libraries' },
  { view: 'settings', label: 'Settings' },
];

export function NavBar() {
  const current = useNearby((s) => s.view);
  const setView = useNearby((s) => s.setView);
  const invitations = useNearby((s) => s.libraryInvites.length);
  return (
    <nav className="nav" aria-label="Sections">
      {VIEWS.map(({ view, label }) => (
        <button
          key={view}
          type="button"
          className="nav-item"
          aria-current={current === view ? 'page' : undefined}
          onClick={() => setView(view)}
          data-view={view}
        >
          {label}
          {view === 'libraries' && invitations > 0 ? (
            <span className="nav-count" aria-label={`, ${invitations} ${invitations === 1 ? 'invitation' : 'invitations'} waiting`}>
              {invitations}
            </span>
          ) : null}
        </button>
      ))}
    </nav>
  );
}
