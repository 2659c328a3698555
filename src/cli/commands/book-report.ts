/**
 * The reports of `ballast book show`, `book pnl` and `book reconcile`, as JSON objects with
 * exact decimal strings, and their text forms for people.
 */
import type { Ledger } from '../../inventory/ledger.js';
import { formatMoney, type Money } from '../../inventory/money.js';
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
}

export function showReport(book: FoldedBook): ShowReport {
  const { ledger } = book;
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
  for (const [ccy, amount] of Object.entries(report.cash)) lines.push(`  ${ccy.padEnd(6)} ${amount}`);
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
