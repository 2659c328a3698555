/**
 * The order book benchmark (issue 5): book changes applied per second, already parsed (target
 * 2,000,000/s on the 2-core machine), and end to end from Deribit WebSocket notification lines
 * (JSON text -> `parseDeribitNotification` -> `OrderBook`), beside the cost of `JSON.parse` of the
 * same lines alone. Synthetic changes shaped like a BTC-PERPETUAL `book.100ms` feed: a mid that
 * wanders, most changes within 20 ticks of the touch, a new level or a deletion one time in four.
 */
import { mulberry32 } from '../scripts/generate-fills.js';
import { OrderBook } from '../src/market/book.js';
import type { BookChangeEvent, BookSnapshotEvent, LevelChange } from '../src/market/events.js';
import { parseDeribitNotification } from '../src/market/recorded/deribit-jsonl.js';

const TICK = 0.5;
const INSTRUMENT = 'BTC-PERPETUAL';

/** A snapshot and `count` consistent changes, with the venue's actions. */
export function syntheticBookFeed(
  count: number,
  seed = 7,
): { snapshot: BookSnapshotEvent; changes: BookChangeEvent[] } {
  const random = mulberry32(seed);
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  let midTicks = 200_000; // 100,000 USD
  for (let i = 1; i <= 400; i++) {
    bids.set(midTicks - i, 10 * (1 + Math.floor(random() * 500)));
    asks.set(midTicks + i, 10 * (1 + Math.floor(random() * 500)));
  }
  const snapshot: BookSnapshotEvent = {
    type: 'book_snapshot',
    venue: 'deribit',
    instrument: INSTRUMENT,
    timestampMs: 1_767_225_600_000,
    changeId: 1,
    full: true,
    bids: [...bids].sort((a, b) => b[0] - a[0]).map(([t, amount]) => ({ price: t * TICK, amount })),
    asks: [...asks].sort((a, b) => a[0] - b[0]).map(([t, amount]) => ({ price: t * TICK, amount })),
  };
  // The best tick of each side, recomputed only after the best level is deleted.
  const bestTick = new Map<Map<number, number>, number>();
  const bestOf = (side: Map<number, number>, isBid: boolean): number => {
    let known = bestTick.get(side);
    if (known === undefined) {
      known = isBid ? Math.max(...side.keys()) : Math.min(...side.keys());
      bestTick.set(side, known);
    }
    return known;
  };
  const changes: BookChangeEvent[] = [];
  for (let n = 0; n < count; n++) {
    if (random() < 0.02) midTicks += random() < 0.5 ? -1 : 1;
    const bidChanges: LevelChange[] = [];
    const askChanges: LevelChange[] = [];
    const levels = 1 + Math.floor(random() * 3);
    for (let k = 0; k < levels; k++) {
      const isBid = random() < 0.5;
      const side = isBid ? bids : asks;
      const other = isBid ? asks : bids;
      const distance = 1 + Math.floor(-Math.log(1 - random()) * 6);
      const tick = isBid ? midTicks - distance : midTicks + distance;
      // Never cross: a bid below the best ask, an ask above the best bid.
      if (isBid ? tick >= bestOf(other, false) : tick <= bestOf(other, true)) continue;
      const list = isBid ? bidChanges : askChanges;
      if (list.some((c) => c.price === tick * TICK)) continue;
      const exists = side.has(tick);
      if (exists && random() < 0.25 && side.size > 50) {
        side.delete(tick);
        if (tick === bestTick.get(side)) bestTick.delete(side);
        list.push({ action: 'delete', price: tick * TICK, amount: 0 });
      } else {
        const amount = 10 * (1 + Math.floor(random() * 500));
        side.set(tick, amount);
        const known = bestTick.get(side);
        if (known !== undefined && (isBid ? tick > known : tick < known)) bestTick.set(side, tick);
        list.push({ action: exists ? 'change' : 'new', price: tick * TICK, amount });
      }
    }
    changes.push({
      type: 'book_change',
      venue: 'deribit',
      instrument: INSTRUMENT,
      timestampMs: snapshot.timestampMs + n,
      changeId: n + 2,
      prevChangeId: n + 1,
      bids: bidChanges,
      asks: askChanges,
    });
  }
  return { snapshot, changes };
}

/** A change as the venue's notification line. */
function notificationLine(event: BookChangeEvent | BookSnapshotEvent): string {
  const levels = (xs: readonly { price: number; amount: number; action?: string }[]): unknown[] =>
    xs.map((x) => [x.action ?? 'new', x.price, x.amount]);
  const data: Record<string, unknown> = {
    type: event.type === 'book_snapshot' ? 'snapshot' : 'change',
    timestamp: event.timestampMs,
    instrument_name: event.instrument,
    change_id: event.changeId,
    bids: levels(event.bids),
    asks: levels(event.asks),
  };
  if (event.type === 'book_change') data.prev_change_id = event.prevChangeId;
  return JSON.stringify({
    jsonrpc: '2.0',
    method: 'subscription',
    params: { channel: `book.${INSTRUMENT}.100ms`, data },
  });
}

/** The figures of one run. */
export interface BookFigures {
  events: number;
  levelChanges: number;
  /** Level changes applied per second, events already parsed. */
  levelChangesPerSecond: number;
  eventsPerSecond: number;
  /** Notification lines parsed and applied per second. */
  linesPerSecond: number;
  /** `JSON.parse` alone of the same lines, per second. */
  jsonParsePerSecond: number;
}

function best(run: () => number, repeats: number): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

export function bookBenchmark(count = 500_000): BookFigures {
  const { snapshot, changes } = syntheticBookFeed(count);
  const levelChanges = changes.reduce((sum, c) => sum + c.bids.length + c.asks.length, 0);
  const applyAll = (): number => {
    const book = new OrderBook(INSTRUMENT);
    book.applySnapshot(snapshot);
    for (const change of changes) book.applyChange(change);
    if (book.status !== 'live') throw new Error(`book went stale: ${JSON.stringify(book.staleReason)}`);
    return book.bidLevels();
  };
  const applyMs = best(applyAll, 5);

  const lines = [notificationLine(snapshot), ...changes.map(notificationLine)];
  const endToEnd = (): number => {
    const book = new OrderBook(INSTRUMENT);
    for (let i = 0; i < lines.length; i++) {
      for (const event of parseDeribitNotification(lines[i] as string, i + 1)) {
        if (event.type === 'book_snapshot') book.applySnapshot(event);
        else if (event.type === 'book_change') book.applyChange(event);
      }
    }
    if (book.status !== 'live') throw new Error(`book went stale: ${JSON.stringify(book.staleReason)}`);
    return book.askLevels();
  };
  const endMs = best(endToEnd, 3);
  const parseMs = best(() => {
    let n = 0;
    for (const line of lines) n += (JSON.parse(line) as { jsonrpc: string }).jsonrpc.length;
    return n;
  }, 3);
  return {
    events: changes.length,
    levelChanges,
    levelChangesPerSecond: levelChanges / (applyMs / 1000),
    eventsPerSecond: changes.length / (applyMs / 1000),
    linesPerSecond: lines.length / (endMs / 1000),
    jsonParsePerSecond: lines.length / (parseMs / 1000),
  };
}
