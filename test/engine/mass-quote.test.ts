/**
 * The engine quoting with mass quotes (`quoting.send: mass_quote`) on the simulated venue: the
 * group's MMP config goes out first, every resting quote is an MMP order of the group, one per
 * side per instrument, and the order manager's slots are the venue's quotes; requotes edit the
 * quotes in place; an MMP trigger stops quoting for the cool-down, then a reset and quotes again;
 * a restart on the same journal goes on quoting with no mismatch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreConfigOf, validateRunConfig } from '../../src/engine/config.js';
import { COMMAND_TYPE, Engine } from '../../src/engine/loop.js';
import { quoteSlotId } from '../../src/engine/order-manager.js';
import type { VenueCommand } from '../../src/engine/types.js';
import { INPUT_TYPE_PREFIX } from '../../src/engine/inputs.js';
import { drive, openOnSim } from './sim-drive.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { prepareChain, type PreparedChain } from '../../src/venues/sim/market.js';
import { defaultChainFile, SimVenue, US } from '../../src/venues/sim/adapter.js';

let chain: PreparedChain;
let dir: string;
beforeAll(async () => {
  chain = await prepareChain(defaultChainFile());
  dir = mkdtempSync(join(tmpdir(), 'ballast-mass-quote-'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GROUP = 'bl-test';

function coreWith(mmp: Record<string, number>, coolDownMs = 5_000) {
  return coreConfigOf(
    validateRunConfig({
      quoting: {
        send: 'mass_quote',
        mass_quote: { group: GROUP, max_per_request: 10, mmp, cool_down_ms: coolDownMs },
      },
    }),
    'sim',
  );
}

function commands(journal: SqliteJournal): { atMs: number; command: VenueCommand }[] {
  return [...journal.replay({ order: 'append', types: [COMMAND_TYPE] })].map((r) => ({
    atMs: r.timestampMs,
    command: JSON.parse(r.body) as VenueCommand,
  }));
}

/** The venue's open quotes of ours against the engine's slots: the same, side by side. */
function expectSlotsAreTheVenueQuotes(engine: Engine, venue: SimVenue): number {
  const open = venue.simMarket.exchange.openOrders(US).filter((o) => o.mmp);
  const keys = open.map((o) => quoteSlotId(GROUP, o.instrument, o.side === 'buy' ? 'bid' : 'ask'));
  // One quote per side per instrument in the group.
  expect(new Set(keys).size).toBe(keys.length);
  for (const [i, o] of open.entries()) {
    const slot = engine.core.orders.get(keys[i] as string);
    expect(slot, keys[i]).toBeDefined();
    // The adapter's order ids are the exchange's with the run's prefix.
    expect(slot?.orderId?.endsWith(`-${o.orderId}`)).toBe(true);
    expect(slot?.price).toBe(o.price);
    expect(slot?.amount).toBeCloseTo(o.amount, 9);
  }
  const live = engine.core.orders
    .live()
    .filter(
      (o) => o.clientOrderId.startsWith('mq:') && (o.state === 'open' || o.state === 'partially_filled'),
    );
  expect(live.length).toBe(open.length);
  return open.length;
}

describe('the engine quoting with mass quotes on the simulated venue', () => {
  it('sends the MMP config, then mass quotes that rest as one MMP order per side per instrument, edited in place; a restart goes on', async () => {
    const path = join(dir, 'mass.sqlite');
    const core = coreWith({ interval_s: 1, frozen_time_s: 0, quantity_limit: 1_000 });
    const journal = SqliteJournal.open(path);
    const venue = new SimVenue({ seed: 3, speed: 'fast', chain });
    const engine = openOnSim(core, journal, venue, 'a');
    await engine.start();
    drive(engine, venue, 600);
    expect(engine.state().trading_state).toBe('ACTIVE');
    const sent = commands(journal);
    const kinds = sent.map((c) => c.command.kind);
    // The MMP config goes before the first mass quote; quotes never go out as single orders.
    expect(kinds.indexOf('set_mmp')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('set_mmp')).toBeLessThan(kinds.indexOf('mass_quote'));
    expect(sent.find((c) => c.command.kind === 'set_mmp')?.command).toMatchObject({
      index: 'btc_usd',
      group: GROUP,
      intervalS: 1,
      quantityLimit: 1_000,
    });
    expect(sent.filter((c) => c.command.kind === 'place' && c.command.postOnly === true)).toEqual([]);
    const massQuotes = sent.flatMap((c) => (c.command.kind === 'mass_quote' ? [c.command] : []));
    expect(massQuotes.length).toBeGreaterThan(10);
    for (const q of massQuotes) {
      expect(q.mmpGroup).toBe(GROUP);
      expect(q.quotes.length).toBeLessThanOrEqual(10);
    }
    const resting = expectSlotsAreTheVenueQuotes(engine, venue);
    expect(resting).toBeGreaterThan(20);
    // Requotes edit in place: far fewer venue orders than sides sent.
    const sidesSent = massQuotes.reduce(
      (n, q) => n + q.quotes.reduce((k, e) => k + (e.bid ? 1 : 0) + (e.ask ? 1 : 0), 0),
      0,
    );
    const venueOrders = new Set(
      [...journal.replay({ types: [`${INPUT_TYPE_PREFIX}order`] })]
        .map((r) => (JSON.parse(r.body) as { order: { orderId: string; mmp: boolean } }).order)
        .filter((o) => o.mmp)
        .map((o) => o.orderId),
    );
    expect(venueOrders.size).toBeLessThan(sidesSent);
    console.log(
      `mass quotes: ${massQuotes.length} requests, ${sidesSent} sides sent, ${venueOrders.size} venue orders, ${resting} resting at the end`,
    );
    // Fills of quotes: the inventory equals the venue's.
    const state = engine.state();
    expect(state.positions.length).toBeGreaterThan(0);
    for (const p of state.positions)
      expect(p.amount).toBeCloseTo(venue.simMarket.exchange.position(US, p.instrument), 9);
    const endMs = venue.nowMs();
    await engine.stop();
    journal.close();

    // Again on the same journal, the venue restored with our positions: quoting goes on.
    const journal2 = SqliteJournal.open(path);
    const venue2 = new SimVenue({
      seed: 4,
      speed: 'fast',
      chain,
      startMs: endMs,
      positions: state.positions,
    });
    const engine2 = openOnSim(core, journal2, venue2, 'b');
    await engine2.start();
    drive(engine2, venue2, 120);
    expect(engine2.state().trading_state).toBe('ACTIVE');
    expect(engine2.state().alerts.filter((a) => a.kind === 'mismatch')).toEqual([]);
    expect(expectSlotsAreTheVenueQuotes(engine2, venue2)).toBeGreaterThan(20);
    // Quote ids go on after the first run's.
    const ids = commands(journal2).flatMap((c) =>
      c.command.kind === 'mass_quote' ? [c.command.quoteId] : [],
    );
    expect(new Set(ids).size).toBe(ids.length);
    await engine2.stop();
    journal2.close();
  }, 240_000);

  it('an MMP trigger: no quotes for the cool-down, then a reset and quotes again', async () => {
    const path = join(dir, 'mmp.sqlite');
    // A quantity limit of 2 contracts a minute: the first fills trip it.
    const core = coreWith({ interval_s: 60, frozen_time_s: 0, quantity_limit: 2 }, 20_000);
    const journal = SqliteJournal.open(path);
    const venue = new SimVenue({ seed: 5, speed: 'fast', chain });
    const engine = openOnSim(core, journal, venue, 'm');
    await engine.start();
    drive(engine, venue, 900);
    const triggers = [...journal.replay({ order: 'append', types: [`${INPUT_TYPE_PREFIX}mmp_trigger`] })];
    expect(triggers.length).toBeGreaterThan(0);
    const first = triggers[0]!.timestampMs;
    expect(JSON.parse(triggers[0]!.body)).toMatchObject({ index: 'btc_usd', group: GROUP });
    const sent = commands(journal);
    const after = sent.filter((c) => c.atMs >= first);
    const reset = after.find((c) => c.command.kind === 'reset_mmp');
    expect(reset?.command).toEqual({ kind: 'reset_mmp', index: 'btc_usd', group: GROUP });
    expect(reset!.atMs).toBeGreaterThanOrEqual(first + 20_000);
    // Nothing quoted between the trigger and the reset; quotes again after it.
    const quotedBefore = after.filter((c) => c.command.kind === 'mass_quote' && c.atMs < reset!.atMs);
    expect(quotedBefore).toEqual([]);
    expect(after.some((c) => c.command.kind === 'mass_quote' && c.atMs >= reset!.atMs)).toBe(true);
    expect(engine.state().alerts.some((a) => a.kind === 'mmp')).toBe(true);
    console.log(
      `MMP: ${triggers.length} triggers; first at +${(first - sent[0]!.atMs) / 1000} s, reset ${(reset!.atMs - first) / 1000} s after it`,
    );
    await engine.stop();
    journal.close();
  }, 240_000);

  it('a restart inside the cool-down keeps the group quiet until its reset', async () => {
    const path = join(dir, 'mmp-restart.sqlite');
    const core = coreWith({ interval_s: 60, frozen_time_s: 0, quantity_limit: 2 }, 30_000);
    const journal = SqliteJournal.open(path);
    const venue = new SimVenue({ seed: 5, speed: 'fast', chain });
    const engine = openOnSim(core, journal, venue, 'r');
    await engine.start();
    const triggered = () => journal.count({ types: [`${INPUT_TYPE_PREFIX}mmp_trigger`] }) > 0;
    for (let s = 0; s < 1800 && !triggered(); s++) drive(engine, venue, 1);
    expect(triggered()).toBe(true);
    const first = [...journal.replay({ types: [`${INPUT_TYPE_PREFIX}mmp_trigger`] })][0]!.timestampMs;
    // Stopped 5 s after the trigger, inside the 30 s cool-down; started again on the journal.
    drive(engine, venue, 5);
    const positions = engine.state().positions;
    const endMs = venue.nowMs();
    const before = commands(journal).length;
    await engine.stop();
    journal.close();
    const journal2 = SqliteJournal.open(path);
    const venue2 = new SimVenue({ seed: 6, speed: 'fast', chain, startMs: endMs, positions });
    const engine2 = openOnSim(core, journal2, venue2, 'r2');
    await engine2.start();
    drive(engine2, venue2, 60);
    const after = commands(journal2).slice(before);
    const reset = after.find((c) => c.command.kind === 'reset_mmp');
    expect(reset).toBeDefined();
    expect(reset!.atMs).toBeGreaterThanOrEqual(first + 30_000);
    expect(after.filter((c) => c.command.kind === 'mass_quote' && c.atMs < reset!.atMs)).toEqual([]);
    expect(after.some((c) => c.command.kind === 'mass_quote')).toBe(true);
    await engine2.stop();
    journal2.close();
  }, 240_000);
});
