/**
 * The reports of `ballast book show`, `book pnl` and `book reconcile`, as JSON objects with
 * exact decimal strings, and their text forms for people.
 */
import type { Ledger } from '../../inventory/ledger.js';
import { formatMoney, MONEY_SCALE, mulMoney, type Money } from '../../inventory/money.js';
import type { ReconcileReport } from '../../inventory/reconcile.js';
import { moneyRecord, SHOWN_CURRENCIES, type FoldedBook } from './book-journal.js';

/** `book show --json`. */
export interface ShowReport {
  fills: number;
  events: number;
  /** Open positions: amount signed in the venue's unit, average price in the price currency. */
  positions: {
    instrument: string;
    amount: string;
    avg_price: string | null;
    realized_pnl: string;
    currency: string;
  }[];
  /** Cash balance per currency after settlements (not equity). */
  cash: Record<string, string>;
  fees: Record<string, string>;
  funding: Record<string, string>;
  realized_pnl: Record<string, string>;
  /**
   * The same figures in USD at the index: each coin at its `<coin>_usd` index price, USDC at par.
   * Absent when no index price is known (no mark event journaled and no `--index`).
   */
  usd?: UsdFigures;
}

/** Figures in USD at given index prices. */
export interface UsdFigures {
  /** The index prices used (`btc_usd`: USD per coin) and where they come from. */
  index: Record<string, string>;
  source: string;
  cash: Record<string, string>;
  fees: Record<string, string>;
  funding: Record<string, string>;
  realized_pnl: Record<string, string>;
  /** Sums over the currencies that have an index price. */
  total: { cash: string; fees: string; funding: string; realized_pnl: string };
  /** Currencies held but without an index price: left out of the USD figures. */
  missing: string[];
}

/** Index prices (`btc_usd` -> USD per coin) and where they come from. */
export interface IndexPrices {
  prices: Record<string, Money>;
  source: string;
}

/** The latest journaled mark event's index prices, if any. */
export function latestIndexPrices(ledger: Ledger): IndexPrices | undefined {
  const marks = ledger.marks();
  const last = marks[marks.length - 1];
  if (last === undefined || Object.keys(last.indexPrices).length === 0) return undefined;
  return {
    prices: last.indexPrices,
    source: `mark ${last.venue}/${last.id} at ${new Date(last.timestampMs).toISOString()}`,
  };
}

/** USD per unit of `currency` at `index`: USD and USDC at par, a coin at `<coin>_usd`. */
function usdPerUnit(currency: string, index: Record<string, Money>): Money | undefined {
  if (currency === 'USD' || currency === 'USDC') return MONEY_SCALE;
  return index[`${currency.toLowerCase()}_usd`];
}

function usdFigures(ledger: Ledger, index: IndexPrices): UsdFigures {
  const missing = new Set<string>();
  const totals = { cash: 0n, fees: 0n, funding: 0n, realized_pnl: 0n };
  const convert = (amounts: Record<string, Money>, total: keyof typeof totals): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [ccy, amount] of Object.entries(amounts)) {
      const rate = usdPerUnit(ccy, index.prices);
      if (rate === undefined) {
        if (amount !== 0n) missing.add(ccy);
        continue;
      }
      const usd = mulMoney(amount, rate);
      out[ccy] = formatMoney(usd);
      totals[total] += usd;
    }
    return out;
  };
  const figures = {
    cash: convert(ledger.cash(), 'cash'),
    fees: convert(ledger.feesPaid(), 'fees'),
    funding: convert(ledger.fundingReceived(), 'funding'),
    realized_pnl: convert(ledger.realizedPnl(), 'realized_pnl'),
  };
  const index_: Record<string, string> = {};
  for (const name of Object.keys(index.prices).sort())
    index_[name] = formatMoney(index.prices[name] as Money);
  return {
    index: index_,
    source: index.source,
    ...figures,
    total: {
      cash: formatMoney(totals.cash),
      fees: formatMoney(totals.fees),
      funding: formatMoney(totals.funding),
      realized_pnl: formatMoney(totals.realized_pnl),
    },
    missing: [...missing].sort(),
  };
}

/** `book show`: the folded book; in USD too at `index` (by default the latest mark's index prices). */
export function showReport(book: FoldedBook, index?: IndexPrices): ShowReport {
  const { ledger } = book;
  const prices = index ?? latestIndexPrices(ledger);
  return {
    fills: book.fills,
    events: book.events,
    positions: ledger.positions(true).map((p) => ({
      instrument: p.instrument,
      amount: formatMoney(p.amount),
      avg_price: p.averagePrice === null ? null : formatMoney(p.averagePrice),
      realized_pnl: formatMoney(p.realizedPnl),
      currency: p.settlementCurrency,
    })),
    cash: moneyRecord(ledger.cash(), SHOWN_CURRENCIES),
    fees: moneyRecord(ledger.feesPaid()),
    funding: moneyRecord(ledger.fundingReceived()),
    realized_pnl: moneyRecord(ledger.realizedPnl()),
    ...(prices === undefined ? {} : { usd: usdFigures(ledger, prices) }),
  };
}

export function showText(report: ShowReport): string {
  const lines = [`${report.fills} fill(s), ${report.events} event(s)`, ''];
  if (report.positions.length === 0) lines.push('no open positions');
  else {
    lines.push(`${'instrument'.padEnd(24)} ${'amount'.padStart(16)} ${'avg price'.padStart(16)}`);
    for (const p of report.positions) {
      lines.push(`${p.instrument.padEnd(24)} ${p.amount.padStart(16)} ${(p.avg_price ?? '-').padStart(16)}`);
    }
  }
  lines.push('', 'cash (after settlements):');
  for (const [ccy, amount] of Object.entries(report.cash)) {
    const usd = report.usd?.cash[ccy];
    lines.push(`  ${ccy.padEnd(6)} ${amount}${usd === undefined ? '' : `  (${usd} USD)`}`);
  }
  if (report.usd !== undefined) {
    const index = Object.entries(report.usd.index).map(([name, price]) => `${name} ${price}`);
    lines.push('', `USD at the index (${index.join(', ')}; ${report.usd.source}):`);
    lines.push(`  cash ${report.usd.total.cash}, realized P&L ${report.usd.total.realized_pnl}`);
    if (report.usd.missing.length > 0) lines.push(`  no index price for ${report.usd.missing.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `book pnl --json`: changes between the book at `from` and at `to`, by currency. */
export interface PnlReport {
  from: string;
  to: string;
  fills: number;
  by_currency: Record<string, { realized: string; fees: string; funding: string; cash_change: string }>;
}

export function pnlReport(fromMs: number, toMs: number, atFrom: FoldedBook, atTo: FoldedBook): PnlReport {
  const a = atFrom.ledger;
  const b = atTo.ledger;
  const delta = (pick: (l: Ledger) => Record<string, Money>): Record<string, Money> => {
    const before = pick(a);
    const after = pick(b);
    const out: Record<string, Money> = {};
    for (const ccy of new Set([...Object.keys(before), ...Object.keys(after)])) {
      out[ccy] = (after[ccy] ?? 0n) - (before[ccy] ?? 0n);
    }
    return out;
  };
  const realized = delta((l) => l.realizedPnl());
  const fees = delta((l) => l.feesPaid());
  const funding = delta((l) => l.fundingReceived());
  const cash = delta((l) => l.cash());
  const currencies = [
    ...new Set([
      ...Object.keys(realized),
      ...Object.keys(fees),
      ...Object.keys(funding),
      ...Object.keys(cash),
    ]),
  ].sort();
  const byCurrency: PnlReport['by_currency'] = {};
  for (const ccy of currencies) {
    byCurrency[ccy] = {
      realized: formatMoney(realized[ccy] ?? 0n),
      fees: formatMoney(fees[ccy] ?? 0n),
      funding: formatMoney(funding[ccy] ?? 0n),
      cash_change: formatMoney(cash[ccy] ?? 0n),
    };
  }
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    fills: atTo.fills - atFrom.fills,
    by_currency: byCurrency,
  };
}

export function pnlText(report: PnlReport): string {
  const lines = [`P&L from ${report.from} to ${report.to} (${report.fills} fill(s))`];
  lines.push(
    `${'ccy'.padEnd(6)} ${'realized'.padStart(18)} ${'fees'.padStart(18)} ${'funding'.padStart(18)} ${'cash change'.padStart(18)}`,
  );
  for (const [ccy, r] of Object.entries(report.by_currency)) {
    lines.push(
      `${ccy.padEnd(6)} ${r.realized.padStart(18)} ${r.fees.padStart(18)} ${r.funding.padStart(18)} ${r.cash_change.padStart(18)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function reconcileText(report: ReconcileReport, foldedTo: string): string {
  const lines = [
    `reconciled ${report.currencies.join(', ') || '(no currency)'} against the journal ${foldedTo}: ` +
      `${report.compared.cash} cash, ${report.compared.positions} position(s), ${report.compared.averagePrices} average price(s) compared, ` +
      `${report.differences.length} difference(s)`,
  ];
  for (const d of report.differences) {
    lines.push(
      `  ${d.kind} ${d.instrument ?? d.currency}: ours ${d.ours ?? '-'}, venue ${d.venue ?? '-'}` +
        `${d.difference === undefined ? '' : `, difference ${d.difference}`} (tolerance ${d.tolerance})`,
    );
  }
  return `${lines.join('\n')}\n`;
}
