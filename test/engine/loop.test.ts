/**
 * The engine's loop on a scripted venue and a real SQLite journal: inputs are journaled before
 * they apply, a fill notified twice counts once, the kill switch halts and cancels through the
 * kill path (again when repeated), a lost connection cancels everything and quoting waits for
 * the venue's view, a position changed behind the engine's back halts it with a report, and a
 * restart resumes the same inventory and a halt a person must lift.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoreConfig } from '../../src/engine/core.js';
import { COMMAND_TYPE, Engine } from '../../src/engine/loop.js';
import type { EngineInput, VenueAdapter, VenueCommand } from '../../src/engine/types.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { fill } from '../inventory/helpers.js';

class ScriptVenue implements VenueAdapter {
  readonly venue = 'deribit';
  sink: ((input: EngineInput) => void) | undefined;
  readonly sent: VenueCommand[] = [];
  async start(sink: (input: EngineInput) => void): Promise<void> {
    this.sink = sink;
  }
  send(command: VenueCommand): void {
    this.sent.push(command);
  }
  async stop(): Promise<void> {}
}

const CONFIG: CoreConfig = {
  venue: 'deribit',
  currency: 'BTC',
  orderPrefix: 'bl',
  orderTimeoutMs: 5_000,
  killSwitch: { staleAfterMs: 60_000 },
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ballast-loop-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function open(
  path: string,
  venue = new ScriptVenue(),
): { engine: Engine; venue: ScriptVenue; journal: SqliteJournal } {
  const journal = SqliteJournal.open(path);
  let t = 1_000_000;
  const engine = Engine.open({ core: CONFIG, journal, venue, timerMs: 0, clock: () => (t += 1), runId: 'r' });
  return { engine, venue, journal };
}

describe('the engine loop', () => {
  it('journals every input before it applies; a fill notified twice counts once', async () => {
    const { engine, journal } = open(join(dir, 'j.sqlite'));
    const f = fill('BTC-PERPETUAL', 'buy', 100, 50_000, 1_000, {
      venue: 'deribit',
      id: 'T-1',
      orderId: 'V9',
    });
    engine.push({ kind: 'connection', venue: 'deribit', timestampMs: 900, state: 'up', reason: 'start' });
    engine.push({ kind: 'fill', event: f });
    engine.push({ kind: 'fill', event: { ...f } });
    engine.flush();
    engine.push({ kind: 'fill', event: { ...f } }); // again, in a later batch
    engine.flush();
    expect(engine.state().positions).toEqual([{ instrument: 'BTC-PERPETUAL', amount: 100 }]);
    expect(engine.stats.duplicates).toBe(2);
    expect(journal.count({ types: ['fill'] })).toBe(1);
    expect(journal.count({ types: ['input.connection'] })).toBe(1);
    // The connection's `up` asked the venue for its view, and the command was journaled.
    expect(journal.count({ types: [COMMAND_TYPE] })).toBe(1);
    journal.close();
  });

  it('an input with a fractional millisecond (Tardis microseconds) is journaled at the whole ms, its body exact', () => {
    const { engine, journal } = open(join(dir, 'j.sqlite'));
    const event = {
      type: 'ticker',
      venue: 'deribit',
      instrument: 'BTC-PERPETUAL',
      timestampMs: 1_000.25,
      indexPrice: 9000,
    } as const;
    engine.push({ kind: 'market', event });
    engine.flush();
    const [r] = [...journal.replay({ types: ['input.market'] })];
    expect(r?.timestampMs).toBe(1_000);
    expect(JSON.parse(r?.body ?? '{}').event.timestampMs).toBe(1_000.25);
    journal.close();
  });

  it('kill: HALTED, everything cancelled through the kill path, and again when repeated', async () => {
    const { engine, venue, journal } = open(join(dir, 'j.sqlite'));
    await engine.start();
    const first = await engine.command({ type: 'kill' });
    const second = await engine.command({ type: 'kill' });
    engine.flush();
    expect(first).toMatchObject({ accepted: true, trading_state: 'HALTED' });
    expect(second).toMatchObject({ accepted: true, trading_state: 'HALTED' });
    expect(venue.sent.filter((c) => c.kind === 'cancel_all' && c.killPath === true)).toHaveLength(2);
    const resumed = await engine.command({ type: 'resume' });
    expect(resumed.trading_state).toBe('ACTIVE');
    expect(journal.count({ types: ['trading_state'] })).toBe(2);
    await engine.stop();
    journal.close();
  });

  it('a lost connection cancels through the kill path; reconnecting asks for the venue view from the last fill', () => {
    const { engine, venue, journal } = open(join(dir, 'j.sqlite'));
    engine.push({ kind: 'connection', venue: 'deribit', timestampMs: 900, state: 'up', reason: 'start' });
    engine.push({
      kind: 'fill',
      event: fill('BTC-PERPETUAL', 'buy', 100, 50_000, 1_000, { id: 'T-7', orderId: 'V1' }),
    });
    engine.push({
      kind: 'connection',
      venue: 'deribit',
      timestampMs: 2_000,
      state: 'in_doubt',
      reason: 'heartbeat missed',
    });
    engine.push({
      kind: 'connection',
      venue: 'deribit',
      timestampMs: 3_000,
      state: 'up',
      reason: 'reconnected',
    });
    engine.flush();
    expect(venue.sent.map((c) => c.kind)).toEqual(['reconcile', 'cancel_all', 'reconcile']);
    expect(venue.sent[1]).toMatchObject({ killPath: true });
    expect(venue.sent[2]).toEqual({ kind: 'reconcile', afterTradeId: 'T-7' });
    journal.close();
  });

  it('the kill switch drawdown halts the book: 200 USD below the equity peak against a 100 USD limit', () => {
    const journal = SqliteJournal.open(join(dir, 'dd.sqlite'));
    const engine = Engine.open({
      core: { ...CONFIG, killSwitch: { staleAfterMs: 60_000, drawdown: { haltedUsd: 100 } } },
      journal,
      venue: new ScriptVenue(),
      timerMs: 0,
      runId: 'dd',
    });
    const ticker = (t: number, price: number) =>
      engine.push({
        kind: 'market',
        event: {
          type: 'ticker',
          venue: 'deribit',
          instrument: 'BTC-PERPETUAL',
          timestampMs: t,
          markPrice: price,
          indexPrice: price,
        },
      });
    engine.push({
      kind: 'fill',
      event: fill('BTC-PERPETUAL', 'buy', 1000, 50_000, 1_000, { id: 'T-dd', orderId: 'V1' }),
    });
    ticker(1_100, 50_000);
    engine.push({ kind: 'timer', timestampMs: 1_200 });
    engine.flush();
    expect(engine.state().trading_state).toBe('ACTIVE');
    // Long 1,000 USD from 50,000; at 40,000 it is worth 1,000 (1/50,000 - 1/40,000) 40,000 = -200 USD.
    ticker(2_000, 40_000);
    engine.push({ kind: 'timer', timestampMs: 2_100 });
    engine.flush();
    expect(engine.state().pnl.usd).toBeCloseTo(-200, 9);
    expect(engine.state().trading_state).toBe('HALTED');
    expect(engine.state().trading_reasons.join(' ')).toMatch(/drawdown 200\.00 USD/);
    journal.close();
  });

  it('a position changed behind its back halts the book with a report', () => {
    const { engine, journal } = open(join(dir, 'j.sqlite'));
    engine.push({ kind: 'connection', venue: 'deribit', timestampMs: 900, state: 'up', reason: 'start' });
    engine.push({
      kind: 'fill',
      event: fill('BTC-PERPETUAL', 'buy', 100, 50_000, 1_000, { id: 'T-1', orderId: 'V1' }),
    });
    engine.push({
      kind: 'account',
      venue: 'deribit',
      timestampMs: 2_000,
      positions: [{ instrument: 'BTC-PERPETUAL', amount: 300 }],
      openOrders: [],
      lastTradeId: 'T-9',
    });
    engine.flush();
    const state = engine.state();
    expect(state.trading_state).toBe('HALTED');
    expect(state.trading_reasons.join(' ')).toMatch(/BTC-PERPETUAL: ours 100, venue 300/);
    expect(state.alerts.some((a) => a.kind === 'mismatch')).toBe(true);
    journal.close();
  });

  it('restarts with the same inventory, its order ids continued, and a kill still in force', async () => {
    const path = join(dir, 'j.sqlite');
    const a = open(path);
    a.engine.push({ kind: 'connection', venue: 'deribit', timestampMs: 900, state: 'up', reason: 'start' });
    for (let i = 0; i < 30; i++) {
      a.engine.push({
        kind: 'fill',
        event: fill('BTC-PERPETUAL', i % 3 === 0 ? 'sell' : 'buy', 10 * (i + 1), 50_000 + i, 1_000 + i, {
          id: `T-${i}`,
          orderId: 'V1',
        }),
      });
    }
    a.engine.flush();
    await a.engine.command({ type: 'kill', reason: 'test' });
    const before = a.engine.state().positions;
    a.journal.close(); // no stop: as if killed
    const b = open(path);
    expect(b.engine.state().positions).toEqual(before);
    expect(b.engine.state().trading_state).toBe('HALTED');
    await b.engine.start();
    expect(b.venue.sent.some((c) => c.kind === 'cancel_all')).toBe(true);
    const resumed = await b.engine.command({ type: 'resume' });
    expect(resumed.trading_state).toBe('ACTIVE');
    await b.engine.stop();
    b.journal.close();
  });
});
