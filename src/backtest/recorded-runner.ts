/**
 * A backtest on recorded market data: the scenario's instrument's book and trades replayed from
 * a Deribit notification file or a Tardis CSV file, the quoter's orders resting in the recorded
 * queues through a queue-position model (`src/sim/queue.ts`), filled by the recorded trades.
 *
 * The loop, in the recorded events' time order: book messages update the book (and, at our
 * prices, the amount queued with us); a trade advances or fills our order at its price (a trade
 * through our price fills it whole); every `step_ms` the quoter reads the mid and its inventory
 * and replaces its quotes, which reach the market after the outbound latency, joining the back
 * of their level (post-only: a quote that would cross the recorded book is not placed). The run
 * covers `duration_s` from the first event, or the file's span if shorter. Our orders do not
 * move the recorded market (the usual assumption of a replay: small orders, no impact).
 */
import { dirname, isAbsolute, join } from 'node:path';
import { OrderBook } from '../market/book.js';
import type { MarketEvent } from '../market/events.js';
import { mid } from '../market/metrics.js';
import { readDeribitJsonl } from '../market/recorded/deribit-jsonl.js';
import { formatOfRecordedFile } from '../market/recorded/inspect.js';
import { readTardisCsv } from '../market/recorded/tardis.js';
import { InputError } from '../model/errors.js';
import { MS_PER_YEAR } from '../model/time.js';
import { probabilisticQueue, riskAverseQueue, type QueuePosition } from '../sim/queue.js';
import { DERIBIT_FEES } from '../sim/exchange/types.js';
import { Rng } from '../sim/random.js';
import { buildReport, MakerAccount, type BacktestReport } from './account.js';
import { latencyOf, Quoter } from './quoter.js';
import type { RecordedMarket, Scenario } from './scenario.js';

/** Reads the instrument's events of a recorded file (relative paths from `baseDir`). */
export async function loadRecordedEvents(
  market: RecordedMarket,
  instrument: string,
  baseDir: string,
): Promise<MarketEvent[]> {
  const path = isAbsolute(market.file) ? market.file : join(baseDir, market.file);
  const format = market.format ?? formatOfRecordedFile(path);
  if (format === undefined)
    throw new InputError(
      'market.file',
      market.file,
      'a .jsonl[.gz] or .csv[.gz] file, or give market.format',
    );
  const events: MarketEvent[] = [];
  const source = format === 'tardis-csv' ? readTardisCsv(path) : readDeribitJsonl(path);
  for await (const event of source) if (event.instrument === instrument) events.push(event);
  if (events.length === 0) throw new InputError('market.file', market.file, `events of ${instrument}`);
  return events;
}

/** Runs `scenario` (a recorded market) on `events` (its instrument's, in file order) with `seed`. */
export function runRecordedBacktest(
  scenario: Scenario,
  events: readonly MarketEvent[],
  seed = scenario.seed,
): BacktestReport {
  const market = scenario.market;
  if (market.model !== 'recorded') throw new InputError('market.model', market.model, 'recorded');
  if (events.length === 0) throw new InputError('events', 0, 'at least one event');
  if (scenario.sessionS !== scenario.durationS)
    throw new InputError(
      'session_s',
      scenario.sessionS,
      `the run's length (${scenario.durationS} s) for recorded data`,
    );
  const rng = new Rng(seed);
  const latency = latencyOf(scenario, rng);
  const queueModel = market.queue === 'probabilistic' ? probabilisticQueue() : riskAverseQueue;
  const startMs = Math.ceil((events[0] as MarketEvent).timestampMs / scenario.stepMs) * scenario.stepMs;
  const lastMs = (events[events.length - 1] as MarketEvent).timestampMs;
  const steps = Math.max(
    0,
    Math.min(
      Math.floor((scenario.durationS * 1000) / scenario.stepMs),
      Math.floor((lastMs - startMs) / scenario.stepMs),
    ),
  );
  const st = scenario.strategy;
  const horizonS = (steps * scenario.stepMs) / 1000;

  // Maker fee as a share of the notional, paid in coin: USD amount x share / price.
  const makerFee =
    scenario.fees?.maker ??
    (scenario.instrument.endsWith('-PERPETUAL') ? DERIBIT_FEES.perpetual.maker : DERIBIT_FEES.future.maker);
  const book = new OrderBook(scenario.instrument);
  const account = new MakerAccount();
  let quoted = 0;
  let trades = 0;
  const live: QueuePosition[] = [];
  let next = 0;
  const apply = (event: MarketEvent): void => {
    if (event.type === 'book_snapshot') book.applySnapshot(event);
    else if (event.type === 'book_change') book.applyChange(event);
    else if (event.type === 'trade') {
      trades += 1;
      for (const q of live) {
        if (q.remaining <= 0) continue;
        const filled = q.onTrade(event.price, event.amount, event.side);
        if (filled > 0)
          account.fill(
            q.order.side,
            q.order.price,
            filled,
            (makerFee * filled) / q.order.price,
            event.timestampMs,
          );
      }
      return;
    } else return;
    for (const q of live) if (q.remaining > 0) q.onLevel(book.amountAt(q.order.side, q.order.price));
  };
  const replayUntil = (t: number): void => {
    while (next < events.length && (events[next] as MarketEvent).timestampMs <= t)
      apply(events[next++] as MarketEvent);
  };

  // The quoter's sigma in USD per sqrt(second) at the first mid.
  replayUntil(startMs);
  const firstMid = midOf(book);
  if (firstMid === undefined)
    throw new InputError('market.file', market.file, `a two-sided ${scenario.instrument} book at the start`);
  const sigmaUsd = (market.sigma * firstMid) / Math.sqrt(MS_PER_YEAR / 1000);
  const quoter = new Quoter(st, sigmaUsd, horizonS, steps, scenario.stepMs);
  const quoteSize = quoter.quoteSize;

  const requote = (step: number, mid: number): void => {
    live.length = 0;
    if (book.status !== 'live') return;
    const quotes = quoter.quotes(step, mid, account.position);
    const bestBid = book.bidPrice(0);
    const bestAsk = book.askPrice(0);
    // Post-only: a quote that would cross the recorded book is not placed.
    if (quotes.quoteBid && (bestAsk === undefined || quotes.bid < bestAsk)) {
      live.push(
        queueModel.join(
          { side: 'buy', price: quotes.bid, size: quoteSize },
          book.amountAt('buy', quotes.bid),
        ),
      );
      quoted += quoteSize;
    }
    if (quotes.quoteAsk && (bestBid === undefined || quotes.ask > bestBid)) {
      live.push(
        queueModel.join(
          { side: 'sell', price: quotes.ask, size: quoteSize },
          book.amountAt('sell', quotes.ask),
        ),
      );
      quoted += quoteSize;
    }
  };

  const times: number[] = [];
  const mids: number[] = [];
  const inventory: number[] = [];
  const pnlUsd: number[] = [];
  let lastMid = firstMid;
  const pending: { atMs: number; step: number; mid: number }[] = [];
  for (let step = 0; step <= steps; step++) {
    const t = startMs + step * scenario.stepMs;
    while (pending.length > 0 && (pending[0] as { atMs: number }).atMs <= t) {
      const p = pending.shift() as { atMs: number; step: number; mid: number };
      replayUntil(p.atMs);
      requote(p.step, p.mid);
    }
    replayUntil(t);
    lastMid = midOf(book) ?? lastMid;
    times.push(t);
    mids.push(lastMid);
    inventory.push(account.position);
    pnlUsd.push(account.markCoin(lastMid) * lastMid);
    if (step < steps) pending.push({ atMs: t + latency.outbound(), step, mid: lastMid });
  }
  return buildReport({
    scenario,
    seed,
    steps,
    takerOrders: trades,
    account,
    quoted,
    referencePrice: firstMid,
    times,
    mids,
    inventory,
    pnlUsd,
  });
}

/** The mid of a live book (none while it is stale or one-sided). */
function midOf(book: OrderBook): number | undefined {
  return book.status === 'live' ? mid(book) : undefined;
}

/** The scenario file's directory, for a recorded market's relative `file`. */
export function scenarioDir(scenarioPath: string): string {
  return dirname(scenarioPath);
}
