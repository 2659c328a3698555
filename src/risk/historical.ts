/**
 * Named historical scenarios: the BTC and ETH moves of a few crashes, each figure with the public
 * source it comes from (in the data, so a report can print it).
 *
 * Only figures a source states, or that follow by arithmetic from prices a source states, are
 * here. Sources differ in the window they measure (a UTC day close to close, 24 hours, the high
 * to the low of a few hours); `measure` says which. No source found gives a before-and-after
 * implied vol (Deribit's DVOL, or the at-the-money vol) for these days, so every `volMove` is
 * null: a scenario built from an entry takes the vol shift the caller gives (0 by default) and
 * says so in its name. Scenarios are instantaneous (no days pass) unless the caller says.
 *
 * Sources (retrieved through public web pages; quoted figures only):
 * - 2020-03-12: NewsBTC, "Ethereum fell 43% yesterday, its worst day ever", 13 March 2020, citing
 *   Coin Metrics data (Nic Carter): "while BTC closed down 40%, [ETH] lost 43% on the day".
 *   https://www.newsbtc.com/news/ethereum/ethereum-fell-43-percent-yesterday-worst-day-ever/
 * - 2021-05-19: The Straits Times, "Making sense of the Bitcoin crash", 26 May 2021: "In the 24
 *   hours between May 18 and May 19, Bitcoin's price dropped about 27 per cent."
 *   https://www.straitstimes.com/opinion/making-sense-of-the-bitcoin-crash-0 ; for ETH the only
 *   figure found is secondary reporting, "Ethereum ... plummeting 40%" (open-lib.com,
 *   https://www.open-lib.com/1941.html; roedsa.com says "more than 40%"), high to low.
 * - 2022-11-09 (FTX): CoinDesk, "Bitcoin Hits 2-Year Low Below $16K After Binance Backs Out of
 *   FTX Deal", 9 November 2022: "BTC was down 14% on the day" (CoinDesk Bitcoin Price Index);
 *   https://www.coindesk.com/markets/2022/11/09/bitcoin-falls-below-17k-amid-latest-ftx-meltdown/
 *   CoinDesk, "Market Wrap: Bitcoin, Other Cryptos Continue to Plummet", 9 November 2022: "Ether
 *   was recently changing hands at about $1,150, off roughly 12%".
 *   https://coindesk-coindesk-prod.cdn.arcpublishing.com/markets/2022/11/09/market-wrap-bitcoin-other-cryptos-continue-to-plummet/
 *   (CoinDesk's own CDN copy of the article, as found).
 * - 2024-08-05: CoinChapter, "Bitcoin falls under $53K, wiping out $600M in leveraged longs", 5
 *   August 2024: BTC "from around $58,350 to as little as $49,513 in less than 5 hours", ETH
 *   "from $2,695 to $2,118" (the moves here are those prices' ratios: -15.1% and -21.4%; the
 *   article's own "18%" for ETH does not match its prices).
 *   https://cointrolly.com/bitcoin-falls-under-53k-wiping-out-600m-in-leveraged-longs (a copy
 *   of the CoinChapter article). bitcoinblog.de (5 August 2024) gives -17% for BTC and -23% for
 *   ETH over the day, in EUR.
 */
import { InputError } from '../model/errors.js';
import type { Scenario } from './scenario.js';

/** Where a figure comes from. */
export interface Source {
  publisher: string;
  title: string;
  date: string;
  url: string;
  /** The words the figure rests on. */
  quote: string;
}

/** One coin's move in a historical event. */
export interface HistoricalMove {
  coin: 'BTC' | 'ETH';
  /** Relative spot move (-0.4 = -40%). */
  spotMove: number;
  /** Absolute implied-vol move; null where no source gives one. */
  volMove: number | null;
  /** The window the source measures. */
  measure: string;
  source: Source;
}

/** A named historical event. */
export interface HistoricalEvent {
  /** The date (UTC) as an id: `2020-03-12`. */
  id: string;
  name: string;
  moves: readonly HistoricalMove[];
}

const NEWSBTC_2020: Source = {
  publisher: 'NewsBTC (Coin Metrics data via Nic Carter)',
  title: 'Ethereum fell 43% yesterday, its worst day ever',
  date: '2020-03-13',
  url: 'https://www.newsbtc.com/news/ethereum/ethereum-fell-43-percent-yesterday-worst-day-ever/',
  quote: 'while BTC closed down 40%, the second-largest cryptocurrency lost 43% on the day',
};

const COINDESK_FTX_BTC: Source = {
  publisher: 'CoinDesk',
  title: 'Bitcoin Hits 2-Year Low Below $16K After Binance Backs Out of FTX Deal',
  date: '2022-11-09',
  url: 'https://www.coindesk.com/markets/2022/11/09/bitcoin-falls-below-17k-amid-latest-ftx-meltdown/',
  quote: 'BTC was down 14% on the day, the biggest single daily drop since mid-June',
};

const COINCHAPTER_2024 = (quote: string): Source => ({
  publisher: 'CoinChapter (copy at cointrolly.com)',
  title: 'Bitcoin falls under $53K, wiping out $600M in leveraged longs',
  date: '2024-08-05',
  url: 'https://cointrolly.com/bitcoin-falls-under-53k-wiping-out-600m-in-leveraged-longs',
  quote,
});

/** The table (see the module comment for the sources). */
export const HISTORICAL_EVENTS: readonly HistoricalEvent[] = [
  {
    id: '2020-03-12',
    name: 'Black Thursday (COVID-19 sell-off)',
    moves: [
      {
        coin: 'BTC',
        spotMove: -0.4,
        volMove: null,
        measure: 'UTC day, close to close',
        source: NEWSBTC_2020,
      },
      {
        coin: 'ETH',
        spotMove: -0.43,
        volMove: null,
        measure: 'UTC day, close to close',
        source: NEWSBTC_2020,
      },
    ],
  },
  {
    id: '2021-05-19',
    name: 'May 2021 crash (China warning, leverage flush)',
    moves: [
      {
        coin: 'BTC',
        spotMove: -0.27,
        volMove: null,
        measure: '24 hours, 18 to 19 May',
        source: {
          publisher: 'The Straits Times',
          title: 'Making sense of the Bitcoin crash',
          date: '2021-05-26',
          url: 'https://www.straitstimes.com/opinion/making-sense-of-the-bitcoin-crash-0',
          quote: "In the 24 hours between May 18 and May 19, Bitcoin's price dropped about 27 per cent.",
        },
      },
      {
        coin: 'ETH',
        spotMove: -0.4,
        volMove: null,
        measure: 'intraday high to low (secondary reporting)',
        source: {
          publisher: 'open-lib.com',
          title: 'Bitcoin\'s "Overnight Crash": Market Plummets Nearly 30%',
          date: '2021-05-19',
          url: 'https://www.open-lib.com/1941.html',
          quote: 'Ethereum [fell below] the $2,000 threshold, plummeting 40%',
        },
      },
    ],
  },
  {
    id: '2022-11-09',
    name: 'FTX collapse (Binance backs out of the rescue)',
    moves: [
      {
        coin: 'BTC',
        spotMove: -0.14,
        volMove: null,
        measure: 'UTC day (CoinDesk BPI)',
        source: COINDESK_FTX_BTC,
      },
      {
        coin: 'ETH',
        spotMove: -0.12,
        volMove: null,
        measure: 'about 24 hours, to 22:16 UTC',
        source: {
          publisher: 'CoinDesk',
          title: 'Market Wrap: Bitcoin, Other Cryptos Continue to Plummet',
          date: '2022-11-09',
          url: 'https://coindesk-coindesk-prod.cdn.arcpublishing.com/markets/2022/11/09/market-wrap-bitcoin-other-cryptos-continue-to-plummet/',
          quote: 'Ether was recently changing hands at about $1,150, off roughly 12%',
        },
      },
    ],
  },
  {
    id: '2024-08-05',
    name: 'Yen carry-trade unwind',
    moves: [
      {
        coin: 'BTC',
        spotMove: 49513 / 58350 - 1,
        volMove: null,
        measure: 'high to low in under 5 hours',
        source: COINCHAPTER_2024('falling from round $58,350 to as little as $49,513 in lower than 5 hours'),
      },
      {
        coin: 'ETH',
        spotMove: 2118 / 2695 - 1,
        volMove: null,
        measure: 'high to low, same hours',
        // The article's "18%" does not match its own prices (-21.4%); the prices are used.
        source: COINCHAPTER_2024('dropped 18% from $2,695 to $2,118'),
      },
    ],
  },
];

/** The event with this id; throws `InputError` naming the known ids. */
export function historicalEvent(id: string): HistoricalEvent {
  const e = HISTORICAL_EVENTS.find((x) => x.id === id);
  if (e === undefined)
    throw new InputError('event', id, `one of ${HISTORICAL_EVENTS.map((x) => x.id).join(', ')}`);
  return e;
}

/** Options of a historical scenario. */
export interface HistoricalScenarioOptions {
  /** The vol shift where the table has none (every entry today); 0 by default, stated in the name. */
  volShift?: number;
  /** Days that pass; 0 by default. */
  days?: number;
}

/**
 * The event as a `Scenario`: each coin's sourced move; the vol shift the table's (when every
 * coin has one, their mean) or the caller's, named.
 */
export function historicalEventScenario(id: string, options: HistoricalScenarioOptions = {}): Scenario {
  const e = historicalEvent(id);
  const { volShift, days } = options;
  if (volShift !== undefined && (typeof volShift !== 'number' || !Number.isFinite(volShift)))
    throw new InputError('volShift', volShift, 'a finite absolute vol shift');
  if (days !== undefined && (typeof days !== 'number' || !(days >= 0) || !Number.isFinite(days)))
    throw new InputError('days', days, 'a number of days >= 0');
  const spot: Record<string, number> = {};
  for (const m of e.moves) spot[m.coin] = m.spotMove;
  const sourced = e.moves.every((m) => m.volMove !== null);
  let shift: number;
  let volNote: string;
  if (volShift !== undefined) {
    shift = volShift;
    volNote = `vol ${volShift >= 0 ? '+' : ''}${(volShift * 100).toFixed(1)} pts (given)`;
  } else if (sourced) {
    shift = e.moves.reduce((a, m) => a + (m.volMove as number), 0) / e.moves.length;
    volNote = `vol ${(shift * 100).toFixed(1)} pts (sourced)`;
  } else {
    shift = 0;
    volNote = 'vol unchanged (no sourced vol move)';
  }
  return {
    name: `${e.id} ${e.name}: ${volNote}`,
    spot,
    volShift: shift,
    ...(days === undefined ? {} : { days }),
  };
}

/** Every event of the table as a scenario (same options for all). */
export function historicalEventScenarios(options: HistoricalScenarioOptions = {}): Scenario[] {
  return HISTORICAL_EVENTS.map((e) => historicalEventScenario(e.id, options));
}
