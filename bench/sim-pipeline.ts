/**
 * The backtest pipeline benchmark (issue 7): recorded-book events per second through the order
 * book, an Avellaneda-Stoikov quoter on one instrument and the simulated exchange's matching
 * (target 500,000/s on the 2-core machine), beside the cost of only reading the same events.
 *
 * The events are the synthetic BTC-PERPETUAL `book` changes of `market-book.ts` (already parsed,
 * as a replay holds them). Per event: apply it to the book; the quoter reads the mid and its
 * inventory and, when its rounded bid or ask moved, edits its resting quote on the exchange;
 * every 20th event a taker IOC order for one lot trades at the book's touch against the quotes.
 */
import { OrderBook } from '../src/market/book.js';
import { Exchange } from '../src/sim/exchange/exchange.js';
import { inventoryQuotes } from '../src/strategy/avellaneda-stoikov.js';
import { syntheticBookFeed } from './market-book.js';

export interface PipelineFigures {
  events: number;
  /** Events through book + quoter + matching, per second (fastest run). */
  eventsPerSecond: number;
  /** Only iterating the same events, per second. */
  readOnlyPerSecond: number;
  /** Quote edits and taker orders sent to the exchange in one run. */
  edits: number;
  takerOrders: number;
  fills: number;
}

export function pipelineBenchmark(count = 300_000, runs = 3): PipelineFigures {
  const { snapshot, changes } = syntheticBookFeed(count, 11);
  let best = Number.POSITIVE_INFINITY;
  let edits = 0;
  let takerOrders = 0;
  let fills = 0;
  for (let run = 0; run < runs; run++) {
    const book = new OrderBook('BTC-PERPETUAL');
    book.applySnapshot(snapshot);
    const exchange = new Exchange();
    let bidId: string | null = null;
    let askId: string | null = null;
    let lastBid = 0;
    let lastAsk = 0;
    let position = 0;
    edits = 0;
    takerOrders = 0;
    fills = 0;
    /** Cancels the resting quote of a side and posts one at `price`; the new quote's id (null if it did not rest). */
    const replace = (id: string | null, side: 'buy' | 'sell', price: number, at: number): string | null => {
      if (id !== null) exchange.cancel(id, 'mm', at);
      const r = exchange.submit(
        { participant: 'mm', instrument: 'BTC-PERPETUAL', side, amount: 100, price, postOnly: true },
        at,
      );
      edits += 1;
      return r.order.state === 'open' ? r.order.orderId : null;
    };
    const t0 = snapshot.timestampMs;
    const start = performance.now();
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i]!;
      book.applyChange(change);
      const bidTop = book.bidPrice(0);
      const askTop = book.askPrice(0);
      if (bidTop === undefined || askTop === undefined) continue;
      const mid = (bidTop + askTop) / 2;
      const q = inventoryQuotes({
        mid,
        inventory: position / 100,
        gamma: 0.001,
        sigma: 2,
        k: 0.5,
        timeLeft: 1,
      });
      const bid = Math.floor(q.bid * 2) / 2;
      const ask = Math.ceil(q.ask * 2) / 2;
      const at = t0 + i;
      if (bid !== lastBid) {
        bidId = replace(bidId, 'buy', bid, at);
        lastBid = bid;
      }
      if (ask !== lastAsk) {
        askId = replace(askId, 'sell', ask, at);
        lastAsk = ask;
      }
      if (i % 20 === 0) {
        const side = (i / 20) % 2 === 0 ? 'buy' : 'sell';
        const r = exchange.submit(
          {
            participant: 'taker',
            instrument: 'BTC-PERPETUAL',
            side,
            amount: 10,
            price: side === 'buy' ? ask : bid,
            timeInForce: 'immediate_or_cancel',
          },
          at,
        );
        takerOrders += 1;
        for (const f of r.fills) {
          fills += 1;
          position += f.takerSide === 'sell' ? f.amount : -f.amount;
        }
        if (side === 'buy' && r.fills.length > 0 && exchange.getOrder(askId ?? '')?.state === 'filled')
          askId = null;
        if (side === 'sell' && r.fills.length > 0 && exchange.getOrder(bidId ?? '')?.state === 'filled')
          bidId = null;
      }
    }
    best = Math.min(best, performance.now() - start);
    if (book.status !== 'live') throw new Error('the book went stale');
  }
  let readBest = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    let levels = 0;
    for (const change of changes) levels += change.bids.length + change.asks.length;
    readBest = Math.min(readBest, performance.now() - start);
    if (levels === 0) throw new Error('no levels');
  }
  return {
    events: changes.length,
    eventsPerSecond: changes.length / (best / 1000),
    readOnlyPerSecond: changes.length / (readBest / 1000),
    edits,
    takerOrders,
    fills,
  };
}
