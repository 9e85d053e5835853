// Runs in the page before its scripts (performance.test.ts, webuiContacts.test.ts): a fake node
// speaking the contract through `window.nearby`, the Electron bridge's shape, so the renderer takes
// it as its transport. `window.__perf` lets the test feed states (`measure`, `start`/`stop`) and read
// event timings. With `window.__fakeNodeState` set, that state is the node's (a fixture), and
// confirmPairing / rejectPairing move its sessions on as the node would.
(() => {
  const peerCount = window.__fakeNodePeers ?? 500;
  const listeners = [];
  const identity = (i) => `${String(i).padStart(4, '0')}${'A'.repeat(38)}E`;
  const oses = ['macos', 'windows', 'linux', 'ios', 'android', 'other'];
  const models = ['MacBook Pro', 'iMac', 'NAS', 'Server', 'iPhone', null, 'Desktop', 'Toaster 3000'];
  const lib = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
  const base = Date.now();
  const peers = Array.from({ length: peerCount }, (_, i) => ({
    id: identity(i).toLowerCase(),
    identity: identity(i),
    instance: identity(i),
    name: `Peer-${String(i).padStart(3, '0')}`,
    operatingSystem: oses[i % oses.length],
    deviceModel: models[i % models.length],
    version: '0.1.0',
    libraries: i % 3 === 0 ? [{ uuid: lib, identity: identity(i) }] : [],
    librariesOmitted: 0,
    verified: false,
    addresses: [`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, `fe80::${i.toString(16)}%eth0`],
    port: 7373,
    hostname: `sd-${i.toString(16).padStart(16, '0')}.local`,
    interfaces: ['eth0'],
    firstSeen: new Date(base).toISOString(),
    lastSeen: new Date(base).toISOString(),
    source: 'mdns',
  }));
  const state = window.__fakeNodeState ?? {
    self: { identity: `${'Z'.repeat(42)}A`, name: 'This one', hostname: 'sd-self.local', port: 7373, operatingSystem: 'linux', deviceModel: null, version: '0.1.0' },
    mode: 'everyone',
    everyoneUntil: null,
    privateDevices: 0,
    discoveryNote: null,
    // Every third device announces Photos; half of those are members (a library in common), the others claim it.
    libraries: [{ uuid: lib, name: 'Photos', active: true, createdAt: new Date(base).toISOString(), members: peers.filter((_, i) => i % 6 === 0).map((p) => ({ identity: p.identity, name: p.name, since: new Date(base).toISOString() })), invited: [] }],
    libraryInvites: [],
    peers,
    manualPeers: [],
    pairing: [],
    contacts: [],
    warnings: [],
  };

  const copy = (value) => JSON.parse(JSON.stringify(value)); // a copy, as any transport gives
  /** What the node does to a session on confirmPairing / rejectPairing; null for other commands. */
  const pairingCommand = (request) => {
    const session = state.pairing.find((p) => p.id === request.payload?.sessionId);
    if (session === undefined) return null;
    if (request.command === 'rejectPairing') Object.assign(session, { stage: 'rejected', reason: 'You rejected the pairing.' });
    else if (request.command === 'confirmPairing') session.stage = 'waiting-for-peer-confirmation';
    else return null;
    return session;
  };

  window.nearby = {
    send(request) {
      const session = pairingCommand(request);
      const answer = request.command === 'getState'
        ? { id: request.id, ok: true, result: copy(state) }
        : session !== null
          ? { id: request.id, ok: true, result: copy(session) }
          : { id: request.id, ok: false, error: { code: 'refused', message: 'fake node' } };
      setTimeout(() => {
        listeners.forEach((l) => l(answer));
        if (session !== null) listeners.forEach((l) => l({ event: 'state', payload: copy(state) }));
      }, 0);
    },
    onMessage(callback) {
      listeners.push(callback);
    },
  };

  // A macrotask later, React has committed (a store update outside an event renders in a microtask).
  const afterRender = () => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

  let tick = 0;
  /** One state from the node with `changed` devices seen again; ms from message to laid-out DOM. */
  const update = async (changed) => {
    tick++;
    const now = new Date(base + tick * 1000).toISOString();
    for (let k = 0; k < changed; k++) peers[(tick * 37 + k * 7) % peers.length].lastSeen = now;
    const wire = JSON.stringify({ event: 'state', payload: state }); // what the WebSocket would carry
    const t0 = performance.now();
    const message = JSON.parse(wire);
    listeners.forEach((l) => l(message));
    await afterRender();
    void document.body.offsetHeight; // style and layout included
    return performance.now() - t0;
  };

  const events = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) events.push({ name: e.name, duration: e.duration, delay: e.processingStart - e.startTime });
  }).observe({ type: 'event', durationThreshold: 16, buffered: true });

  let running = false;
  let delivered = 0;
  window.__perf = {
    events,
    async measure(count, changed) {
      const times = [];
      for (let i = 0; i < count; i++) times.push(await update(changed));
      return times;
    },
    /** Updates back to back with `intervalMs` between them, until stop(). */
    start(intervalMs, changed) {
      running = true;
      delivered = 0;
      (async () => {
        while (running) {
          await update(changed);
          delivered++;
          await new Promise((r) => setTimeout(r, intervalMs));
        }
      })();
    },
    stop() {
      running = false;
      return delivered;
    },
  };
})();
