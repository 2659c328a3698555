/**
 * Ballast's dashboard: the engine's state live over `/api/stream`, its risk breakdown
 * (`/api/details`) polled every 1.5 s, an instrument's page polled while open, and the operator
 * controls (kill, pause, resume) sent with the token the operator entered.
 *
 * Each stream update is rendered at once. The time it takes (from the message to the end of the
 * charts' drawing: uPlot draws in a microtask queued during the render, so the measurement ends in
 * a microtask queued after it) is kept in `window.__renderTimes` for the browser tests.
 */
import type { EngineDetails, EngineState } from '../../src/engine/types.js';
import { fetchDetails, followStream, poll, sendCommand, storedToken, storeToken } from './api.js';
import { History, SmileChart, TermChart, TimeCharts } from './charts.js';
import { byId, esc, setHtml, setText, utc } from './format.js';
import { HeatMap } from './heatmap.js';
import { InstrumentDrawer } from './instrument.js';
import {
  alertsHtml,
  attributionHtml,
  KpiStrip,
  limitsHtml,
  marginHtml,
  patchRows,
  positionRows,
} from './panels.js';

declare global {
  interface Window {
    __renderTimes: number[];
    __detailsRenderTimes: number[];
    __states: number;
    __historyLength: number;
  }
}

window.__renderTimes = [];
window.__detailsRenderTimes = [];
window.__states = 0;
const MAX_TIMES = 20_000;

let state: EngineState | null = null;
let details: EngineDetails | null = null;
let smileExpiry: string | null = null;

const el = {
  tradingState: byId('trading-state'),
  reasons: byId('reasons'),
  venue: byId('venue'),
  connection: byId('connection'),
  engineTime: byId('engine-time'),
  streamStatus: byId('stream-status'),
  kpis: byId('kpis'),
  positions: byId('positions').querySelector('tbody') as HTMLTableSectionElement,
  positionsNote: byId('positions-note'),
  limits: byId('limits'),
  alerts: byId('alerts'),
  alertCounts: byId('alert-counts'),
  margin: byId('margin'),
  stressNote: byId('stress-note'),
  attribution: byId('attribution'),
  pnlNote: byId('pnl-note'),
  smileTabs: byId('smile-tabs'),
  message: byId('command-message'),
  token: byId<HTMLInputElement>('token'),
};

const kpiStrip = new KpiStrip(el.kpis);
const positionCache: string[] = [];
const history = new History();
const timeCharts = new TimeCharts(byId('chart-pnl'), byId('chart-inventory'), byId('chart-hedges'));
const smile = new SmileChart(byId('chart-smile'));
const term = new TermChart(byId('chart-term'));
const heatmap = new HeatMap(byId<HTMLCanvasElement>('heatmap'));
const drawer = new InstrumentDrawer(() => renderPositions());

function renderPositions(): void {
  if (state === null) return;
  patchRows(el.positions, positionRows(state, details, drawer.current), positionCache);
}

/** Everything a stream update changes. */
function renderState(s: EngineState): void {
  state = s;
  el.tradingState.dataset.state = s.trading_state;
  setText(el.tradingState, s.trading_state);
  setText(el.reasons, s.trading_reasons.join(' · '));
  el.reasons.title = s.trading_reasons.join('\n');
  setText(el.venue, `venue ${s.venue}`);
  el.connection.dataset.state = s.connection;
  setText(el.connection, s.connection);
  setText(el.engineTime, `${utc(s.time_ms)} UTC`);
  kpiStrip.update(s, details);
  renderPositions();
  setText(el.positionsNote, `${s.positions.length} · amounts live, greeks every 1.5 s`);
  setHtml(el.limits, limitsHtml(s));
  const alerts = alertsHtml(s);
  setHtml(el.alerts, alerts.html);
  setHtml(el.alertCounts, alerts.counts);
  setHtml(el.margin, marginHtml(s));
  if (history.add(s)) timeCharts.update(history);
  window.__historyLength = history.t.length;
}

function onState(s: EngineState): void {
  const t0 = performance.now();
  renderState(s);
  window.__states += 1;
  queueMicrotask(() => {
    const times = window.__renderTimes;
    times.push(performance.now() - t0);
    if (times.length > MAX_TIMES) times.splice(0, times.length - MAX_TIMES);
  });
}

function renderSmileTabs(d: EngineDetails): void {
  const expiries = [...d.smiles].sort((a, b) => a.expiry_ms - b.expiry_ms).map((x) => x.expiry);
  if (smileExpiry === null || !expiries.includes(smileExpiry)) {
    // The expiry with the most market quotes, two-sided first (ties: the nearest).
    const quoted = (x: EngineDetails['smiles'][number]) =>
      x.points.filter((p) => p.bid_iv !== null && p.ask_iv !== null).length * 2 +
      x.points.filter((p) => p.bid_iv !== null || p.ask_iv !== null).length +
      (x.fit.length > 0 ? 0.5 : 0);
    let best: EngineDetails['smiles'][number] | undefined;
    for (const x of [...d.smiles].sort((a, b) => a.expiry_ms - b.expiry_ms))
      if (best === undefined || quoted(x) > quoted(best)) best = x;
    smileExpiry = best?.expiry ?? null;
  }
  setHtml(
    el.smileTabs,
    expiries
      .map(
        (e) =>
          `<button type="button" data-expiry="${esc(e)}" class="${e === smileExpiry ? 'on' : ''}">${esc(e)}</button>`,
      )
      .join(''),
  );
  const chosen = d.smiles.find((x) => x.expiry === smileExpiry);
  smile.show(chosen);
}

function renderDetails(d: EngineDetails): void {
  const t0 = performance.now();
  details = d;
  heatmap.show(d.stress);
  setText(
    el.stressNote,
    d.stress === null
      ? ''
      : `${d.stress.vol_shifts.length} vol × ${d.stress.spot_moves.length} spot, full revaluation`,
  );
  renderSmileTabs(d);
  term.show(d.term);
  setHtml(el.attribution, attributionHtml(d));
  setText(el.pnlNote, d.index === null ? '' : `index ${d.index.toFixed(2)}`);
  if (state !== null) {
    kpiStrip.update(state, d);
    renderPositions();
  }
  queueMicrotask(() => window.__detailsRenderTimes.push(performance.now() - t0));
}

el.smileTabs.addEventListener('click', (e) => {
  const button = (e.target as HTMLElement).closest('button');
  if (button === null || details === null) return;
  smileExpiry = button.dataset.expiry ?? null;
  renderSmileTabs(details);
});

el.positions.addEventListener('click', (e) => {
  const row = (e.target as HTMLElement).closest<HTMLElement>('tr[data-instrument]');
  const name = row?.dataset.instrument;
  if (name !== undefined) drawer.open(name);
});

// ------------------------------------------------------------------ operator controls

let messageTimer: ReturnType<typeof setTimeout> | undefined;

/** The outcome of a command: a refusal stays until clicked away, the rest fades after 8 s. */
function showMessage(kind: 'ok' | 'error' | 'info', text: string): void {
  el.message.dataset.kind = kind;
  setText(el.message, text);
  el.message.title = kind === 'error' ? 'click to dismiss' : '';
  if (messageTimer !== undefined) clearTimeout(messageTimer);
  messageTimer = kind === 'error' ? undefined : setTimeout(() => setText(el.message, ''), 8000);
}
el.message.addEventListener('click', () => setText(el.message, ''));

function showTokenState(): void {
  const has = storedToken() !== null;
  el.token.placeholder = has ? 'token set for this tab' : 'operator token';
  document.body.dataset.token = has ? 'set' : 'unset';
}

byId<HTMLFormElement>('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = el.token.value.trim();
  storeToken(value === '' ? null : value);
  el.token.value = '';
  showTokenState();
  showMessage(
    'info',
    value === '' ? 'Operator token cleared.' : 'Operator token set for this tab (sessionStorage).',
  );
});
byId('token-clear').addEventListener('click', () => {
  storeToken(null);
  el.token.value = '';
  showTokenState();
  showMessage('info', 'Operator token cleared.');
});

const controls = ['kill', 'pause', 'resume'] as const;
for (const command of controls) {
  byId(`btn-${command}`).addEventListener('click', () => {
    const token = storedToken();
    showMessage('info', `${command}: sending…`);
    void sendCommand(command, token).then((outcome) => {
      if (outcome.ok) {
        showMessage('ok', `${command}: accepted, ${outcome.result.trading_state} (${outcome.result.detail})`);
        return;
      }
      const hint =
        outcome.status === 401
          ? token === null
            ? ' Enter the operator token (printed by `ballast run`) and press Set.'
            : ' The token entered is not this engine’s: enter the one `ballast run` printed.'
          : '';
      showMessage('error', `${command} refused (${outcome.status || 'network'}): ${outcome.reason}.${hint}`);
    });
  });
}

// ------------------------------------------------------------------ start

showTokenState();
followStream(onState, (status, detail) => {
  el.streamStatus.dataset.state = status;
  setText(
    el.streamStatus,
    status === 'live' ? 'live' : status === 'connecting' ? 'connecting' : 'reconnecting',
  );
  el.streamStatus.title = detail;
});
poll(async () => {
  const d = await fetchDetails();
  if (d !== null) renderDetails(d);
}, 1500);
