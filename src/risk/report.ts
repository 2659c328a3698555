/**
 * The risk report of `ballast risk`: greeks, the stress grid, margin, limits, liquidity, expiry
 * and warnings of a book on a market snapshot, as one JSON object, and its text for people.
 */
import { OrderBook } from '../market/book.js';
import type { Level } from '../market/events.js';
import { fitChain } from '../vol/chain-surface.js';
import type { VolSurface } from '../vol/surface.js';
import { expiryReport, type ExpiryReport } from './expiry.js';
import {
  DEALER_POSITIONING,
  dealerGamma,
  gammaOptionsFromChain,
  zeroGammaLevel,
  type DealerPositioning,
} from './gamma.js';
import { greeksSection, riskMarketState } from './greeks-report.js';
import type { RiskMarket, RiskPosition } from './inputs.js';
import type { LimitsConfig } from './limits/config.js';
import { PreTradeChecker } from './limits/pretrade.js';
import { liquidityReport, type LiquidityReport } from './liquidity.js';
import { liquidationDistance, portfolioMargin } from './margin/index.js';
import type { VolModel } from './scenario.js';
import { stressGrid, type StressGrid } from './stress/grid.js';
import { createRevaluer } from './stress/revalue.js';

export interface RiskReportOptions {
  spotShocks: number[];
  volShifts: number[];
  volModel: VolModel;
  marks: 'venue' | 'surface';
  limits?: LimitsConfig;
  /** Account equity in coin, for the liquidation distance. */
  equityCoin?: number;
  /** Share of the traded volume an unwind may take (default 0.1). */
  participation?: number;
  /** Per instrument, the books and hourly volume for the liquidity section (from the market lines when absent). */
  books?: ReadonlyMap<string, OrderBook>;
  volumePerHour?: ReadonlyMap<string, number>;
  /** Who holds the open interest, for the dealer gamma section (default: customers long calls, short puts). */
  positioning?: DealerPositioning;
}

export interface LimitLine {
  limit: string;
  measure: string;
  value: number;
  min: number;
  max: number;
  breached: boolean;
  /** |value| / the bound it approaches, 0..1 within limits. */
  use: number;
}

export interface RiskReport {
  as_of: string;
  positions: number;
  greeks: Record<string, unknown>;
  stress: StressGrid & { vol_model: VolModel; marks: 'venue' | 'surface'; base_value_usd: number };
  margin: Record<string, unknown>;
  limits: LimitLine[];
  liquidity: LiquidityReport;
  expiry: ExpiryReport;
  /** Market-wide dealer gamma from open interest, per coin with options (the assumption stated). */
  gamma: Record<string, unknown>;
  warnings: string[];
}

/** Builds the report (see the module comment). */
export async function riskReport(
  book: readonly RiskPosition[],
  market: RiskMarket,
  options: RiskReportOptions,
): Promise<RiskReport> {
  // The market's notes on the book's own instruments; the others only counted.
  const held = new Set(book.map((p) => p.instrument));
  const warnings = market.warnings
    .filter((w) => w.instrument !== null && held.has(w.instrument))
    .map((w) => `market line ${w.line} (${w.instrument}): ${w.message}`);
  const others = market.warnings.length - warnings.length;
  if (others > 0)
    warnings.push(`${others} note(s) on market lines of instruments not in the book (see ballast chain)`);
  const surfaces = new Map<string, VolSurface>();
  for (const coin of market.index.keys()) {
    const quotes = [...market.options.values()].filter((q) => q.instrumentName.startsWith(`${coin}-`));
    if (quotes.length > 0) surfaces.set(coin, fitChain(quotes).surface);
  }
  const state = riskMarketState(market, surfaces);

  const coins = [...new Set(book.map((p) => p.parsed.base))].sort();
  const optionCoins = coins.filter((c) => surfaces.has(c));
  const revaluer = createRevaluer(book, market, {
    volModel: options.volModel,
    marks: options.marks,
    ...(optionCoins.length === 1 ? { surface: surfaces.get(optionCoins[0] as string) as VolSurface } : {}),
  });
  warnings.push(...revaluer.warnings);
  const grid = stressGrid(revaluer, options.spotShocks, options.volShifts);

  const margin: Record<string, unknown> = {};
  for (const coin of coins) {
    const coinBook = book.filter((p) => p.parsed.base === coin);
    const m = portfolioMargin(coinBook, market, { coin });
    margin[coin] = {
      initial_margin_coin: m.initialMarginCoin,
      initial_margin_usd: m.initialMarginUsd,
      maintenance_margin_coin: m.maintenanceMarginCoin,
      maintenance_margin_usd: m.maintenanceMarginUsd,
      worst_case_coin: m.worstCaseCoin,
      worst_scenario: m.worstScenario,
      add_ons: m.addOns,
      delta_total_coin: m.deltaTotalCoin,
      ...(options.equityCoin === undefined
        ? {}
        : { liquidation: liquidationDistance(coinBook, market, options.equityCoin) }),
    };
  }

  const limits: LimitLine[] = [];
  if (options.limits !== undefined) {
    const checker = PreTradeChecker.forMarket(options.limits, market);
    for (const p of book) checker.addPosition(p.instrument, p.amount);
    for (const e of checker.exposures()) {
      const bound = e.value >= 0 ? e.max : -e.min;
      limits.push({
        limit: e.limit,
        measure: e.measure,
        value: e.value,
        min: e.min,
        max: e.max,
        breached: e.breached,
        use:
          bound > 0 && Number.isFinite(bound)
            ? Math.abs(e.value) / bound
            : e.value === 0
              ? 0
              : Number.POSITIVE_INFINITY,
      });
    }
  }

  const books = options.books ?? booksFromMarket(market);
  const liquidity = liquidityReport({
    positions: book,
    books,
    volumePerHour: options.volumePerHour ?? new Map(),
    participation: options.participation ?? 0.1,
    usdPerCoin: market.index,
  });

  const gamma: Record<string, unknown> = {};
  const positioning = options.positioning ?? DEALER_POSITIONING.customersLongCallsShortPuts;
  for (const [coin, spot] of market.index) {
    const quotes = [...market.options.values()].filter((q) => q.instrumentName.startsWith(`${coin}-`));
    if (quotes.length === 0 || market.openInterest === undefined) continue;
    const { options: gammaOptions, skipped } = gammaOptionsFromChain(quotes, market.openInterest);
    if (gammaOptions.length === 0) continue;
    const report = dealerGamma(gammaOptions, positioning, spot);
    const zero = zeroGammaLevel(gammaOptions, positioning, spot);
    gamma[coin] = {
      positioning: report.positioning,
      spot_usd: spot,
      total_gex_usd_per_1pct: report.totalGexUsd,
      zero_gamma_usd: zero.levelUsd,
      by_strike: report.byStrike,
      skipped: skipped.length,
    };
  }

  return {
    as_of: new Date(market.timestampMs).toISOString(),
    positions: book.length,
    greeks: greeksSection(book, state),
    stress: {
      ...grid,
      vol_model: options.volModel,
      marks: options.marks,
      base_value_usd: revaluer.baseValueUsd,
    },
    margin,
    limits,
    liquidity,
    expiry: expiryReport(book, market),
    gamma,
    warnings,
  };
}

/** The options' books as the snapshot lines give them (`bids`, `asks`). */
function booksFromMarket(market: RiskMarket): Map<string, OrderBook> {
  const books = new Map<string, OrderBook>();
  for (const [name, levels] of market.books ?? []) {
    const book = new OrderBook(name);
    book.applySnapshot({
      type: 'book_snapshot',
      venue: 'deribit',
      instrument: name,
      timestampMs: market.timestampMs,
      changeId: null,
      full: false,
      bids: levels.bids as Level[],
      asks: levels.asks as Level[],
    });
    if (book.status === 'live') books.set(name, book);
  }
  return books;
}

/** The report for people. */
export function riskText(r: RiskReport): string {
  const out: string[] = [`risk as of ${r.as_of}, ${r.positions} position(s)`, ''];
  const total = r.greeks.total_usd as Record<string, number>;
  out.push('greeks (USD):');
  for (const [k, v] of Object.entries(total)) out.push(`  ${k.padEnd(32)} ${v.toFixed(2)}`);
  out.push(
    '',
    `stress P&L (USD), ${r.stress.vol_model}, marks ${r.stress.marks}; rows spot shock, columns vol shift:`,
  );
  out.push(
    `  ${'spot \\ vol'.padEnd(10)}${r.stress.vol_shifts.map((v) => `${(v * 100).toFixed(0)} pts`.padStart(14)).join('')}`,
  );
  r.stress.spot_shocks.forEach((s, i) => {
    out.push(
      `  ${`${(s * 100).toFixed(1)}%`.padEnd(10)}${(r.stress.pnl_usd[i] ?? []).map((p) => p.toFixed(0).padStart(14)).join('')}`,
    );
  });
  out.push('', 'margin (venue-style estimate):');
  for (const [coin, m] of Object.entries(r.margin)) {
    const x = m as Record<string, number>;
    out.push(
      `  ${coin}: initial ${x.initial_margin_coin?.toFixed(4)} (${x.initial_margin_usd?.toFixed(0)} USD), maintenance ${x.maintenance_margin_coin?.toFixed(4)}`,
    );
  }
  if (r.limits.length > 0) {
    out.push('', 'limits:');
    for (const l of r.limits)
      out.push(
        `  ${l.breached ? 'BREACH' : 'ok    '} ${l.limit.padEnd(36)} ${l.value.toFixed(4).padStart(16)}  use ${(100 * l.use).toFixed(0)}%`,
      );
  }
  out.push(
    '',
    `liquidity: unwind cost ${r.liquidity.totalCostUsd.toFixed(0)} USD at ${(100 * r.liquidity.participation).toFixed(0)}% participation; ${r.liquidity.missing.length} instrument(s) without book or volume`,
  );
  out.push(
    `expiry: ${r.expiry.expiring.length} position(s) within ${r.expiry.horizonHours} h, ${r.expiry.pins.length} pin risk(s)`,
  );
  for (const [coin, g] of Object.entries(r.gamma)) {
    const x = g as { total_gex_usd_per_1pct: number; zero_gamma_usd: number | null; positioning: string };
    const zero = x.zero_gamma_usd === null ? 'none in range' : x.zero_gamma_usd.toFixed(0);
    out.push(
      `dealer gamma ${coin}: ${x.total_gex_usd_per_1pct.toFixed(0)} USD per 1% move, zero gamma at ${zero} (${x.positioning})`,
    );
  }
  if (r.warnings.length > 0) out.push('', 'warnings:', ...r.warnings.map((w) => `  ${w}`));
  return `${out.join('\n')}\n`;
}
