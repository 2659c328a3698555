/**
 * Full revaluation of a book under a scenario (the `Revaluer` of `src/risk/scenario.ts`), as
 * `ballast risk --marks venue` states it (issue 6, item 8):
 *
 * - Options: Black-76 in USD at the forward of the option's own snapshot line
 *   (`underlying_price`, the one the venue priced it off) times (1 + the spot shock of its
 *   coin), at the implied vol of its venue mark at that forward (`ivMark`, `src/vol/chain.ts`)
 *   moved by the vol model, time to expiry (from the line's own timestamp) less the scenario's
 *   days, discounted only at the line's `interest_rate`. One contract is one coin of
 *   underlying, so a position is worth amount × Black-76 USD price. A mark without implied vol
 *   (at or below intrinsic) is valued at the fitted surface's vol and named in `warnings`.
 *   With `marks: 'surface'` every option takes the surface's vol instead of its mark's.
 * - Vol models (shift = the scenario's `volShift`, absolute; the shocked vol is floored at
 *   `VOL_FLOOR` = 1 vol point):
 *   - sticky-strike: vol(K) + shift;
 *   - sticky-moneyness: the smile moves with the forward, so under a spot move s the option at
 *     strike K takes the base vol of strike K/(1+s) (same K/F). The smile's shape comes from the
 *     surface, anchored at the option's own base vol: vol(K) + [S(K/(1+s)) - S(K)] + shift, with
 *     S the surface's vol at the option's expiry; where the mark vol equals the surface this is
 *     exactly S(K/(1+s)) + shift, and s = 0 leaves every vol as it was;
 *   - term-structure: vol(K) + shift × (30 / d)^power, d the option's days to expiry (floored at
 *     1), power 0.5 by default (`termPower`).
 * - Time (`days` > 0): an option whose expiry passes settles at its intrinsic value on the
 *   shocked forward, max(F' - K, 0) or max(K - F', 0) USD per contract (the coin the venue pays,
 *   (F' - K)/F', is worth that at F'), held as cash; the others age.
 * - Inverse futures and perpetuals, amount N in USD (signed): a contract pays in coin,
 *   N (1/F - 1/F') for a move of its mark from F to F' = F(1+s). Valued in USD at the new mark,
 *   N (1/F - 1/F') F' = N (F'/F - 1) = N s. So a future adds N × s USD and nothing else: no vol,
 *   no time (one whose expiry passes settled at F', the same N s). Its base value is 0 (the P&L
 *   is measured from the current mark).
 *
 * The book's base value is the same computation at no shock (so a zero scenario has P&L 0
 * exactly), in USD. Scenario P&L = value - base value.
 */
import { InputError } from '../../model/errors.js';
import type { ChainQuote } from '../../vol/chain.js';
import { fitChain } from '../../vol/chain-surface.js';
import type { VolSurface } from '../../vol/surface.js';
import { requireMarks, type RiskMarket, type RiskPosition } from '../inputs.js';
import type { Revaluer, Scenario, VolModel } from '../scenario.js';
import { allocateRow, cellValue, type RowScratch, type StressColumns } from './kernel.js';
import { YEARS_PER_DAY } from '../../model/time.js';

export { VOL_FLOOR } from './kernel.js';

const VOL_MODELS: readonly VolModel[] = ['sticky-strike', 'sticky-moneyness', 'term-structure'];

/** Options of `createRevaluer`. */
export interface RevaluerOptions {
  /** How the surface moves; sticky-strike by default. */
  volModel?: VolModel;
  /** Power of the term-structure weight (30 / days)^power; 0.5 by default. */
  termPower?: number;
  /** `venue` (default): each option at its mark's implied vol; `surface`: at the fitted surface's. */
  marks?: 'venue' | 'surface';
  /** The fitted surface (fallback vols, sticky-moneyness, `marks: 'surface'`); fitted from the market's options when needed and absent. */
  surface?: VolSurface;
}

/** A revaluer with what the grid needs to price in columns. */
export interface StressRevaluer extends Revaluer {
  readonly volModel: VolModel;
  /** The coins of the book, in the order of `columns.coin`. */
  readonly coins: readonly string[];
  /** The options of the book in columns (option i is `optionNames[i]`). */
  readonly columns: StressColumns;
  readonly optionNames: readonly string[];
  /** The book's value in USD under a scenario. */
  valueUsd(scenario: Scenario): number;
  /** The spot move of each coin (index as `coins`) a scenario gives; validated. */
  spotByCoin(scenario: Scenario): Float64Array;
  /** The sticky-moneyness vol move of each option under the spot moves; null for the other models. */
  volAdd(spotByCoin: Float64Array): Float64Array | null;
}

/** Creates the revaluer of `book` on `market`. Throws `InputError` for a missing mark or a bad option. */
export function createRevaluer(
  book: readonly RiskPosition[],
  market: RiskMarket,
  options: RevaluerOptions = {},
): StressRevaluer {
  const volModel = options.volModel ?? 'sticky-strike';
  if (!VOL_MODELS.includes(volModel)) throw new InputError('volModel', volModel, VOL_MODELS.join(', '));
  const termPower = options.termPower ?? 0.5;
  if (typeof termPower !== 'number' || !Number.isFinite(termPower) || termPower < 0)
    throw new InputError('termPower', termPower, 'a finite number >= 0');
  const marks = options.marks ?? 'venue';
  if (marks !== 'venue' && marks !== 'surface') throw new InputError('marks', marks, '"venue" or "surface"');
  requireMarks(book, market);

  let surface = options.surface;
  const getSurface = (): VolSurface => {
    surface ??= fitChain([...market.options.values()]).surface;
    return surface;
  };

  const coins: string[] = [];
  const coinIndex = (coin: string): number => {
    let i = coins.indexOf(coin);
    if (i < 0) i = coins.push(coin) - 1;
    return i;
  };
  const quotes: ChainQuote[] = [];
  const optionAmounts: number[] = [];
  const futures: { amount: number; coin: number }[] = [];
  for (const p of book) {
    if (p.parsed.kind === 'option') {
      quotes.push(market.options.get(p.instrument)!);
      optionAmounts.push(p.amount);
    } else if (p.parsed.kind === 'future' || p.parsed.kind === 'perpetual') {
      futures.push({ amount: p.amount, coin: coinIndex(p.parsed.base) });
    } else {
      throw new InputError(`book line ${p.line}: instrument`, p.instrument, 'an option, future or perpetual');
    }
  }

  const n = quotes.length;
  const columns: StressColumns = {
    isCall: new Uint8Array(n),
    forward: new Float64Array(n),
    strike: new Float64Array(n),
    years: new Float64Array(n),
    rate: new Float64Array(n),
    amount: new Float64Array(n),
    baseVol: new Float64Array(n),
    volWeight: new Float64Array(n),
    coin: new Int32Array(n),
    futureAmount: Float64Array.from(futures, (f) => f.amount),
    futureCoin: Int32Array.from(futures, (f) => f.coin),
  };
  const warnings: string[] = [];
  const optionNames: string[] = [];
  quotes.forEach((q, o) => {
    optionNames.push(q.instrumentName);
    columns.isCall[o] = q.kind === 'call' ? 1 : 0;
    columns.forward[o] = q.forwardUsd;
    columns.strike[o] = q.strike;
    columns.years[o] = q.yearsToExpiry;
    columns.rate[o] = q.rate;
    columns.amount[o] = optionAmounts[o]!;
    columns.coin[o] = coinIndex(q.instrumentName.split('-')[0]!);
    let vol: number;
    if (marks === 'surface') vol = surfaceVol(getSurface(), q.strike, q.expiryMs);
    else if (q.ivMark !== null) vol = q.ivMark;
    else {
      vol = surfaceVol(getSurface(), q.strike, q.expiryMs);
      warnings.push(
        `${q.instrumentName}: mark ${q.markCoin} coin has no implied vol at the forward ${q.forwardUsd} USD (at or below intrinsic); valued at the fitted surface's vol ${vol.toFixed(4)}`,
      );
    }
    columns.baseVol[o] = vol;
    columns.volWeight[o] =
      volModel === 'term-structure' ? Math.pow(30 / Math.max(q.yearsToExpiry * 365, 1), termPower) : 1;
  });

  const expiryMs = quotes.map((q) => q.expiryMs);
  const moneynessSurface = volModel === 'sticky-moneyness' && n > 0 ? getSurface() : null;
  const volAdd = (spot: Float64Array): Float64Array | null => {
    if (moneynessSurface === null) return null;
    const add = new Float64Array(n);
    for (let o = 0; o < n; o++) {
      const s = spot[columns.coin[o]!]!;
      if (s === 0) continue;
      const k = columns.strike[o]!;
      add[o] =
        surfaceVol(moneynessSurface, k / (1 + s), expiryMs[o]!) -
        surfaceVol(moneynessSurface, k, expiryMs[o]!);
    }
    return add;
  };

  const spotByCoin = (scenario: Scenario): Float64Array => {
    checkScenario(scenario);
    const spot = new Float64Array(coins.length);
    coins.forEach((coin, i) => (spot[i] = scenario.spot[coin] ?? 0));
    return spot;
  };

  let scratch: RowScratch | undefined;
  const valueUsd = (scenario: Scenario): number => {
    const spot = spotByCoin(scenario);
    scratch ??= allocateRow(n);
    return cellValue(columns, spot, scenario.volShift, scenario.days ?? 0, volAdd(spot), scratch);
  };
  const baseValueUsd = valueUsd({ spot: {}, volShift: 0 });

  return {
    baseValueUsd,
    warnings,
    volModel,
    coins,
    columns,
    optionNames,
    valueUsd,
    spotByCoin,
    volAdd,
    pnlUsd: (scenario) => valueUsd(scenario) - baseValueUsd,
  };
}

/** The surface's vol at a strike and expiry; an expiry at or before the surface's time takes the first slice's smile at a day. */
function surfaceVol(surface: VolSurface, strike: number, expiryMs: number): number {
  const t = surface.yearsTo(expiryMs);
  if (t > 0) return surface.vol(strike, expiryMs);
  return surface.volAt(Math.log(strike / surface.forward(expiryMs)), YEARS_PER_DAY);
}

/** Validates a scenario; throws `InputError` naming the field. */
export function checkScenario(scenario: Scenario): void {
  if (scenario === null || typeof scenario !== 'object')
    throw new InputError('scenario', scenario, 'an object');
  if (scenario.spot === null || typeof scenario.spot !== 'object')
    throw new InputError('scenario.spot', scenario.spot, 'an object of relative moves by coin');
  for (const [coin, s] of Object.entries(scenario.spot)) {
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= -1)
      throw new InputError(`scenario.spot.${coin}`, s, 'a finite relative move > -1');
  }
  if (typeof scenario.volShift !== 'number' || !Number.isFinite(scenario.volShift))
    throw new InputError('scenario.volShift', scenario.volShift, 'a finite absolute vol shift');
  const days = scenario.days ?? 0;
  if (typeof days !== 'number' || !Number.isFinite(days) || days < 0)
    throw new InputError('scenario.days', days, 'a finite number of days >= 0');
}
