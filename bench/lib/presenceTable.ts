// The presence table: the packet-rate LANs side by side. Ours runs each size twice (nobody
// looking, one client looking); the references have no notion of looking, so their one LAN fills
// both comparisons. Ratios are ours (each case) / each reference, on every row.

import type { ImplName } from './impls.js';
import { cellOf, fmtCell, fmtRatio, ratioValue, summarize, type Cell } from './stats.js';
import type { PacketResult } from '../scenarios/packets.js';
import type { WireCounts } from './wire.js';

export type Column = 'oursNobody' | 'oursLooking' | 'avahi' | 'zeroconf';

export interface PresenceRow {
  scenario: string;
  cells: Partial<Record<Column, Cell>>;
  /** The machine's state, not a measurement of the stacks: no ratios. */
  context?: boolean;
}

export function presenceColumns(impls: ImplName[]): Column[] {
  return impls.flatMap((i): Column[] => (i === 'ours' ? ['oursNobody', 'oursLooking'] : [i]));
}

const LABEL: Record<Column, string> = {
  oursNobody: 'ours, nobody looking',
  oursLooking: 'ours, 1 client looking',
  avahi: 'avahi (either case)',
  zeroconf: 'zeroconf (either case)',
};

function resultOf(packets: PacketResult[], col: Column, size: number): PacketResult | undefined {
  if (col === 'oursNobody') return packets.find((p) => p.impl === 'ours' && p.nodes === size && p.case === 'nobody');
  if (col === 'oursLooking') return packets.find((p) => p.impl === 'ours' && p.nodes === size && p.case === 'looking');
  return packets.find((p) => p.impl === col && p.nodes === size);
}

const KINDS: Array<{ key: keyof WireCounts; label: string }> = [
  { key: 'all', label: 'all packets' },
  { key: 'mdnsMulticast', label: '  mDNS multicast' },
  { key: 'mdnsUnicast', label: '  mDNS unicast' },
  { key: 'tcp', label: '  TCP' },
  { key: 'other', label: '  other (ARP, ND, MLD)' },
  { key: 'ipv4', label: '  of all: IPv4' },
  { key: 'ipv6', label: '  of all: IPv6' },
];

export function buildPresenceRows(packets: PacketResult[], impls: ImplName[], reportMinutes: number[], cores: number): PresenceRow[] {
  const cols = presenceColumns(impls);
  const sizes = [...new Set(packets.map((p) => p.nodes))].sort((a, b) => a - b);
  const big = sizes.at(-1);
  const rows: PresenceRow[] = [];
  const row = (scenario: string, size: number, get: (p: PacketResult) => Cell | null, only?: Column[]) => {
    const cells: PresenceRow['cells'] = {};
    for (const c of cols) {
      if (only && !only.includes(c)) continue;
      const p = resultOf(packets, c, size);
      const notStarted = p?.storm && p.storm.started < size ? `${size - p.storm.started}/${size} did not start` : undefined;
      const cell = p ? get(p) : null;
      cells[c] = cell ? { ...cell, ...(notStarted && !cell.note ? { note: notStarted } : {}) } : { value: null, unit: 'count', ...(notStarted ? { note: notStarted } : {}) };
    }
    rows.push({ scenario, cells });
  };
  const n = (unit: Cell['unit'], v: number | null | undefined): Cell => ({ value: v ?? null, unit });

  for (const size of sizes) {
    for (const m of reportMinutes.filter((x) => x >= 2)) {
      row(`${size} nodes: peers listed of ${size - 1} at minute ${m}, min over hosts`, size, (p) => n('count', p.listed.find((l) => l.minute === m)?.min));
    }
  }
  if (big !== undefined) {
    const storm = (scenario: string, get: (s: NonNullable<PacketResult['storm']>) => number | null) =>
      row(scenario, big, (p) => {
        const s = p.storm;
        if (!s || s.started < big) return null;
        const v = get(s);
        return v === null ? { value: s.capMs, above: true, unit: 'ms', note: `${s.pairsListed}/${s.pairs} pairs` } : { value: v, unit: 'ms' };
      });
    storm(`boot storm, ${big} nodes: everyone lists everyone, from the last ready mark`, (s) => s.allListedFromLastReadyMs);
    storm(`boot storm, ${big} nodes: everyone lists everyone, from start`, (s) => s.allListedFromStartMs);
    row(`boot storm, ${big} nodes: last node ready (start-up on ${cores} cores)`, big, (p) => n('ms', p.storm?.lastReadyMs));
    for (const k of KINDS.slice(0, 5)) row(`boot storm, ${big} nodes, until then: ${k.label.trim()}`, big, (p) => n('count', p.storm ? p.storm.packets[k.key] : null));
  }
  for (const size of sizes) {
    for (const m of reportMinutes) {
      for (const k of KINDS) row(`${size} nodes, minute ${m}: ${k.label}`, size, (p) => n('count', p.minutes.find((x) => x.minute === m)?.[k.key]));
    }
  }
  for (const size of sizes) {
    row(`${size} nodes: h1's packets per peer (idle window)`, size, (p) => n('perSecond', p.h1Traffic?.perPeerPerSecond));
    const oursNobody = resultOf(packets, 'oursNobody', size);
    const extra = (p: PacketResult) => (p.h1Traffic && oursNobody?.h1Traffic ? n('perSecond', Math.round((p.h1Traffic.perPeerPerSecond - oursNobody.h1Traffic.perPeerPerSecond) * 1000) / 1000) : null);
    if (oursNobody) row(`${size} nodes: h1's extra packets per peer while looked at (looking - nobody)`, size, extra, ['oursLooking']);
  }
  if (big !== undefined) {
    const departures = (kind: 'sigkill' | 'silent', label: string) => {
      for (const stat of ['median', 'max'] as const) {
        let count = 0;
        row(
          `${big} nodes: ${label} -> gone from the looking node, ${stat}`,
          big,
          (p) => {
            const d = p.departures.find((x) => x.kind === kind);
            if (!d || d.toGone.length === 0) return null;
            const s = summarize(d.toGone);
            if (p.impl === 'ours') count = s.n;
            return cellOf(s, stat);
          },
          cols.filter((c) => c !== 'oursNobody'),
        );
        if (stat === 'median' && count > 0) rows.at(-1)!.scenario += ` (n=${count})`;
      }
    };
    departures('sigkill', 'SIGKILL');
    departures('silent', 'host gone silent');
    const idle = (label: string, unit: Cell['unit'], pick: (p: PacketResult) => number[], stat: 'median' | 'max') =>
      row(`idle with ${big - 1} peers (minute ${reportMinutes.at(-1)}): ${label} per node, ${stat}`, big, (p) => {
        const xs = pick(p).sort((a, b) => a - b);
        if (xs.length === 0) return null;
        return n(unit, stat === 'max' ? xs.at(-1)! : xs[Math.floor(xs.length / 2)]!);
      });
    idle('CPU', 'percent', (p) => p.idle.map((x) => x.cpuPercent), 'median');
    idle('CPU', 'percent', (p) => p.idle.map((x) => x.cpuPercent), 'max');
    idle('memory (RSS)', 'MB', (p) => p.idle.map((x) => x.rssMB), 'median');
    idle('memory (RSS)', 'MB', (p) => p.idle.map((x) => x.rssMB), 'max');
  }
  for (const size of sizes) {
    row(`${size} nodes: the LAN's processes, CPU summed (idle window, % of one core)`, size, (p) => n('percent', p.lanIdleCpuPercent));
  }
  for (const size of sizes) {
    row(`machine while the ${size}-node LANs idled: CPU busy, every process (% of ${cores} cores)`, size, (p) => n('percent', p.machine.window?.cpuBusyPercentMean));
    rows.at(-1)!.context = true;
    row(`machine while the ${size}-node LANs idled: load average (1 min)`, size, (p) => n('count', p.machine.window?.load1Mean));
    rows.at(-1)!.context = true;
  }
  return rows;
}

export function presenceHeader(impls: ImplName[]): string[] {
  const cols = presenceColumns(impls);
  const refs = impls.filter((i) => i !== 'ours');
  const ratios = impls.includes('ours') ? refs.flatMap((r) => [`nobody/${r}`, `looking/${r}`]) : [];
  return ['scenario', ...cols.map((c) => LABEL[c]), ...ratios];
}

export function presenceBody(rows: PresenceRow[], impls: ImplName[]): string[][] {
  const cols = presenceColumns(impls);
  const refs = impls.filter((i) => i !== 'ours') as Array<'avahi' | 'zeroconf'>;
  const none: Cell = { value: null, unit: 'count' };
  return rows.map((r) => [
    r.scenario,
    ...cols.map((c) => (r.cells[c] ? fmtCell(r.cells[c]) : '')),
    ...(impls.includes('ours') ? refs.flatMap((ref) => (['oursNobody', 'oursLooking'] as const).map((c) => (r.cells[c] && r.cells[ref] && !r.context ? fmtRatio(r.cells[c], r.cells[ref] ?? none) : ''))) : []),
  ]);
}

export function presenceJson(rows: PresenceRow[], impls: ImplName[]): unknown[] {
  const refs = impls.filter((i) => i !== 'ours') as Array<'avahi' | 'zeroconf'>;
  const none: Cell = { value: null, unit: 'count' };
  return rows.map((r) => ({
    scenario: r.scenario,
    ...r.cells,
    ...Object.fromEntries(refs.flatMap((ref) => (['oursNobody', 'oursLooking'] as const).map((c) => [`${c}Over_${ref}`, r.cells[c] && !r.context ? ratioValue(r.cells[c], r.cells[ref] ?? none) : null]))),
  }));
}

/** A markdown table: first column left-aligned, the others right-aligned. */
export function renderTable(header: string[], body: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => (b[c] ?? '').length)));
  const line = (cols: string[]) => `| ${cols.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}
