/**
 * The HTML panels: the figures strip, positions and greeks grouped by underlying, expiry and
 * strike, greeks by expiry, limits as bars, alerts, margin and the P&L attribution.
 */
import type { EngineDetails, EngineState } from '../../src/engine/types.js';
import { esc, num, signed, small, tone } from './format.js';

/** `BTC-23MAY20-9000-C` -> its parts; futures and perpetuals have no strike. */
export function parseInstrument(name: string): {
  underlying: string;
  expiry: string | null;
  strike: number | null;
  kind: 'C' | 'P' | 'future' | 'perpetual';
} {
  const parts = name.split('-');
  const underlying = parts[0] ?? name;
  if (parts[1] === 'PERPETUAL') return { underlying, expiry: null, strike: null, kind: 'perpetual' };
  if (parts.length >= 4 && (parts[3] === 'C' || parts[3] === 'P'))
    return { underlying, expiry: parts[1] ?? null, strike: Number(parts[2]), kind: parts[3] };
  return { underlying, expiry: parts[1] ?? null, strike: null, kind: 'future' };
}

const MONTHS = 'JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC';

/** `23MAY20` -> its date in ms (for ordering when the details have not named it yet). */
function expiryOrder(expiry: string): number {
  const m = /^(\d{1,2})([A-Z]{3})(\d{2})$/.exec(expiry);
  if (m === null) return Number.POSITIVE_INFINITY;
  return Date.UTC(2000 + Number(m[3]), MONTHS.indexOf(m[2] as string) / 3, Number(m[1]));
}

type PositionGreeks = EngineDetails['greeks_by_position'][number];

interface Row {
  instrument: string;
  amount: number;
  g: PositionGreeks | null;
  strike: number | null;
  kind: string;
}

function cells(
  delta: number | null,
  index: number | null,
  gamma: number | null,
  vega: number | null,
  theta: number | null,
  valueUsd: number | null,
): string {
  const deltaUsd = delta !== null && index !== null ? delta * index : null;
  const valueCoin = valueUsd !== null && index !== null && index > 0 ? valueUsd / index : null;
  return (
    `<td class="${tone(delta)}">${num(delta, 3)}</td><td class="${tone(deltaUsd)}">${num(deltaUsd, 0)}</td>` +
    `<td>${small(gamma)}</td><td class="${tone(vega)}">${num(vega, 1)}</td><td class="${tone(theta)}">${num(theta, 1)}</td>` +
    `<td class="${tone(valueUsd)}">${num(valueUsd, 0)}</td><td class="${tone(valueCoin)}">${num(valueCoin, 4)}</td>`
  );
}

/** The positions table's rows: live amounts from the stream, greeks from the latest details. */
export function positionRows(
  state: EngineState,
  details: EngineDetails | null,
  selected: string | null,
): string[] {
  if (state.positions.length === 0) return ['<tr class="empty"><td colspan="9">flat: no positions</td></tr>'];
  const index = details?.index ?? null;
  const greeks = new Map<string, PositionGreeks>();
  for (const g of details?.greeks_by_position ?? []) greeks.set(g.instrument, g);
  const byExpiry = new Map<string, EngineDetails['greeks_by_expiry'][number]>();
  for (const e of details?.greeks_by_expiry ?? []) byExpiry.set(e.expiry, e);

  // underlying -> group (expiry, or '' for futures and perpetuals) -> rows
  const tree = new Map<string, Map<string, Row[]>>();
  for (const p of state.positions) {
    const info = parseInstrument(p.instrument);
    const d = greeks.get(p.instrument) ?? null;
    // Greeks are linear in the amount: scale the details' figures to the live amount.
    const k = d !== null && d.amount !== 0 ? p.amount / d.amount : null;
    const g =
      d === null || k === null
        ? null
        : {
            ...d,
            delta: d.delta * k,
            gamma: d.gamma * k,
            vega: d.vega * k,
            theta: d.theta * k,
            value_usd: d.value_usd * k,
          };
    const group = info.kind === 'C' || info.kind === 'P' ? (info.expiry ?? '') : '';
    let u = tree.get(info.underlying);
    if (u === undefined) tree.set(info.underlying, (u = new Map()));
    let rows = u.get(group);
    if (rows === undefined) u.set(group, (rows = []));
    rows.push({ instrument: p.instrument, amount: p.amount, g, strike: info.strike, kind: info.kind });
  }

  const html: string[] = [];
  for (const [underlying, groups] of [...tree].sort((a, b) => a[0].localeCompare(b[0]))) {
    const ug = state.greeks[underlying];
    let value = 0;
    for (const rows of groups.values()) for (const r of rows) value += r.g?.value_usd ?? 0;
    html.push(
      `<tr class="underlying"><td class="l">${esc(underlying)}</td><td></td>` +
        cells(ug?.delta ?? null, index, ug?.gamma ?? null, ug?.vega ?? null, ug?.theta ?? null, value) +
        '</tr>',
    );
    const order = (g: string) =>
      g === '' ? Number.POSITIVE_INFINITY : (byExpiry.get(g)?.expiry_ms ?? expiryOrder(g));
    for (const [group, rows] of [...groups].sort((a, b) => order(a[0]) - order(b[0]))) {
      if (group !== '') {
        const e = byExpiry.get(group);
        let v = 0;
        for (const r of rows) v += r.g?.value_usd ?? 0;
        html.push(
          `<tr class="expiry"><td class="l">${esc(group)}</td><td></td>` +
            cells(e?.delta ?? null, index, e?.gamma ?? null, e?.vega ?? null, e?.theta ?? null, v) +
            '</tr>',
        );
      } else {
        html.push('<tr class="expiry"><td class="l">futures and perpetual</td><td colspan="8"></td></tr>');
      }
      rows.sort((a, b) => (a.strike ?? 0) - (b.strike ?? 0) || a.kind.localeCompare(b.kind));
      for (const r of rows) {
        const label = r.strike !== null ? `${r.strike} ${r.kind}` : r.instrument;
        const g = r.g;
        html.push(
          `<tr class="position${r.instrument === selected ? ' selected' : ''}" data-instrument="${esc(r.instrument)}" title="${esc(r.instrument)}: open its book">` +
            `<td class="l"><span class="link">${esc(label)}</span></td>` +
            `<td class="amount ${tone(r.amount)}" data-testid="pos-amount">${num(r.amount, r.kind === 'perpetual' || r.kind === 'future' ? 0 : 2)}</td>` +
            (g === null
              ? '<td colspan="7" class="muted">greeks at the next refresh</td>'
              : cells(g.delta, index, g.gamma, g.vega, g.theta, g.value_usd)) +
            '</tr>',
        );
      }
    }
  }
  return html;
}

export interface Kpi {
  label: string;
  value: string;
  sub: string;
  cls: string;
}

function kpi(label: string, value: string, sub: string, cls = ''): Kpi {
  return { label, value, sub, cls };
}

/**
 * The figures strip across the top: built once, then only its texts change (no new elements at
 * 50 updates a second).
 */
export class KpiStrip {
  private cells: { value: HTMLElement; sub: HTMLElement; cls: string; valueText: string; subText: string }[] =
    [];

  constructor(private readonly host: HTMLElement) {}

  update(s: EngineState, d: EngineDetails | null): void {
    const list = kpis(s, d);
    if (this.cells.length !== list.length) {
      this.host.innerHTML = list
        .map(
          (k) =>
            `<div class="kpi"><div class="label">${esc(k.label)}</div><div class="value"></div><div class="sub"></div></div>`,
        )
        .join('');
      this.cells = [...this.host.querySelectorAll<HTMLElement>('.kpi')].map((el) => ({
        value: el.querySelector('.value') as HTMLElement,
        sub: el.querySelector('.sub') as HTMLElement,
        cls: '',
        valueText: '',
        subText: '',
      }));
    }
    list.forEach((k, i) => {
      const c = this.cells[i];
      if (c === undefined) return;
      if (c.valueText !== k.value) c.value.textContent = c.valueText = k.value;
      if (c.subText !== k.sub) {
        c.sub.textContent = c.subText = k.sub;
        c.sub.title = k.sub;
      }
      if (c.cls !== k.cls) {
        c.value.className = `value ${k.cls}`;
        c.cls = k.cls;
      }
    });
  }
}

function kpis(s: EngineState, d: EngineDetails | null): Kpi[] {
  const index = d?.index ?? null;
  let delta = 0;
  let gamma = 0;
  let vega = 0;
  let theta = 0;
  for (const g of Object.values(s.greeks)) {
    delta += g.delta;
    gamma += g.gamma;
    vega += g.vega;
    theta += g.theta;
  }
  const coin = Object.entries(s.pnl.coin)
    .map(([c, v]) => `${signed(v, 4)} ${c}`)
    .join(' · ');
  const m = s.margin;
  const out = [
    kpi('P&L USD', signed(s.pnl.usd, 2), coin || '-', tone(s.pnl.usd)),
    kpi(
      'Net Δ',
      `${signed(delta, 3)}`,
      index === null ? 'coin' : `coin · ${signed(delta * index, 0)} USD`,
      tone(delta),
    ),
    kpi('Γ', small(gamma), 'per USD'),
    kpi('Vega', signed(vega, 1), 'USD / vol pt', tone(vega)),
    kpi('Θ', signed(theta, 1), 'USD / day', tone(theta)),
    kpi(
      'Initial margin',
      m === null ? '-' : num(m.initial_coin, 4),
      m === null ? 'flat or unmarked' : `coin · ${num(m.initial_usd, 0)} USD`,
    ),
    kpi(
      'Maintenance',
      m === null ? '-' : num(m.maintenance_coin, 4),
      m === null ? '' : `coin · ${num(m.maintenance_usd, 0)} USD`,
    ),
    kpi(
      'Worst case',
      m === null ? '-' : num(m.worst_case_coin, 4),
      m === null ? '' : `coin · ${m.worst_scenario ?? '-'}`,
      m !== null && m.worst_case_coin > 0 ? 'neg' : '',
    ),
    kpi('Hedges', String(s.hedges.count), `cost ${num(s.hedges.cost_usd, 2)} USD`),
    kpi('Book', `${s.positions.length} pos`, `${s.orders.length} orders`),
    kpi('Index', index === null ? '-' : num(index, 2), 'USD'),
  ];
  return out;
}

/** Limit use as bars: green, amber from 70%, red from 100%. */
export function limitsHtml(s: EngineState): string {
  if (s.limits.length === 0) return '<p class="muted">no limits configured</p>';
  return [...s.limits]
    .sort((a, b) => Math.abs(b.use) - Math.abs(a.use))
    .map((l) => {
      const use = Math.abs(l.use);
      const cls = use >= 1 ? 'breach' : use >= 0.7 ? 'warn' : 'ok';
      const width = Math.min(100, use * 100).toFixed(1);
      return (
        `<div class="limit ${cls}" title="${esc(l.measure)}"><span class="name">${esc(l.name)}</span>` +
        `<span class="bar"><span style="width:${width}%"></span></span>` +
        `<span class="use">${(use * 100).toFixed(use < 0.1 ? 1 : 0)}%</span>` +
        `<span class="figs">${num(l.current, 2)} / ${num(l.limit, 0)}</span></div>`
      );
    })
    .join('');
}

/** Alert kinds an operator must see (the list), then the rest. */
export const RISK_ALERTS = ['gap', 'stale', 'breach', 'mismatch', 'kill', 'connection', 'state'];

export function alertsHtml(s: EngineState): { html: string; counts: string } {
  const counts = new Map<string, number>();
  for (const a of s.alerts) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  // Order rejects (post-only crossings and the like) are routine for a quoter: one summary line.
  const list = [...s.alerts]
    .filter((a) => a.kind !== 'reject')
    .reverse()
    .slice(0, 60);
  const rejects = s.alerts.filter((a) => a.kind === 'reject');
  const last = rejects[rejects.length - 1];
  const rejectLine =
    last === undefined
      ? ''
      : `<li class="info"><span class="time">${new Date(last.time_ms).toISOString().slice(11, 19)}</span><span class="kind">reject × ${rejects.length}</span><span class="msg">latest: ${esc(last.message)}</span></li>`;
  const html =
    list.length === 0 && rejectLine === ''
      ? '<li class="muted">no alerts</li>'
      : list
          .map((a) => {
            const cls = RISK_ALERTS.includes(a.kind) || /breach|stale/.test(a.message) ? 'risk' : 'info';
            const time = new Date(a.time_ms).toISOString().slice(11, 19);
            return `<li class="${cls}"><span class="time">${time}</span><span class="kind k-${esc(a.kind)}">${esc(a.kind)}</span><span class="msg">${esc(a.message)}</span></li>`;
          })
          .join('') + rejectLine;
  const summary = ['gap', 'stale', 'breach', 'mismatch']
    .map((k) => {
      const n = counts.get(k) ?? 0;
      return `<span class="${n > 0 ? 'hot' : ''}">${k} ${n}</span>`;
    })
    .join(' · ');
  return { html, counts: summary };
}

/** Margin beside the stress map. */
export function marginHtml(s: EngineState): string {
  const m = s.margin;
  if (m === null) return '<span class="muted">margin: flat or unmarked</span>';
  let html =
    `<span>IM <b>${num(m.initial_coin, 4)}</b> (${num(m.initial_usd, 0)} USD)</span>` +
    `<span>MM <b>${num(m.maintenance_coin, 4)}</b> (${num(m.maintenance_usd, 0)} USD)</span>` +
    `<span>worst <b class="neg">${num(m.worst_case_coin, 4)}</b> coin at <b>${esc(m.worst_scenario ?? '-')}</b></span>`;
  if (m.venue !== undefined)
    html += `<span>venue IM ${num(m.venue.initial_coin, 4)} (ours − venue ${signed(m.venue.difference_coin, 4)})</span>`;
  return html;
}

/** P&L explained by greeks over the details' window, as signed bars. */
export function attributionHtml(d: EngineDetails | null): string {
  const a = d?.attribution ?? null;
  if (a === null) return '<p class="muted">P&amp;L attribution: after the first minute of marks</p>';
  const parts: [string, number][] = [
    ['delta', a.delta_usd],
    ['gamma', a.gamma_usd],
    ['vega', a.vega_usd],
    ['theta', a.theta_usd],
    ['unexplained', a.unexplained_usd],
    ['total', a.total_usd],
  ];
  const scale = Math.max(1e-9, ...parts.map((p) => Math.abs(p[1])));
  const rows = parts
    .map(([name, v]) => {
      const w = ((Math.abs(v) / scale) * 50).toFixed(1);
      const side = v < 0 ? `right:50%;width:${w}%` : `left:50%;width:${w}%`;
      return (
        `<div class="attr${name === 'total' ? ' total' : ''}"><span class="name">${name}</span>` +
        `<span class="bar"><span class="${v < 0 ? 'neg' : 'pos'}" style="${side}"></span></span>` +
        `<span class="v ${tone(v)}">${signed(v, 2)}</span></div>`
      );
    })
    .join('');
  return `<div class="attr-title">explained over the last ${Math.round(a.window_ms / 1000)} s, USD</div>${rows}`;
}

/**
 * Puts `rows` (each one `<tr>`) in `body`, replacing only the rows that changed: at 50 updates a
 * second most rows stay as they were.
 */
export function patchRows(body: HTMLTableSectionElement, rows: string[], cache: string[]): void {
  if (rows.length !== cache.length) {
    body.innerHTML = rows.join('');
    cache.splice(0, cache.length, ...rows);
    return;
  }
  const template = document.createElement('tbody');
  rows.forEach((html, i) => {
    if (cache[i] === html) return;
    template.innerHTML = html;
    const fresh = template.firstElementChild;
    const old = body.rows[i];
    if (fresh !== null && old !== undefined) body.replaceChild(fresh, old);
    cache[i] = html;
  });
}
