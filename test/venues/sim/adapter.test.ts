import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineInput, VenueCommand } from '../../../src/engine/types.js';
import type { FillEvent } from '../../../src/inventory/events.js';
import { divRound, parseMoney } from '../../../src/inventory/money.js';
import type {
  BookChangeEvent,
  BookSnapshotEvent,
  MarketEvent,
  TickerEvent,
} from '../../../src/market/events.js';
import { SimVenue, defaultChainFile, type SimVenueOptions } from '../../../src/venues/sim/adapter.js';
import { prepareChain, type PreparedChain } from '../../../src/venues/sim/market.js';

const CALL = 'BTC-26JUN20-9000-C';
const PERP = 'BTC-PERPETUAL';

let chain: PreparedChain;
/** The snapshot's lines, read here on their own (not through the venue's reader). */
let lines: {
  instrument_name: string;
  timestamp: number;
  index_price: number;
  underlying_price: number;
  expiration_timestamp: number;
}[];

beforeAll(async () => {
  chain = await prepareChain(defaultChainFile());
  lines = readFileSync(defaultChainFile(), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as (typeof lines)[number]);
});

/** The standard normal CDF, written here on its own: erf's Taylor series below 2, erfc's continued fraction above. */
function normCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  let erfc: number;
  if (z < 2) {
    // erf(z) = 2/sqrt(pi) sum (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    erfc = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = exp(-z^2)/sqrt(pi) * 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...))))
    let f = z;
    for (let n = 60; n >= 1; n--) f = z + n / 2 / f;
    erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function venue(extra: Partial<SimVenueOptions> = {}): Promise<{ v: SimVenue; inputs: EngineInput[] }> {
  const inputs: EngineInput[] = [];
  const v = new SimVenue({ seed: 7, speed: 'fast', chain, ...extra });
  await v.start((i) => inputs.push(i));
  return { v, inputs };
}

const market = (inputs: EngineInput[]): MarketEvent[] =>
  inputs.flatMap((i) => (i.kind === 'market' ? [i.event] : []));
const fills = (inputs: EngineInput[]): FillEvent[] =>
  inputs.flatMap((i) => (i.kind === 'fill' ? [i.event] : []));
const rejects = (inputs: EngineInput[]) => inputs.flatMap((i) => (i.kind === 'reject' ? [i] : []));
const orders = (inputs: EngineInput[]) => inputs.flatMap((i) => (i.kind === 'order' ? [i.order] : []));

function best(inputs: EngineInput[], instrument: string): { bid: number; ask: number } {
  const book = replay(market(inputs), instrument);
  return { bid: Math.max(...book.bids.keys()), ask: Math.min(...book.asks.keys()) };
}

/** Rebuilds one book from its snapshot and changes, checking the change ids on the way. */
function replay(
  events: MarketEvent[],
  instrument: string,
): { bids: Map<number, number>; asks: Map<number, number> } {
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  let last: number | null = null;
  for (const e of events) {
    if (e.instrument !== instrument) continue;
    if (e.type === 'book_snapshot') {
      bids.clear();
      asks.clear();
      for (const l of e.bids) bids.set(l.price, l.amount);
      for (const l of e.asks) asks.set(l.price, l.amount);
      last = e.changeId;
    } else if (e.type === 'book_change') {
      expect(e.prevChangeId).toBe(last);
      expect(e.changeId).toBe((last as number) + 1);
      last = e.changeId;
      for (const l of e.bids) setLevel(bids, l.price, l.amount);
      for (const l of e.asks) setLevel(asks, l.price, l.amount);
    }
  }
  return { bids, asks };
}

function setLevel(side: Map<number, number>, price: number, amount: number): void {
  if (amount === 0) side.delete(price);
  else side.set(price, amount);
}

const onTick = (price: number, tick: number): boolean =>
  Math.abs(price / tick - Math.round(price / tick)) < 1e-9;

function hashOf(inputs: EngineInput[]): string {
  const text = JSON.stringify(inputs, (_k, value: unknown) =>
    typeof value === 'bigint' ? `${value}n` : value,
  );
  return createHash('sha256').update(text).digest('hex');
}

describe('SimVenue start', () => {
  it("starts at the snapshot's time with the snapshot's index, connection up, books and tickers", async () => {
    const { v, inputs } = await venue();
    const asOf = Math.round(medianOf(lines.map((l) => l.timestamp)));
    const index = medianOf(lines.map((l) => l.index_price));
    expect(v.nowMs()).toBe(asOf);
    expect(inputs[0]).toMatchObject({ kind: 'connection', state: 'up', timestampMs: asOf, venue: 'sim' });
    const snapshots = market(inputs).filter((e): e is BookSnapshotEvent => e.type === 'book_snapshot');
    // Every option of the file not expired at the start, and the perpetual.
    expect(snapshots.length).toBe(lines.filter((l) => l.expiration_timestamp > asOf).length + 1);
    const perp = market(inputs).find((e): e is TickerEvent => e.type === 'ticker' && e.instrument === PERP)!;
    expect(v.simMarket.index()).toBe(index);
    expect(Math.abs(perp.indexPrice! - index)).toBeLessThanOrEqual(0.005 + 1e-9);
    expect(perp.timestampMs).toBe(asOf);
    const call = market(inputs).find((e): e is TickerEvent => e.type === 'ticker' && e.instrument === CALL)!;
    const line = lines.find((l) => l.instrument_name === CALL)!;
    expect(Math.abs(call.underlyingPrice! - line.underlying_price)).toBeLessThan(5);
    expect(call.markIv).toBeGreaterThan(50);
    expect(call.markIv).toBeLessThan(120);
    expect(call.markPrice).toBeGreaterThan(0);
  });

  it("option tickers carry the venue's bid_iv and ask_iv: the vols that reprice the best bid and ask", async () => {
    const { inputs } = await venue();
    const tickers = market(inputs).filter(
      (e): e is TickerEvent => e.type === 'ticker' && e.instrument.endsWith('-C') && e.markIv !== undefined,
    );
    let checked = 0;
    for (const t of tickers) {
      const [, , strikeText] = t.instrument.split('-');
      const strike = Number(strikeText);
      const expiry = lines.find((l) => l.instrument_name === t.instrument)?.expiration_timestamp;
      if (expiry === undefined || t.underlyingPrice === undefined) continue;
      const years = (expiry - t.timestampMs) / (365 * 86_400_000);
      const forward = t.underlyingPrice;
      for (const [iv, price] of [
        [t.bidIv, t.bidPrice],
        [t.askIv, t.askPrice],
      ] as const) {
        if (iv === undefined) continue;
        expect(price).toBeDefined();
        // Black-76 (r = 0) at the published vol, in coin at the forward: the published price, to
        // within the vol's rounding to 0.01 points (vega x 0.00005) and the forward's to a cent.
        const sd = (iv / 100) * Math.sqrt(years);
        const d1 = Math.log(forward / strike) / sd + sd / 2;
        const coin = (forward * normCdf(d1) - strike * normCdf(d1 - sd)) / forward;
        const vegaCoin = (Math.exp((-d1 * d1) / 2) / Math.sqrt(2 * Math.PI)) * Math.sqrt(years);
        expect(Math.abs(coin - (price as number))).toBeLessThanOrEqual(vegaCoin * 0.00005 + 1e-7);
        checked++;
      }
      if (t.bidIv !== undefined && t.askIv !== undefined) {
        expect(t.bidIv).toBeLessThanOrEqual(t.markIv as number);
        expect(t.askIv).toBeGreaterThanOrEqual(t.markIv as number);
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('publishes books with consecutive change ids, on the ticks, never crossed, equal to the exchange', async () => {
    const { v, inputs } = await venue({
      instruments: [CALL, 'BTC-26JUN20-7000-P', 'BTC-25DEC20-20000-C', PERP],
    });
    v.stepFor(20 * 60_000);
    const events = market(inputs);
    for (const instrument of [CALL, 'BTC-26JUN20-7000-P', 'BTC-25DEC20-20000-C', PERP]) {
      const changes = events.filter(
        (e): e is BookChangeEvent => e.type === 'book_change' && e.instrument === instrument,
      );
      expect(changes.length).toBeGreaterThan(2);
      const book = replay(events, instrument);
      const tick = instrument === PERP ? 0.5 : 0.0005;
      for (const p of [...book.bids.keys(), ...book.asks.keys()]) expect(onTick(p, tick)).toBe(true);
      expect(Math.max(...book.bids.keys())).toBeLessThan(Math.min(...book.asks.keys()));
      const ex = v.simMarket.exchange;
      expect(ex.depth(instrument, 'bids').map((l) => [l.price, l.amount])).toEqual(
        [...book.bids].sort((a, b) => b[0] - a[0]),
      );
      expect(ex.depth(instrument, 'asks').map((l) => [l.price, l.amount])).toEqual(
        [...book.asks].sort((a, b) => a[0] - b[0]),
      );
    }
    expect(events.some((e) => e.type === 'trade')).toBe(true);
  });
});

describe('SimVenue orders', () => {
  it('an order that crosses fills at once with exact money; one that rests is open', async () => {
    const { v, inputs } = await venue({ instruments: [CALL, PERP] });
    const { ask } = best(inputs, CALL);
    v.send({
      kind: 'place',
      clientOrderId: 'c1',
      instrument: CALL,
      side: 'buy',
      amount: 1.5,
      type: 'limit',
      price: ask,
    });
    const [fill] = fills(inputs);
    expect(fill).toMatchObject({
      venue: 'sim',
      instrument: CALL,
      side: 'buy',
      liquidity: 'taker',
      feeCurrency: 'BTC',
    });
    expect(fill!.amount).toBe(parseMoney('1.5'));
    expect(fill!.price).toBe(parseMoney(String(ask)));
    // 0.0003 BTC per contract (below 12.5% of the price), exactly.
    expect(fill!.fee).toBe(450_000_000n);
    expect(orders(inputs).at(-1)).toMatchObject({
      clientOrderId: 'c1',
      state: 'filled',
      filledAmount: 1.5,
      averagePrice: ask,
    });

    const perpAsk = best(inputs, PERP).ask;
    v.send({
      kind: 'place',
      clientOrderId: 'p1',
      instrument: PERP,
      side: 'buy',
      amount: 100,
      type: 'market',
    });
    const perpFill = fills(inputs).at(-1)!;
    expect(perpFill.price).toBe(parseMoney(String(perpAsk)));
    // 0.05% of 100 USD in BTC at the price, rounded half-even at 12 decimals.
    expect(perpFill.fee).toBe(divRound(50_000_000_000n * 10n ** 12n, parseMoney(String(perpAsk))));
    expect(new Set(fills(inputs).map((f) => f.id)).size).toBe(2);

    const { bid } = best(inputs, CALL);
    v.send({
      kind: 'place',
      clientOrderId: 'r1',
      instrument: CALL,
      side: 'buy',
      amount: 2,
      type: 'limit',
      price: bid - 0.005,
      postOnly: true,
    });
    expect(orders(inputs).at(-1)).toMatchObject({
      clientOrderId: 'r1',
      state: 'open',
      filledAmount: 0,
      price: bid - 0.005,
    });
    v.send({ kind: 'reconcile', afterTradeId: null });
    const account = inputs.at(-1)!;
    expect(account.kind).toBe('account');
    if (account.kind === 'account') {
      expect(account.positions).toEqual([
        { instrument: CALL, amount: 1.5 },
        { instrument: PERP, amount: 100 },
      ]);
      expect(account.openOrders.map((o) => o.clientOrderId)).toEqual(['r1']);
      expect(account.lastTradeId).toBe(perpFill.id);
    }
  });

  it('a resting quote inside the spread is hit by the takers: a maker fill and the order update', async () => {
    const { v, inputs } = await venue({ instruments: [CALL], flow: { optionRatePerSide: 0.5 } });
    const { bid, ask } = best(inputs, CALL);
    expect(ask - bid).toBeGreaterThan(0.0005);
    v.send({
      kind: 'place',
      clientOrderId: 'q1',
      instrument: CALL,
      side: 'buy',
      amount: 0.5,
      type: 'limit',
      price: bid + 0.0005,
      postOnly: true,
    });
    let made: FillEvent | undefined;
    for (let i = 0; i < 600 && made === undefined; i++) {
      v.stepFor(1000);
      made = fills(inputs).find((f) => f.liquidity === 'maker');
    }
    expect(made).toBeDefined();
    expect(made).toMatchObject({ side: 'buy', instrument: CALL, price: parseMoney(String(bid + 0.0005)) });
    expect(made!.fee).toBe((made!.amount * 300_000_000n) / 10n ** 12n);
    const update = orders(inputs)
      .filter((o) => o.clientOrderId === 'q1')
      .at(-1)!;
    expect(update.filledAmount).toBeGreaterThan(0);
    expect(update.state === 'filled' || update.state === 'open').toBe(true);
  });

  it('rejects a bad tick, a bad amount and a post-only cross with the venue codes', async () => {
    const { v, inputs } = await venue({ instruments: [CALL, PERP] });
    const { bid, ask } = best(inputs, CALL);
    const base = { kind: 'place', instrument: CALL, side: 'buy', type: 'limit' } as const;
    v.send({ ...base, clientOrderId: 't', amount: 1, price: 0.10003 });
    v.send({ ...base, clientOrderId: 'low', amount: 0.05, price: bid });
    v.send({ ...base, clientOrderId: 'lot', amount: 0.15, price: bid });
    v.send({ ...base, clientOrderId: 'po', amount: 1, price: ask, postOnly: true });
    v.send({ kind: 'cancel', clientOrderId: 'x', orderId: 'nope' });
    v.send({
      kind: 'place',
      clientOrderId: 'pt',
      instrument: PERP,
      side: 'sell',
      amount: 10,
      type: 'limit',
      price: 9000.25,
    });
    expect(rejects(inputs).map((r) => [r.clientOrderId, r.code, r.message.split(':')[0]])).toEqual([
      ['t', 10043, 'price_wrong_tick'],
      ['low', 10002, 'qty_too_low'],
      ['lot', 10021, 'invalid_amount'],
      ['po', 11054, 'post_only_reject'],
      ['x', 10004, 'order_not_found'],
      ['pt', 10043, 'price_wrong_tick'],
    ]);
    expect(orders(inputs)).toEqual([]);
    // An order that was ours but is no longer open: 11044.
    v.send({ ...base, clientOrderId: 'f', amount: 0.1, price: ask });
    const filled = orders(inputs).at(-1)!;
    expect(filled.state).toBe('filled');
    v.send({ kind: 'cancel', clientOrderId: 'f', orderId: filled.orderId });
    expect(rejects(inputs).at(-1)).toMatchObject({ clientOrderId: 'f', code: 11044 });
  });

  it('cancel_all cancels every open order of ours and the books lose them', async () => {
    const { v, inputs } = await venue({ instruments: [CALL, PERP] });
    const { bid } = best(inputs, CALL);
    const perpBid = best(inputs, PERP).bid;
    const commands: VenueCommand[] = [
      {
        kind: 'place',
        clientOrderId: 'a',
        instrument: CALL,
        side: 'buy',
        amount: 1,
        type: 'limit',
        price: bid - 0.001,
      },
      {
        kind: 'place',
        clientOrderId: 'b',
        instrument: CALL,
        side: 'buy',
        amount: 1,
        type: 'limit',
        price: bid - 0.002,
      },
      {
        kind: 'place',
        clientOrderId: 'c',
        instrument: PERP,
        side: 'buy',
        amount: 50,
        type: 'limit',
        price: perpBid - 20,
      },
    ];
    for (const c of commands) v.send(c);
    expect(replay(market(inputs), CALL).bids.get(bid - 0.001)).toBe(1);
    const before = inputs.length;
    v.send({ kind: 'cancel_all', reason: 'test' });
    const cancelled = orders(inputs.slice(before));
    expect(cancelled.map((o) => [o.clientOrderId, o.state])).toEqual([
      ['a', 'cancelled'],
      ['b', 'cancelled'],
      ['c', 'cancelled'],
    ]);
    expect(v.simMarket.exchange.openOrders('us')).toEqual([]);
    expect(replay(market(inputs), CALL).bids.has(bid - 0.001)).toBe(false);
    expect(replay(market(inputs), PERP).bids.has(perpBid - 20)).toBe(false);
  });
});

describe('SimVenue quoting and pacing', () => {
  it('mass quotes rest under an MMP group with slot ids; an unconfigured group is refused per side', async () => {
    const { v, inputs } = await venue({ instruments: [CALL, PERP] });
    const { bid, ask } = best(inputs, CALL);
    const quote: VenueCommand = {
      kind: 'mass_quote',
      quoteId: 'm1',
      mmpGroup: 'g',
      quotes: [
        {
          instrument: CALL,
          bid: { price: bid + 0.0005, amount: 1 },
          ask: { price: ask - 0.0005, amount: 1 },
        },
      ],
    };
    v.send(quote);
    expect(rejects(inputs).map((r) => [r.clientOrderId, r.message.split(':')[0]])).toEqual([
      [`mq:g:${CALL}:bid`, 'mmp_group_not_configured'],
      [`mq:g:${CALL}:ask`, 'mmp_group_not_configured'],
    ]);
    v.send({ kind: 'set_mmp', index: 'BTC', group: 'g', intervalS: 1, frozenTimeS: 0, quantityLimit: 10 });
    v.send(quote);
    expect(orders(inputs).map((o) => [o.clientOrderId, o.state, o.mmp, o.price])).toEqual([
      [`mq:g:${CALL}:bid`, 'open', true, bid + 0.0005],
      [`mq:g:${CALL}:ask`, 'open', true, ask - 0.0005],
    ]);
    expect(best(inputs, CALL)).toEqual({ bid: bid + 0.0005, ask: ask - 0.0005 });
  });

  it('at a finite speed the clock follows the wall clock x speed, and stop reports the connection down', async () => {
    const inputs: EngineInput[] = [];
    const v = new SimVenue({ seed: 1, speed: 600, chain, instruments: [PERP], pacingMs: 20 });
    await v.start((i) => inputs.push(i));
    const t0 = v.nowMs();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const elapsed = v.nowMs() - t0;
    await v.stop();
    expect(elapsed).toBeGreaterThan(60_000);
    expect(elapsed).toBeLessThan(600 * 2000);
    expect(market(inputs).filter((e) => e.type === 'ticker').length).toBeGreaterThan(30);
    expect(inputs.at(-1)).toMatchObject({ kind: 'connection', state: 'down' });
  });
});

describe('SimVenue determinism and speed', () => {
  async function run(seed: number): Promise<string> {
    const { v, inputs } = await venue({
      seed,
      instruments: [CALL, 'BTC-29MAY20-9000-P', PERP],
      flow: { optionRatePerSide: 0.05 },
    });
    v.stepFor(60_000);
    const { ask } = best(inputs, CALL);
    v.send({
      kind: 'place',
      clientOrderId: 'd1',
      instrument: CALL,
      side: 'buy',
      amount: 1,
      type: 'limit',
      price: ask,
    });
    v.send({
      kind: 'place',
      clientOrderId: 'd2',
      instrument: PERP,
      side: 'sell',
      amount: 200,
      type: 'market',
    });
    v.stepFor(20 * 60_000);
    expect(inputs.length).toBeGreaterThan(1000);
    return hashOf(inputs);
  }

  it('the same seed gives the same inputs; another seed other ones', async () => {
    const a = await run(11);
    expect(await run(11)).toBe(a);
    expect(await run(12)).not.toBe(a);
  });

  it('runs an hour of the whole chain in fast mode within seconds', async () => {
    let count = 0;
    const v = new SimVenue({ seed: 3, speed: 'fast', chain });
    await v.start(() => count++);
    const wall = performance.now();
    const cpu = process.cpuUsage();
    v.stepFor(3_600_000);
    const wallMs = performance.now() - wall;
    const cpuMs = process.cpuUsage(cpu).user / 1000;
    console.log(
      `sim venue: 1 h of 327 instruments, ${count} inputs, ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU`,
    );
    expect(count).toBeGreaterThan(100_000);
    expect(cpuMs).toBeLessThan(15_000);
  }, 60_000);
});

describe('SimVenue expiry', () => {
  it('settles an expiry at 08:00 UTC at the 30-minute average index and closes its books', async () => {
    const option = 'BTC-22MAY20-9250-P';
    const expiryMs = Date.UTC(2020, 4, 22, 8);
    const { v, inputs } = await venue({ instruments: [option, PERP], startMs: expiryMs - 50 * 60_000 });
    const { ask } = best(inputs, option);
    v.send({
      kind: 'place',
      clientOrderId: 'e1',
      instrument: option,
      side: 'buy',
      amount: 1,
      type: 'limit',
      price: ask,
    });
    expect(fills(inputs)).toHaveLength(1);
    // The index sampled every second over the window, by the venue's own market.
    const samples: { t: number; s: number }[] = [];
    while (v.nowMs() < expiryMs - 1000) {
      v.stepFor(1000);
      if (v.nowMs() >= expiryMs - 30 * 60_000 - 1000) samples.push({ t: v.nowMs(), s: v.simMarket.index() });
    }
    v.stepFor(61_000);
    const [settlement] = v.settlements();
    expect(settlement).toMatchObject({
      instrument: option,
      participant: 'us',
      position: 1,
      timestampMs: expiryMs,
    });
    let sum = 0;
    for (let i = 0; i < samples.length; i++) {
      const from = Math.max(samples[i]!.t, expiryMs - 30 * 60_000);
      const to = Math.min(samples[i + 1]?.t ?? expiryMs, expiryMs);
      if (to > from) sum += samples[i]!.s * (to - from);
    }
    expect(settlement!.deliveryPrice).toBeCloseTo(sum / (30 * 60_000), 1);
    expect(settlement!.cash).toBeCloseTo(
      Math.max(9250 - settlement!.deliveryPrice, 0) / settlement!.deliveryPrice,
      12,
    );
    const account = inputs.filter((i) => i.kind === 'account').at(-1);
    expect(account).toMatchObject({ kind: 'account', positions: [], timestampMs: expiryMs });
    expect(v.simMarket.instruments()).toEqual([PERP]);
    v.send({
      kind: 'place',
      clientOrderId: 'e2',
      instrument: option,
      side: 'buy',
      amount: 1,
      type: 'limit',
      price: ask,
    });
    expect(rejects(inputs).at(-1)).toMatchObject({ clientOrderId: 'e2', code: 10012 });
  });
});

describe('SimVenue marks', () => {
  it("follow sticky moneyness: after the index moves, an option's mark iv is its expiry's smile at the new forward", async () => {
    const name = 'BTC-26JUN20-10000-C';
    const { v, inputs } = await venue({ instruments: [name], spotVol: 3, optionTickerMs: 60_000 });
    const first = market(inputs).find((e): e is TickerEvent => e.type === 'ticker' && e.instrument === name)!;
    v.stepFor(30 * 60_000);
    const last = market(inputs)
      .filter((e): e is TickerEvent => e.type === 'ticker' && e.instrument === name)
      .at(-1)!;
    expect(last.timestampMs).toBe(v.nowMs());
    const spot0 = medianOf(lines.map((l) => l.index_price));
    const spot = v.simMarket.index();
    expect(Math.abs(spot / spot0 - 1)).toBeGreaterThan(0.005);
    // The expiry's slice as fitted; its forward from the snapshot's lines of that expiry.
    const expiryMs = Date.UTC(2020, 5, 26, 8);
    const slice = chain.fit.surface.slices.find((s) => s.expiryMs === expiryMs)!;
    const f0 = medianOf(
      lines.filter((l) => l.expiration_timestamp === expiryMs).map((l) => l.underlying_price),
    );
    const forward = (f0 * spot) / spot0;
    const svi = (k: number): number => {
      const { a, b, rho, m, sigma } = slice.svi;
      return a + b * (rho * (k - m) + Math.sqrt((k - m) ** 2 + sigma ** 2));
    };
    const ivAt = (f: number): number => 100 * Math.sqrt(svi(Math.log(10000 / f)) / slice.yearsToExpiry);
    expect(last.underlyingPrice).toBeCloseTo(forward, 1);
    expect(Math.abs(last.markIv! - ivAt(forward))).toBeLessThan(0.006);
    // And it did move along the smile: the iv at the old forward is measurably different.
    expect(Math.abs(ivAt(forward) - ivAt(f0))).toBeGreaterThan(0.05);
    expect(Math.abs(first.markIv! - ivAt(f0))).toBeLessThan(0.006);
  });
});
