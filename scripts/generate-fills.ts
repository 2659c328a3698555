/**
 * Deterministic synthetic fills in the documented import format (`docs/import-format.md`), for
 * the crash test and the journal benchmark: the same count and seed give the same lines.
 * Timestamps mostly increase, with about one fill in twenty late by up to a minute, so that the
 * canonical order differs from the order of the file.
 */

/** A seeded generator of uniform doubles in [0, 1) (mulberry32, Tommy Ettinger's 32-bit mixer). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SyntheticInstrument {
  name: string;
  feeCurrency: string;
  /** Amount = step x (1..maxSteps). */
  amountStep: number;
  maxSteps: number;
  /** Price = tick x integer around `priceTicks`. */
  tick: number;
  priceTicks: number;
}

const INSTRUMENTS: readonly SyntheticInstrument[] = [
  {
    name: 'BTC-PERPETUAL',
    feeCurrency: 'BTC',
    amountStep: 10,
    maxSteps: 500,
    tick: 0.5,
    priceTicks: 130_000,
  },
  {
    name: 'ETH-PERPETUAL',
    feeCurrency: 'ETH',
    amountStep: 1,
    maxSteps: 5000,
    tick: 0.05,
    priceTicks: 70_000,
  },
  { name: 'BTC-25DEC26', feeCurrency: 'BTC', amountStep: 10, maxSteps: 300, tick: 2.5, priceTicks: 27_000 },
  {
    name: 'BTC-25DEC26-80000-C',
    feeCurrency: 'BTC',
    amountStep: 0.1,
    maxSteps: 50,
    tick: 0.0005,
    priceTicks: 200,
  },
  {
    name: 'BTC-25DEC26-50000-P',
    feeCurrency: 'BTC',
    amountStep: 0.1,
    maxSteps: 50,
    tick: 0.0005,
    priceTicks: 60,
  },
  {
    name: 'ETH-25DEC26-4000-C',
    feeCurrency: 'ETH',
    amountStep: 1,
    maxSteps: 100,
    tick: 0.0005,
    priceTicks: 150,
  },
  {
    name: 'BTC_USDC-PERPETUAL',
    feeCurrency: 'USDC',
    amountStep: 0.001,
    maxSteps: 1000,
    tick: 1,
    priceTicks: 65_000,
  },
];

/** 2026-01-01T00:00:00Z: every synthetic fill lies well before the 25 Dec 2026 expiries. */
const START_MS = Date.UTC(2026, 0, 1);

/**
 * `count` fills as JSON Lines (no trailing newline), trade ids `SYN-<seed>-<n>`, the clock
 * starting at `startMs` (2026-01-01 by default) and moving 1-400 ms a fill.
 */
export function generateFillLines(count: number, seed: number, startMs = START_MS): string[] {
  const random = mulberry32(seed);
  const lines: string[] = [];
  let clock = startMs;
  for (let n = 0; n < count; n++) {
    clock += 1 + Math.floor(random() * 400);
    const instrument = INSTRUMENTS[Math.floor(random() * INSTRUMENTS.length)] as SyntheticInstrument;
    const late = random() < 0.05 ? Math.floor(random() * 60_000) : 0;
    const steps = 1 + Math.floor(random() * instrument.maxSteps);
    const ticks = Math.max(1, Math.round(instrument.priceTicks * (0.9 + 0.2 * random())));
    const maker = random() < 0.6;
    const feeUnits = Math.floor(random() * 100_000);
    lines.push(
      JSON.stringify({
        venue: 'deribit',
        trade_id: `SYN-${seed}-${n}`,
        trade_seq: n + 1,
        order_id: String(40_000_000_000 + Math.floor(n / 3)),
        instrument: instrument.name,
        side: random() < 0.5 ? 'buy' : 'sell',
        amount: decimal(steps, instrument.amountStep),
        price: decimal(ticks, instrument.tick),
        fee: `${maker && random() < 0.3 ? '-' : ''}0.${String(feeUnits).padStart(8, '0')}`,
        fee_currency: instrument.feeCurrency,
        liquidity: maker ? 'maker' : 'taker',
        timestamp: clock - late,
      }),
    );
  }
  return lines;
}

/** `units x step` written exactly (no binary rounding), e.g. 3 x 0.1 = "0.3". */
function decimal(units: number, step: number): string {
  const places = (String(step).split('.')[1] ?? '').length;
  const scaled = BigInt(units) * BigInt(Math.round(step * 10 ** places));
  if (places === 0) return scaled.toString();
  const text = scaled.toString().padStart(places + 1, '0');
  return `${text.slice(0, -places)}.${text.slice(-places)}`.replace(/\.?0+$/, '');
}
