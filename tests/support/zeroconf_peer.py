#!/usr/bin/python3
"""python-zeroconf peer for the namespace LAN tests (run with /usr/bin/python3: Debian's
python3-zeroconf; another python first on PATH may not have the module).

  zeroconf_peer.py publish '<json>'   register a service, print READY, unregister on SIGTERM
  zeroconf_peer.py browse  '<json>'   browse a type, print one JSON array of resolved services
  zeroconf_peer.py watch   '<json>'   browse a type until SIGTERM, printing one JSON line per event
                                      as it happens (for benchmarks): {"ev": "started"} once, then
                                      {"ev": "added"|"resolved"|"removed"|"unresolved", "name": ...}

JSON options:
  interfaces: list of addresses to bind (IPv4 strings, IPv6 link-local strings; IPv6 ones are
              turned into interface indexes by zeroconf). Empty/missing: InterfaceChoice.All.
  publish:    instance, type, port, txt {k: v|null}, addresses [..], server (host name.local.),
              browse (optional, default false: also browse `type` and resolve what it finds, as
              an app that publishes and lists its peers would, printing watch's JSON lines after
              READY; used by the benchmarks)
  browse:     type, timeout_ms, expect [instance names: stop as soon as all are resolved]
"""
import json
import signal
import sys
import threading
import time

from zeroconf import (
    InterfaceChoice,
    ServiceBrowser,
    ServiceInfo,
    ServiceListener,
    Zeroconf,
)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def make_zc(opts):
    ifaces = opts.get('interfaces') or None
    return Zeroconf(interfaces=ifaces if ifaces else InterfaceChoice.All)


def publish(opts):
    zc = make_zc(opts)
    type_ = opts['type']
    props = {k: (None if v is None else str(v)) for k, v in (opts.get('txt') or {}).items()}
    info = ServiceInfo(
        type_,
        f"{opts['instance']}.{type_}",
        port=int(opts['port']),
        properties=props,
        server=opts.get('server'),
        parsed_addresses=opts.get('addresses') or None,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    zc.register_service(info, allow_name_change=bool(opts.get('allow_name_change')))
    print('READY ' + info.name, flush=True)
    browser = ServiceBrowser(zc, type_, Resolver(zc, json_emitter())) if opts.get('browse') else None
    while not stop.wait(0.2):
        pass
    if browser is not None:
        browser.cancel()
    zc.unregister_service(info)  # sends the goodbye packets (TTL 0)
    zc.close()
    print('STOPPED', flush=True)


class Collector(ServiceListener):
    def __init__(self):
        self.names = []
        self.lock = threading.Lock()

    def add_service(self, zc, type_, name):
        with self.lock:
            if name not in self.names:
                self.names.append(name)

    def update_service(self, zc, type_, name):
        self.add_service(zc, type_, name)

    def remove_service(self, zc, type_, name):
        pass


class Resolver(ServiceListener):
    """Resolves every service found (in a thread of its own, not the browser's); with `emit`,
    reports each event as it happens."""

    def __init__(self, zc, emit):
        self.zc = zc
        self.emit = emit

    def _resolve(self, type_, name):
        info = self.zc.get_service_info(type_, name, timeout=3000)
        if self.emit is not None:
            if info is None:
                self.emit({'ev': 'unresolved', 'name': name})
            else:
                self.emit({'ev': 'resolved', 'name': name, 'addresses': info.parsed_addresses(), 'port': info.port})

    def add_service(self, zc, type_, name):
        if self.emit is not None:
            self.emit({'ev': 'added', 'name': name})
        threading.Thread(target=self._resolve, args=(type_, name), daemon=True).start()

    def update_service(self, zc, type_, name):
        pass

    def remove_service(self, zc, type_, name):
        if self.emit is not None:
            self.emit({'ev': 'removed', 'name': name})


def json_emitter():
    lock = threading.Lock()

    def emit(ev):
        ev['t'] = time.time()
        with lock:
            print(json.dumps(ev), flush=True)

    return emit


def watch(opts):
    zc = make_zc(opts)
    emit = json_emitter()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    browser = ServiceBrowser(zc, opts['type'], Resolver(zc, emit))
    emit({'ev': 'started'})
    while not stop.wait(0.2):
        pass
    browser.cancel()
    zc.close()


def txt_strings(text):
    out, i = [], 0
    while i < len(text):
        n = text[i]
        out.append(text[i + 1 : i + 1 + n].decode('utf-8', 'replace'))
        i += 1 + n
    return [s for s in out if s]


def browse(opts):
    zc = make_zc(opts)
    type_ = opts['type']
    deadline = time.monotonic() + opts.get('timeout_ms', 3000) / 1000.0
    expect = set(opts.get('expect') or [])
    col = Collector()
    browser = ServiceBrowser(zc, type_, col)
    results = {}
    suffix = '.' + type_
    try:
        while time.monotonic() < deadline:
            with col.lock:
                pending = [n for n in col.names if n not in results]
            for name in pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                info = zc.get_service_info(type_, name, timeout=int(min(left, 3.0) * 1000))
                if info is None:
                    continue
                instance = name[: -len(suffix)] if name.endswith(suffix) else name
                txt = {}
                for k, v in (info.properties or {}).items():
                    key = k.decode('utf-8', 'replace') if isinstance(k, bytes) else str(k)
                    txt[key] = '' if v is None else (v.decode('utf-8', 'replace') if isinstance(v, bytes) else str(v))
                results[name] = {
                    'name': instance,
                    'fullName': name,
                    'type': type_,
                    'server': info.server,
                    'port': info.port,
                    'addresses': info.parsed_addresses(),
                    'txt': txt,
                    'txtRaw': txt_strings(info.text or b''),
                }
            if expect and expect <= {r['name'] for r in results.values()}:
                break
            time.sleep(0.05)
    finally:
        browser.cancel()
        zc.close()
    print(json.dumps(list(results.values())), flush=True)


def main():
    mode, opts = sys.argv[1], json.loads(sys.argv[2])
    if mode == 'publish':
        publish(opts)
    elif mode == 'browse':
        browse(opts)
    elif mode == 'watch':
        watch(opts)
    else:
        raise SystemExit('usage: zeroconf_peer.py publish|browse|watch JSON')


if __name__ == '__main__':
    main()
