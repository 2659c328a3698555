/**
 * The instrument view (a drawer on the right): the instrument's book with our quotes marked in
 * it, its ticker, our open orders and our fills; polled every second while it is open.
 */
import type { InstrumentView } from '../../src/engine/types.js';
import { fetchInstrument, poll } from './api.js';
import { byId, esc, num, setHtml, setText } from './format.js';

const DEPTH = 10;

function priceDigits(v: InstrumentView): number {
  const p = v.bids[0]?.[0] ?? v.asks[0]?.[0] ?? v.ticker?.mark_price ?? 1;
  return p < 10 ? 4 : p < 1000 ? 2 : 1;
}

export function instrumentHtml(v: InstrumentView): string {
  const digits = priceDigits(v);
  const ours = (side: 'buy' | 'sell', price: number): number => {
    let n = 0;
    for (const o of v.orders)
      if (o.side === side && o.price !== null && Math.abs(o.price - price) < 1e-9) n += o.amount - o.filled;
    return n;
  };
  const level = (side: 'buy' | 'sell', [price, amount]: [number, number]): string => {
    const mine = ours(side, price);
    return (
      `<tr class="${side === 'buy' ? 'bid' : 'ask'}${mine > 0 ? ' ours' : ''}">` +
      `<td>${side === 'buy' ? num(amount, 1) : ''}</td><td class="px">${num(price, digits)}</td>` +
      `<td>${side === 'sell' ? num(amount, 1) : ''}</td><td class="mine">${mine > 0 ? `ours ${num(mine, 1)}` : ''}</td></tr>`
    );
  };
  const asks = v.asks.slice(0, DEPTH).reverse();
  const bids = v.bids.slice(0, DEPTH);
  const t = v.ticker;
  const iv = (x: number | null | undefined) =>
    x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`;
  let html =
    `<div class="facts"><span>position <b data-testid="drawer-position">${num(v.position, 2)}</b></span>` +
    `<span>mark <b>${num(t?.mark_price ?? null, digits)}</b></span>` +
    `<span>IV bid/mark/ask <b>${iv(t?.bid_iv)} / ${iv(t?.mark_iv)} / ${iv(t?.ask_iv)}</b></span>` +
    `<span>book ${esc(v.book_status ?? '-')}</span></div>`;
  html +=
    '<h3>Book</h3><table class="num book"><thead><tr><th>bid size</th><th>price</th><th>ask size</th><th></th></tr></thead><tbody>' +
    (asks.length + bids.length === 0
      ? '<tr><td colspan="4" class="muted">empty book</td></tr>'
      : asks.map((l) => level('sell', l)).join('') +
        '<tr class="spread"><td colspan="4"></td></tr>' +
        bids.map((l) => level('buy', l)).join('')) +
    '</tbody></table>';
  html +=
    `<h3>Our orders (${v.orders.length})</h3><table class="num"><thead><tr><th class="l">side</th><th>price</th><th>amount</th><th>filled</th><th class="l">state</th></tr></thead><tbody>` +
    (v.orders.length === 0
      ? '<tr><td colspan="5" class="muted">none</td></tr>'
      : v.orders
          .map(
            (o) =>
              `<tr><td class="l ${o.side === 'buy' ? 'pos' : 'neg'}">${o.side}</td><td>${num(o.price, digits)}</td><td>${num(o.amount, 2)}</td><td>${num(o.filled, 2)}</td><td class="l">${esc(o.state)}</td></tr>`,
          )
          .join('')) +
    '</tbody></table>';
  const fills = [...v.fills].reverse().slice(0, 50);
  html +=
    `<h3>Our fills (${v.fills.length})</h3><table class="num"><thead><tr><th class="l">time</th><th class="l">side</th><th>price</th><th>amount</th></tr></thead><tbody>` +
    (fills.length === 0
      ? '<tr><td colspan="4" class="muted">none</td></tr>'
      : fills
          .map(
            (f) =>
              `<tr><td class="l">${new Date(f.time_ms).toISOString().slice(11, 19)}</td><td class="l ${f.side === 'buy' ? 'pos' : 'neg'}">${f.side}</td><td>${num(f.price, digits)}</td><td>${num(f.amount, 2)}</td></tr>`,
          )
          .join('')) +
    '</tbody></table>';
  return html;
}

export class InstrumentDrawer {
  private poller: { stop: () => void } | null = null;
  private readonly drawer = byId('drawer');
  private readonly body = byId('drawer-body');
  private readonly title = byId('drawer-title');
  current: string | null = null;

  constructor(private readonly onChange: (name: string | null) => void) {
    byId('drawer-close').addEventListener('click', () => this.close());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
  }

  open(name: string): void {
    this.poller?.stop();
    this.current = name;
    setText(this.title, name);
    setHtml(this.body, '<p class="muted">loading…</p>');
    this.drawer.hidden = false;
    this.onChange(name);
    this.poller = poll(async () => {
      const view = await fetchInstrument(name);
      if (this.current !== name) return;
      setHtml(
        this.body,
        view === null ? '<p class="muted">the engine has not seen this instrument</p>' : instrumentHtml(view),
      );
    }, 1000);
  }

  close(): void {
    this.poller?.stop();
    this.poller = null;
    this.current = null;
    this.drawer.hidden = true;
    this.onChange(null);
  }
}
