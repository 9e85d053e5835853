import { useEffect, useRef } from 'react';
import { DISCOVERY_MODE_LABELS } from '../../src-shared/discoveryModes.js';
import { useNearby } from '../store/StoreContext.js';
import { DevicesView } from './devices/DevicesView.js';
import { NavBar } from './NavBar.js';
import { IncomingPairingDialog } from './pairing/IncomingPairingDialog.js';
import { PairView } from './pairing/PairView.js';
import { SettingsView } from './settings/SettingsView.js';
import { LibrariesView } from './libraries/LibrariesView.js';
import { StatusBanner } from './StatusBanner.js';

function SelfSummary() {
  const self = useNearby((s) => s.self);
  const mode = useNearby((s) => s.mode);
  const temporary = useNearby((s) => s.everyoneUntil !== null);
  if (self === null) return null;
  return (
    <p className="self">
      This device: <span className="strong">{self.name}</span> · {DISCOVERY_MODE_LABELS[mode].status}
      {temporary ? ' for a while, then contacts only' : ''}
    </p>
  );
}

const TITLES = { devices: 'Nearby devices', pair: 'Pair with a device', libraries: 'Libraries', settings: 'Settings' } as const;

export function App() {
  const view = useNearby((s) => s.view);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  useEffect(() => {
    document.title = `${TITLES[view]} · Nearby`;
    // A new section: the focus goes to its start, as after a page load (not on the first render).
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    if (mainRef.current !== null && !mainRef.current.contains(document.activeElement)) mainRef.current.focus({ preventScroll: true });
  }, [view]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-title-row">
          <h1 className="app-title">Nearby</h1>
          <SelfSummary />
        </div>
        <NavBar />
      </header>
      <StatusBanner />
      <main id="main" ref={mainRef} tabIndex={-1} className="app-main" aria-label={TITLES[view]}>
        {view === 'devices' ? <DevicesView /> : view === 'pair' ? <PairView /> : view === 'libraries' ? <LibrariesView /> : <SettingsView />}
      </main>
      <IncomingPairingDialog />
    </>
  );
}
