/**
 * The engine on the simulated venue (fast mode, driven second by second): it quotes the chain
 * from the tickers, trades, hedges, and its inventory equals the venue's; stopped and started
 * again on the same journal (the venue restored with our positions) it resumes ACTIVE with the
 * same inventory; an option held through its expiry is delivered in the ledger as at the venue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreConfigOf, DEFAULT_RUN_CONFIG } from '../../src/engine/config.js';
import { parseMoney, toNumber } from '../../src/inventory/money.js';
import { drive, openOnSim } from './sim-drive.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { prepareChain, type PreparedChain } from '../../src/venues/sim/market.js';
import { defaultChainFile, SimVenue, US } from '../../src/venues/sim/adapter.js';

let chain: PreparedChain;
let dir: string;
beforeAll(async () => {
  chain = await prepareChain(defaultChainFile());
  dir = mkdtempSync(join(tmpdir(), 'ballast-sim-engine-'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CORE = coreConfigOf(DEFAULT_RUN_CONFIG, 'sim');

function venuePositions(venue: SimVenue): Map<string, number> {
  const ex = venue.simMarket.exchange;
  const out = new Map<string, number>();
  for (const name of venue.simMarket.instruments()) {
    const p = ex.position(US, name);
    if (p !== 0) out.set(name, p);
  }
  return out;
}

describe('the engine on the simulated venue', () => {
  it('quotes, trades and hedges; its inventory equals the venue; a restart resumes it', async () => {
    const path = join(dir, 'run.sqlite');
    const journal = SqliteJournal.open(path);
    const venue = new SimVenue({ seed: 3, speed: 'fast', chain });
    const engine = openOnSim(CORE, journal, venue, 'a');
    await engine.start();
    drive(engine, venue, 1800);
    const state = engine.state();
    expect(state.trading_state).toBe('ACTIVE');
    expect(engine.core.orders.count).toBeGreaterThan(50);
    // Quotes that would cross the book are held back, not sent to be refused post-only (before
    // that check: 318-478 refused edits in 30 minutes on seeds 1-3).
    expect(journal.count({ types: ['input.reject'] })).toBeLessThanOrEqual(5);
    expect(state.positions.length).toBeGreaterThan(0);
    const ours = new Map(state.positions.map((p) => [p.instrument, p.amount]));
    const theirs = venuePositions(venue);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [name, amount] of ours) expect(amount).toBeCloseTo(theirs.get(name) as number, 9);
    // The dashboard's breakdown: a stress grid with no move at its centre, smiles with a fitted
    // curve, a term structure, P&L explained over the last minute, and an instrument's page.
    const d = engine.details();
    expect(d.stress?.pnl_usd).toHaveLength(5);
    expect(d.stress?.pnl_usd[2]?.[4]).toBe(0);
    expect(d.smiles.length).toBeGreaterThan(2);
    expect(d.smiles.every((x) => x.points.length > 0)).toBe(true);
    expect(d.smiles.some((x) => x.fit.length > 0)).toBe(true);
    // Market bid and ask vols around the mark (the venue's bid_iv / ask_iv), as on Deribit.
    const quoted = d.smiles.flatMap((x) => x.points).filter((p) => p.bid_iv !== null && p.ask_iv !== null);
    expect(quoted.length).toBeGreaterThan(20);
    expect(quoted.every((p) => (p.bid_iv as number) <= (p.ask_iv as number))).toBe(true);
    expect(d.term.length).toBeGreaterThan(0);
    const a = d.attribution;
    expect(a).not.toBeNull();
    expect(a!.delta_usd + a!.gamma_usd + a!.vega_usd + a!.theta_usd + a!.unexplained_usd).toBeCloseTo(
      a!.total_usd,
      6,
    );
    const perp = engine.instrument('BTC-PERPETUAL');
    expect(perp?.bids.length).toBeGreaterThan(0);
    expect(perp!.bids[0]![0]).toBeLessThan(perp!.asks[0]![0]);
    expect(engine.instrument('NOPE')).toBeNull();
    const endMs = venue.nowMs();
    await engine.stop();
    journal.close();

    // Again on the same journal: the venue restored with our positions, its clock where we stopped.
    const journal2 = SqliteJournal.open(path);
    const venue2 = new SimVenue({
      seed: 4,
      speed: 'fast',
      chain,
      startMs: endMs,
      positions: state.positions,
    });
    const engine2 = openOnSim(CORE, journal2, venue2, 'b');
    expect(engine2.state().positions).toEqual(state.positions);
    await engine2.start();
    drive(engine2, venue2, 60);
    expect(engine2.state().trading_state).toBe('ACTIVE');
    expect(engine2.state().alerts.filter((a) => a.kind === 'mismatch')).toEqual([]);
    // Order ids continue after the first run's.
    expect(engine2.core.orders.count).toBeGreaterThan(engine.core.orders.count);
    await engine2.stop();
    journal2.close();
  }, 240_000);

  it('an option held through its expiry is delivered in the ledger as at the venue: no mismatch', async () => {
    const path = join(dir, 'expiry.sqlite');
    const journal = SqliteJournal.open(path);
    const option = 'BTC-22MAY20-9000-C';
    const start = Date.parse('2020-05-22T07:58:00Z');
    // The engine already holds 2 contracts (journaled before this run), the venue likewise.
    journal.append([
      {
        venue: 'sim',
        id: 'seed-fill-1',
        timestampMs: start - 60_000,
        sequence: 0,
        type: 'fill',
        instrument: option,
        body: JSON.stringify({
          type: 'fill',
          venue: 'sim',
          id: 'seed-fill-1',
          timestampMs: start - 60_000,
          sequence: 0,
          instrument: option,
          side: 'buy',
          amount: '2',
          price: '0.01',
          fee: '0',
          feeCurrency: 'BTC',
          liquidity: 'taker',
          orderId: 'seed',
        }),
      },
    ]);
    const venue = new SimVenue({
      seed: 5,
      speed: 'fast',
      chain,
      startMs: start,
      positions: [{ instrument: option, amount: 2 }],
    });
    const engine = openOnSim({ ...CORE, quoting: undefined, hedging: undefined }, journal, venue, 'e');
    expect(engine.state().positions).toEqual([{ instrument: option, amount: 2 }]);
    await engine.start();
    drive(engine, venue, 300);
    expect(venue.nowMs()).toBeGreaterThan(Date.parse('2020-05-22T08:00:00Z'));
    expect(engine.state().positions).toEqual([]);
    expect(engine.state().trading_state).toBe('ACTIVE');
    expect(journal.count({ types: ['delivery'] })).toBe(1);
    // The ledger's cash took the option's payoff: max(S - K, 0) / S per contract at the venue's delivery price.
    const delivery = [...journal.replay({ types: ['delivery'] })][0];
    const price = Number(JSON.parse(delivery?.body ?? '{}').deliveryPrice);
    expect(price).toBeGreaterThan(0);
    const fee = Number(JSON.parse(delivery?.body ?? '{}').fee);
    const payoff = (2 * Math.max(price - 9000, 0)) / price;
    // Bought at 0.01 (0.02 BTC paid); the payoff in coin at the delivery price, less the venue's delivery fee.
    const cash = toNumber(engine.core.ledger.cash().BTC ?? parseMoney('0'));
    expect(cash).toBeCloseTo(-0.02 + payoff - fee, 8);
    await engine.stop();
    journal.close();
  }, 120_000);
});
