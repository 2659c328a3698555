/**
 * Arbitrage in the market's own prices: trades at the quoted bids and asks of one expiry that
 * cost nothing (or pay) today and can never lose at expiry. Reported, never hidden or fixed:
 * a surface fitter decides what to do with them; a market maker wants to know they are there.
 *
 * Checked per expiry, per option type, at the best bid and ask:
 * - `crossed`: bid above ask on one instrument;
 * - `call_spread` / `put_spread`: a call offered below the bid of a call at a higher strike
 *   (`ask(K1) < bid(K2)`, K1 < K2), a put offered below the bid of a put at a lower strike
 *   (`ask(K2) < bid(K1)`): buy the cheap one, sell the dear one, get paid now and never pay at
 *   expiry;
 * - `vertical_bound`: a vertical spread that can be sold for more than the most it can pay
 *   (see `verticalBoundCoin`);
 * - `butterfly`: for K1 < K2 < K3 and `w1 = (K3 - K2)/(K3 - K1)`, `w3 = (K2 - K1)/(K3 - K1)`
 *   (the convex weights, which make `w1 K1 + w3 K3 = K2` for unequal spacing), buying w1 at K1
 *   and w3 at K3 at the asks and selling one at K2 at the bid for a net credit,
 *   `w1 ask(K1) + w3 ask(K3) - bid(K2) < 0`: the payoff `w1 (S-K1)+ + w3 (S-K3)+ - (S-K2)+`
 *   is never negative (convexity); likewise for puts.
 *
 * Why in coin, not in USD at each line's forward. Deribit's BTC and ETH options are inverse:
 * premiums are paid and payoffs settled in coin, and an inverse option pays its USD payoff
 * divided by the delivery price S_T > 0. A combination whose USD payoff is never negative
 * therefore has a coin payoff that is never negative either, and its coin cost today is what
 * the quotes say: the spread, butterfly and crossed checks are exact in coin and need no
 * forward at all. Converting each leg at its own line's `underlying_price` (the lines of a
 * snapshot are taken minutes apart; the forward moves) would blur the comparison by the
 * forward's drift, about 0.2% of each premium on the 2020 snapshot, and could make or hide a
 * violation of a tick. Only the vertical bound needs a forward, and only for puts and for calls
 * below it. Amounts are reported in coin and, for reading, in USD at the mean forward of the
 * legs' lines.
 */
import { quotesByExpiry, type ChainQuote } from './chain.js';

/** What kind of violation. */
export type QuoteArbitrageKind = 'crossed' | 'call_spread' | 'put_spread' | 'vertical_bound' | 'butterfly';

/** One violation: the instruments of the trade, what it is, and what it earns per contract. */
export interface QuoteArbitrage {
  kind: QuoteArbitrageKind;
  expiryMs: number;
  /** The legs, bought legs first where the trade buys and sells. */
  instruments: string[];
  detail: string;
  /** What the trade locks in per contract (the middle leg's contract for a butterfly), coin. */
  amountCoin: number;
  /** The same in USD at the mean forward of the legs' lines. */
  amountUsd: number;
}

/** What the checks read of a quote (a `ChainQuote` has all of it). */
export type ArbitrageQuote = Pick<
  ChainQuote,
  | 'instrumentName'
  | 'kind'
  | 'strike'
  | 'expiryMs'
  | 'yearsToExpiry'
  | 'rate'
  | 'forwardUsd'
  | 'bidCoin'
  | 'askCoin'
>;

/**
 * Below this a difference of prices is rounding, not arbitrage (coin). Prices of the 2020
 * snapshot are multiples of 0.0005; the smallest real butterfly violation with weights in
 * thirds is a sixth of that, far above this.
 */
export const ARBITRAGE_TOLERANCE_COIN = 1e-9;

/**
 * Every violation among the quotes, expiry by expiry: crossed quotes first, then spreads and
 * vertical bounds pair by pair (calls, then puts, by strike), then butterflies. Spreads and bounds are listed for every
 * pair of strikes that violates; a butterfly violation is listed once per option type and
 * middle strike, the most negative cost among the (K1, K3) around it, with how many others
 * violate too (one mispriced bid otherwise fills the list with its triples). A negative
 * `toleranceCoin` also lists near misses, with negative amounts (how far from a violation);
 * their details read as if they were violations.
 */
export function findQuoteArbitrage(
  quotes: readonly ArbitrageQuote[],
  toleranceCoin = ARBITRAGE_TOLERANCE_COIN,
): QuoteArbitrage[] {
  const found: QuoteArbitrage[] = [];
  for (const [expiryMs, list] of quotesByExpiry(quotes)) {
    const byStrike = [...list].sort((a, b) => a.strike - b.strike);
    const report = (kind: QuoteArbitrageKind, legs: ArbitrageQuote[], detail: string, amountCoin: number) => {
      const forwardUsd = legs.reduce((sum, q) => sum + q.forwardUsd, 0) / legs.length;
      found.push({
        kind,
        expiryMs,
        instruments: legs.map((q) => q.instrumentName),
        detail,
        amountCoin,
        amountUsd: amountCoin * forwardUsd,
      });
    };
    for (const q of byStrike) {
      if (q.bidCoin !== null && q.askCoin !== null && q.bidCoin - q.askCoin > toleranceCoin) {
        report('crossed', [q], `bid ${q.bidCoin} > ask ${q.askCoin}`, q.bidCoin - q.askCoin);
      }
    }
    const calls = byStrike.filter((q) => q.kind === 'call');
    const puts = byStrike.filter((q) => q.kind === 'put');
    for (const [low, high] of [...pairs(calls), ...pairs(puts)]) {
      // Of two calls the lower strike is worth more, of two puts the higher one.
      const [dear, cheap] = low.kind === 'call' ? [low, high] : [high, low];
      // The dearer one offered below the other's bid: buy it, sell the other.
      const spreadCredit = minus(cheap.bidCoin, dear.askCoin);
      if (spreadCredit > toleranceCoin) {
        report(
          low.kind === 'call' ? 'call_spread' : 'put_spread',
          [dear, cheap],
          `ask ${dear.askCoin} (K ${dear.strike}) < bid ${cheap.bidCoin} (K ${cheap.strike})`,
          spreadCredit,
        );
      }
      // The spread sold (dear at its bid, cheap at its ask) for more than it can ever pay.
      const boundCredit = minus(dear.bidCoin, cheap.askCoin);
      if (!(boundCredit > 0)) continue;
      const boundCoin = verticalBoundCoin(low, high);
      if (boundCredit - boundCoin > toleranceCoin) {
        report(
          'vertical_bound',
          [cheap, dear],
          `${low.kind} spread ${low.strike}/${high.strike} sells for ${round(boundCredit)} ` +
            `(bid ${dear.bidCoin} - ask ${cheap.askCoin}), more than the most it pays, ${round(boundCoin)}`,
          boundCredit - boundCoin,
        );
      }
    }
    for (const sameType of [calls, puts]) butterflies(sameType, toleranceCoin, report);
  }
  return found;
}

/**
 * The most a vertical spread K1 < K2 (long the call at K1 or the put at K2) can be worth
 * today, coin per contract, with `D = e^{-rT}`:
 * - its USD payoff is at most K2 - K1, worth `D (K2 - K1) / F` coin today at the forward F
 *   (the coin value of a USD amount at T; an arbitrage when the forward can be traded, e.g.
 *   the future of the expiry);
 * - a call spread's coin payoff `min((S - K1)+, K2 - K1) / S` is at most (K2 - K1) / K2 at any
 *   delivery price S, worth at most `D (K2 - K1) / K2` whatever the forward.
 * Calls take the smaller of the two; puts have only the first (their coin payoff grows without
 * bound as S falls). F is the mean of the two lines' forwards; D uses their mean rate and time.
 */
export function verticalBoundCoin(low: ArbitrageQuote, high: ArbitrageQuote): number {
  const forwardUsd = (low.forwardUsd + high.forwardUsd) / 2;
  const discount = Math.exp(-((low.rate + high.rate) / 2) * ((low.yearsToExpiry + high.yearsToExpiry) / 2));
  const width = high.strike - low.strike;
  const atForward = (discount * width) / forwardUsd;
  return low.kind === 'call' ? Math.min(atForward, (discount * width) / high.strike) : atForward;
}

type Report = (kind: QuoteArbitrageKind, legs: ArbitrageQuote[], detail: string, amountCoin: number) => void;

/** Butterflies of one option type; `options` sorted by strike. */
function butterflies(options: readonly ArbitrageQuote[], toleranceCoin: number, report: Report): void {
  for (let j = 1; j < options.length - 1; j++) {
    const middle = options[j]!;
    if (middle.bidCoin === null) continue;
    let worst:
      { cost: number; low: ArbitrageQuote; high: ArbitrageQuote; w1: number; w3: number } | undefined;
    let count = 0;
    for (let i = 0; i < j; i++) {
      const low = options[i]!;
      if (low.askCoin === null || !(low.strike < middle.strike)) continue;
      for (let k = j + 1; k < options.length; k++) {
        const high = options[k]!;
        if (high.askCoin === null || !(high.strike > middle.strike)) continue;
        const w1 = (high.strike - middle.strike) / (high.strike - low.strike);
        const w3 = (middle.strike - low.strike) / (high.strike - low.strike);
        const cost = w1 * low.askCoin + w3 * high.askCoin - middle.bidCoin;
        if (!(cost < -toleranceCoin)) continue;
        count += 1;
        if (worst === undefined || cost < worst.cost) worst = { cost, low, high, w1, w3 };
      }
    }
    if (worst === undefined) continue;
    const { cost, low, high, w1, w3 } = worst;
    const others = count > 1 ? `; ${count - 1} other (K1, K3) around K ${middle.strike} violate too` : '';
    report(
      'butterfly',
      [low, high, middle],
      `${middle.kind} butterfly ${low.strike}/${middle.strike}/${high.strike}: ` +
        `${round(w1)} x ask ${low.askCoin} + ${round(w3)} x ask ${high.askCoin} - bid ${middle.bidCoin} = ${round(cost)}${others}`,
      -cost,
    );
  }
}

/** Every pair (lower strike, higher strike) of options sorted by strike. */
function pairs(options: readonly ArbitrageQuote[]): [ArbitrageQuote, ArbitrageQuote][] {
  const out: [ArbitrageQuote, ArbitrageQuote][] = [];
  for (let i = 0; i < options.length; i++) {
    for (let j = i + 1; j < options.length; j++) {
      if (options[i]!.strike < options[j]!.strike) out.push([options[i]!, options[j]!]);
    }
  }
  return out;
}

/** `a - b` where both sides quote, else NaN (no trade). */
function minus(a: number | null, b: number | null): number {
  return a === null || b === null ? NaN : a - b;
}

function round(value: number): string {
  return String(Number(value.toPrecision(6)));
}
