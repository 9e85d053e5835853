// Starts the UI: connects to the node (the Electron preload or a WebSocket, see
// transport/nodeConnection.ts), feeds the store, tells the node what is on screen, renders.

import './zodJitless.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { bindAttention } from './store/attention.js';
import { bindStoreToConnection, createNearbyStore } from './store/nearbyStore.js';
import { StoreProvider } from './store/StoreContext.js';
import { connectToNode } from './transport/nodeConnection.js';
import './styles.css';

/** How often "last seen" texts are brought up to date. */
const CLOCK_TICK_MS = 5_000;

const connection = connectToNode();
const store = createNearbyStore(connection);
bindStoreToConnection(store, connection);
// A hidden window or a background tab is not looking (the Electron window's page gets the same events).
const pageVisible = () => document.visibilityState === 'visible';
store.getState().setPageVisible(pageVisible());
document.addEventListener('visibilitychange', () => store.getState().setPageVisible(pageVisible()));
bindAttention(store, connection);
setInterval(() => store.getState().tick(Date.now()), CLOCK_TICK_MS);

const rootElement = document.getElementById('root');
if (rootElement === null) throw new Error('index.html has no #root');
createRoot(rootElement).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
