/**
 * The uPlot charts: P&L, inventory and hedges over time (accumulated from the stream in the
 * page), the smile of one expiry and the term structure. Each chart follows its container's size.
 */
import uPlot from 'uplot';
import type { EngineDetails, EngineState } from '../../src/engine/types.js';

const AXIS = '#8b96a5';
const GRID = 'rgba(255,255,255,0.06)';
const FONT = '11px system-ui, sans-serif';
const LEGEND_PX = 22;

export const COLORS = {
  green: '#3fb950',
  red: '#f85149',
  blue: '#58a6ff',
  amber: '#d29922',
  violet: '#bc8cff',
  grey: '#c9d1d9',
};

function axis(extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    stroke: AXIS,
    font: FONT,
    size: 44,
    gap: 4,
    grid: { stroke: GRID, width: 1 },
    ticks: { stroke: GRID, width: 1, size: 4 },
    ...extra,
  };
}

/** A uPlot chart sized to `host`, resized with it. */
function mount(
  host: HTMLElement,
  opts: Omit<uPlot.Options, 'width' | 'height'>,
  data: uPlot.AlignedData,
): uPlot {
  const size = (): { width: number; height: number } => ({
    width: Math.max(120, Math.floor(host.clientWidth)),
    height: Math.max(60, Math.floor(host.clientHeight) - LEGEND_PX),
  });
  const chart = new uPlot({ ...opts, ...size() }, data, host);
  new ResizeObserver(() => {
    const s = size();
    if (s.width !== chart.width || s.height !== chart.height) chart.setSize(s);
  }).observe(host);
  return chart;
}

const timeAxis = (): uPlot.Axis =>
  axis({
    size: 30,
    // Engine time (UTC), with seconds when the ticks are less than a minute apart.
    values: (_u, ticks, _space, _incr, foundIncr) =>
      ticks.map((t) => new Date(t * 1000).toISOString().slice(11, foundIncr < 60 ? 19 : 16)),
  });

/** Up to this many points per series are kept (the oldest dropped). */
const MAX_POINTS = 3600;

/** The time series the page accumulates from the stream. */
export class History {
  readonly t: number[] = [];
  readonly pnl: number[] = [];
  readonly delta: number[] = [];
  readonly contracts: number[] = [];
  readonly hedges: number[] = [];
  readonly hedgeCost: number[] = [];

  /** Adds a state (one point per engine time; a later state at the same time replaces it). */
  add(s: EngineState): boolean {
    const x = s.time_ms / 1000;
    const last = this.t.length - 1;
    if (last >= 0 && x < (this.t[last] as number)) return false;
    let delta = 0;
    for (const g of Object.values(s.greeks)) delta += g.delta;
    let contracts = 0;
    for (const p of s.positions) if (/-[CP]$/.test(p.instrument)) contracts += Math.abs(p.amount);
    const row = [x, s.pnl.usd, delta, contracts, s.hedges.count, s.hedges.cost_usd];
    const cols = [this.t, this.pnl, this.delta, this.contracts, this.hedges, this.hedgeCost];
    const replace = last >= 0 && x === this.t[last];
    cols.forEach((col, i) => {
      if (replace) col[last] = row[i] as number;
      else col.push(row[i] as number);
      if (col.length > MAX_POINTS) col.shift();
    });
    return true;
  }
}

export class TimeCharts {
  private readonly pnl: uPlot;
  private readonly inventory: uPlot;
  private readonly hedges: uPlot;

  constructor(pnlHost: HTMLElement, inventoryHost: HTMLElement, hedgesHost: HTMLElement) {
    const base = { legend: { live: false }, cursor: { drag: { x: false, y: false } } };
    this.pnl = mount(
      pnlHost,
      {
        ...base,
        scales: { x: { time: true } },
        axes: [timeAxis(), axis({ size: 54 })],
        series: [{}, { label: 'P&L USD', stroke: COLORS.green, width: 1.5 }],
      },
      [[], []],
    );
    this.inventory = mount(
      inventoryHost,
      {
        ...base,
        scales: { x: { time: true }, c: {} },
        axes: [
          timeAxis(),
          axis({ size: 50 }),
          axis({ scale: 'c', side: 1, size: 40, grid: { show: false } }),
        ],
        series: [
          {},
          { label: 'net Δ coin', stroke: COLORS.blue, width: 1.5 },
          { label: 'option contracts', stroke: COLORS.violet, width: 1.5, scale: 'c' },
        ],
      },
      [[], [], []],
    );
    this.hedges = mount(
      hedgesHost,
      {
        ...base,
        scales: { x: { time: true }, usd: {} },
        axes: [
          timeAxis(),
          axis({ size: 50 }),
          axis({ scale: 'usd', side: 1, size: 44, grid: { show: false } }),
        ],
        series: [
          {},
          { label: 'hedges', stroke: COLORS.amber, width: 1.5, paths: uPlot.paths.stepped?.({ align: 1 }) },
          { label: 'hedge cost USD', stroke: COLORS.red, width: 1.5, scale: 'usd' },
        ],
      },
      [[], [], []],
    );
  }

  /** Redraws from the history (uPlot draws in a microtask queued here). */
  update(h: History): void {
    this.pnl.setData([h.t, h.pnl]);
    this.inventory.setData([h.t, h.delta, h.contracts]);
    this.hedges.setData([h.t, h.hedges, h.hedgeCost]);
  }
}

type Smile = EngineDetails['smiles'][number];

const noLine = (): null => null;

export class SmileChart {
  private readonly chart: uPlot;
  private key = '';

  constructor(host: HTMLElement) {
    const dots = (stroke: string, size: number): uPlot.Series => ({
      stroke,
      fill: stroke,
      width: 1,
      paths: noLine,
      points: { show: true, size, stroke, fill: stroke },
    });
    this.chart = mount(
      host,
      {
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [
          axis({ size: 30, values: (_u, ticks) => ticks.map((t) => `${Math.round(t)}`) }),
          axis({ size: 40, values: (_u, ticks) => ticks.map((t) => `${t.toFixed(0)}%`) }),
        ],
        series: [
          { label: 'strike' },
          { ...dots(COLORS.blue, 6), label: 'bid IV' },
          { ...dots(COLORS.red, 6), label: 'ask IV' },
          { ...dots(COLORS.grey, 4), label: 'mark IV' },
          { label: 'fit', stroke: COLORS.green, width: 2, spanGaps: true, points: { show: false } },
        ],
      },
      [[], [], [], [], []],
    );
  }

  show(smile: Smile | undefined): void {
    if (smile === undefined) {
      this.chart.setData([[], [], [], [], []]);
      this.key = '';
      return;
    }
    const key = JSON.stringify(smile);
    if (key === this.key) return;
    this.key = key;
    const rows = new Map<number, [number | null, number | null, number | null, number | null]>();
    const row = (k: number) => {
      let r = rows.get(k);
      if (r === undefined) rows.set(k, (r = [null, null, null, null]));
      return r;
    };
    const pct = (v: number | null) => (v === null ? null : v * 100);
    for (const p of smile.points) {
      const r = row(p.strike);
      r[0] = pct(p.bid_iv);
      r[1] = pct(p.ask_iv);
      r[2] = pct(p.mark_iv);
    }
    for (const f of smile.fit) row(f.strike)[3] = pct(f.iv);
    const strikes = [...rows.keys()].sort((a, b) => a - b);
    const col = (i: number) => strikes.map((k) => (rows.get(k) as (number | null)[])[i] ?? null);
    this.chart.setData([strikes, col(0), col(1), col(2), col(3)]);
  }
}

export class TermChart {
  private readonly chart: uPlot;
  private key = '';

  constructor(host: HTMLElement) {
    this.chart = mount(
      host,
      {
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [
          axis({ size: 30, values: (_u, ticks) => ticks.map((t) => `${t.toFixed(0)}d`) }),
          axis({ size: 40, values: (_u, ticks) => ticks.map((t) => `${t.toFixed(0)}%`) }),
        ],
        series: [
          { label: 'days' },
          {
            label: 'ATM IV',
            stroke: COLORS.blue,
            width: 2,
            points: { show: true, size: 6, fill: COLORS.blue },
          },
        ],
      },
      [[], []],
    );
  }

  show(term: EngineDetails['term']): void {
    const key = JSON.stringify(term);
    if (key === this.key) return;
    this.key = key;
    const sorted = [...term].sort((a, b) => a.years - b.years);
    this.chart.setData([sorted.map((t) => t.years * 365), sorted.map((t) => t.atm_iv * 100)]);
  }
}
