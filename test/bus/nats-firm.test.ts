/**
 * Engines replicating their journals over NATS JetStream to a firm-wide aggregator (issue 11),
 * against a real 3-node cluster of nats-server on loopback (`test/support/nats.ts`): three
 * paper engines (the simulated venue in fast mode, driven here second by second, each with its
 * own SQLite journal, replicator and seed) and one aggregator.
 *
 * 1. A NATS node and an engine are killed mid-run (the engine without a clean stop: its loop,
 *    replicator and connection dropped, its journal left as a crash leaves it) and restarted;
 *    afterwards the aggregator's firm-wide positions and cash equal the sums of the engines'
 *    journals folded locally, exactly, and the distinct events it folded are the journals'
 *    inventory events: none lost, none twice.
 * 2. A firm-wide limit set low: the breach moves the contributing engines to REDUCING; the time
 *    from the aggregator's detection to each engine's state change is measured and reported
 *    (`bench/RESULTS-firm.md`).
 *
 * Without nats-server the tests skip, unless CI=true.
 */
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/bus/nats/aggregator.js';
import { JOURNAL_STREAM, type FirmStateValue } from '../../src/bus/nats/common.js';
import { connect } from 'nats';
import { FirmStateWatcher } from '../../src/bus/nats/firm-watch.js';
import { guardNatsTransport } from '../../src/bus/nats/transport-guard.js';
import { cursorPathOf, JournalReplicator, readCursor } from '../../src/bus/nats/replicator.js';
import { coreConfigOf, DEFAULT_RUN_CONFIG } from '../../src/engine/config.js';
import { bookBreakdown } from '../../src/engine/book-risk.js';
import { restoreLedger } from '../../src/engine/journaled-ledger.js';
import { Engine } from '../../src/engine/loop.js';
import { EVENT_TYPES } from '../../src/inventory/events.js';
import { toNumber, type Money } from '../../src/inventory/money.js';
import { parseLimitsText } from '../../src/risk/limits/config.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { defaultChainFile, SimVenue } from '../../src/venues/sim/adapter.js';
import { prepareChain, type PreparedChain } from '../../src/venues/sim/market.js';
import { natsRequired, natsServerBin, startNatsCluster, type NatsCluster } from '../support/nats.js';

const available = natsServerBin() !== null;
if (!available && natsRequired)
  throw new Error('nats-server is not installed and CI=true: the NATS tests must run');

const CORE = coreConfigOf(DEFAULT_RUN_CONFIG, 'sim');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let chain: PreparedChain;
let dir: string;
beforeAll(async () => {
  if (!available) return;
  chain = await prepareChain(defaultChainFile());
  dir = mkdtempSync(join(tmpdir(), 'ballast-firm-'));
}, 60_000);
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Late socket errors of connections a killed node closed (`transport-guard.ts`), counted. */
const late: string[] = [];

/** One paper engine with its journal, replicator and firm-state watcher. */
interface Node {
  id: string;
  path: string;
  journal: SqliteJournal;
  venue: SimVenue;
  engine: Engine;
  replicator: JournalReplicator;
  watcher: FirmStateWatcher;
  /** Wall ms of each trading-state change seen (state -> first time). */
  changes: { state: string; atMs: number }[];
}

async function openNode(id: string, seed: number, servers: string[], run: string): Promise<Node> {
  const path = join(dir, `${id}.sqlite`);
  const journal = SqliteJournal.open(path);
  const positions = restoreLedger(journal)
    .ledger.positions(true)
    .map((p) => ({ instrument: p.instrument, amount: toNumber(p.amount) }));
  const last = journal.last();
  const venue = new SimVenue({
    seed,
    speed: 'fast',
    chain,
    idPrefix: `${id}-${run}-`,
    // Ten times the default option flow: more fills per simulated second.
    flow: { optionRatePerSide: 0.05 },
    ...(last === undefined ? {} : { startMs: last.timestampMs + 1 }),
    ...(positions.length === 0 ? {} : { positions }),
  });
  const engine = Engine.open({
    core: CORE,
    journal,
    venue,
    timerMs: 0,
    clock: () => venue.nowMs(),
    runId: run,
  });
  await engine.start();
  const changes: Node['changes'] = [];
  let was = engine.state().trading_state;
  engine.subscribe((s) => {
    if (s.trading_state !== was) {
      was = s.trading_state;
      changes.push({ state: s.trading_state, atMs: Date.now() });
    }
  });
  const replicator = await JournalReplicator.start({
    engineId: id,
    journal,
    cursorPath: cursorPathOf(path, id),
    servers,
    pollMs: 25,
  });
  const watcher = await FirmStateWatcher.start({
    engineId: id,
    servers,
    push: (input) => engine.push(input),
    clock: () => venue.nowMs(),
  });
  return { id, path, journal, venue, engine, replicator, watcher, changes };
}

/** One simulated second on every engine, then a turn of the event loop (replicators, watchers). */
async function step(nodes: readonly Node[]): Promise<void> {
  for (const n of nodes) {
    n.venue.stepFor(1000);
    n.engine.push({ kind: 'timer', timestampMs: n.venue.nowMs() });
    n.engine.flush();
    n.engine.flush();
  }
  await sleep(1);
}

/** The sums of the engines' journals, each folded locally from scratch. */
function foldJournals(paths: readonly string[]): {
  positions: Map<string, Money>;
  cash: Map<string, Money>;
  events: number;
} {
  const positions = new Map<string, Money>();
  const cash = new Map<string, Money>();
  let events = 0;
  for (const path of paths) {
    const journal = SqliteJournal.open(path);
    try {
      const { ledger } = restoreLedger(journal, { fromScratch: true });
      for (const p of ledger.positions(true))
        positions.set(p.instrument, (positions.get(p.instrument) ?? 0n) + p.amount);
      for (const [ccy, a] of Object.entries(ledger.cash())) cash.set(ccy, (cash.get(ccy) ?? 0n) + a);
      events += journal.count({ types: EVENT_TYPES });
      expect(ledger.eventCount).toBe(journal.count({ types: EVENT_TYPES }));
    } finally {
      journal.close();
    }
  }
  for (const [k, a] of positions) if (a === 0n) positions.delete(k);
  return {
    positions: new Map([...positions].sort(([a], [b]) => (a < b ? -1 : 1))),
    cash: new Map([...cash].sort(([a], [b]) => (a < b ? -1 : 1))),
    events,
  };
}

async function closeNode(n: Node): Promise<void> {
  await n.watcher.stop();
  await n.engine.stop();
  await n.replicator.stop({ drain: true, timeoutMs: 30_000 });
  n.journal.close();
}

describe.skipIf(!available)('engines, NATS JetStream and the firm-wide aggregator', () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startNatsCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    console.log(`late socket errors taken by the transport guard in this file: ${late.length}`);
  });

  it('a NATS node and an engine killed mid-run: the firm view equals the sum of the journals exactly', async () => {
    const t0 = performance.now();
    guardNatsTransport((e) => late.push(String(e)));
    const servers = cluster.servers;
    const errors: string[] = [];
    const aggregator = await Aggregator.start({
      servers,
      durable: 'firm_test_1',
      onError: (e) => errors.push(String(e)),
    });
    const nodes = [
      await openNode('eng-a', 11, servers, 'a1'),
      await openNode('eng-b', 12, servers, 'b1'),
      await openNode('eng-c', 13, servers, 'c1'),
    ];
    const SECONDS = 360;
    let crashed: Node | undefined;
    for (let s = 1; s <= SECONDS; s++) {
      await step(nodes.filter((n) => n !== crashed));
      if (s === 120) {
        // A NATS node goes (SIGKILL), and engine b dies without a clean stop.
        await cluster.killNode(1);
        crashed = nodes[1]!;
        await crashed.watcher.stop();
        await crashed.replicator.abandon();
        crashed.journal.close(); // what the process's death leaves: the journal as committed
        // It died after publishing its last 200 records and before saving the cursor for them:
        // they go again on restart (the stream drops them as duplicates).
        const cursorPath = cursorPathOf(crashed.path, crashed.id);
        writeFileSync(cursorPath, JSON.stringify({ seq: Math.max(0, readCursor(cursorPath) - 200) }));
      }
      if (s === 240) {
        await cluster.restartNode(1);
        // Engine b again on its journal: its replicator resumes from its saved cursor.
        nodes[1] = await openNode('eng-b', 22, servers, 'b2');
        crashed = undefined;
      }
    }
    const driveMs = performance.now() - t0;
    const cursors = nodes.map((n) => n.replicator.cursor);
    const republished = nodes.map((n) => n.replicator.stats.duplicates);
    expect(republished[1]).toBeGreaterThan(0);
    for (const n of nodes) await closeNode(n);
    const expected = foldJournals(nodes.map((n) => n.path));
    expect(expected.events).toBeGreaterThan(100);
    await aggregator.settle(() => aggregator.eventCount >= expected.events, 60_000);
    await sleep(300); // anything still in flight (redeliveries) must change nothing
    // A record delivered again past the stream's de-duplication (another message id): the
    // aggregator folds it once.
    const journalA = SqliteJournal.open(nodes[0]!.path);
    const fill = [...journalA.replay({ order: 'append', types: ['fill'] })][0]!;
    journalA.close();
    const nc = await connect({ servers });
    await nc
      .jetstream()
      .publish(`ballast.journal.${nodes[0]!.id}`, new TextEncoder().encode(JSON.stringify(fill)), {
        msgID: `again/${fill.id}`,
      });
    await nc.close();
    await aggregator.settle(() => aggregator.stats.inventoryDuplicates >= 1, 30_000);
    const firmPositions = aggregator.firmPositions();
    const firmCash = aggregator.firmCash();
    expect(firmPositions).toEqual(expected.positions);
    expect(firmCash).toEqual(expected.cash);
    expect(aggregator.eventCount).toBe(expected.events);
    expect(aggregator.stats.inventoryApplied).toBe(expected.events);
    for (const v of aggregator.engineViews()) {
      const journal = SqliteJournal.open(join(dir, `${v.engineId}.sqlite`));
      expect(v.lastSeq).toBe(journal.lastSeq());
      expect(v.ledger.eventCount).toBe(journal.count({ types: EVENT_TYPES }));
      journal.close();
    }
    // The firm view through the engine's API shape.
    const state = aggregator.state();
    expect(state.positions.map((p) => p.instrument)).toEqual([...expected.positions.keys()]);
    // Stress and margin across the accounts: at the firm's marks, the firm's grid is the sum of
    // each engine's book revalued alone (revaluation is linear in positions); the margin is there.
    const details = aggregator.details();
    expect(details.stress).not.toBeNull();
    const summed = details.stress!.pnl_usd.map((row) => row.map(() => 0));
    for (const v of aggregator.engineViews()) {
      const own = bookBreakdown({
        positions: v.ledger
          .positions(true)
          .map((p) => ({ instrument: p.instrument, amount: toNumber(p.amount) })),
        tickers: aggregator.marks(),
        index: details.index as number,
        currency: 'BTC',
        nowMs: details.time_ms,
      });
      own.stress?.pnl_usd.forEach((row, i) => row.forEach((x, j) => (summed[i]![j]! += x)));
    }
    details.stress!.pnl_usd.forEach((row, i) =>
      row.forEach((x, j) =>
        expect(Math.abs(x - summed[i]![j]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(x))),
      ),
    );
    expect(details.stress!.pnl_usd.some((row) => row.some((x) => x !== 0))).toBe(true);
    expect(state.margin?.initial_coin).toBeGreaterThan(0);
    expect(state.margin?.worst_scenario).not.toBeNull();
    const totalMs = performance.now() - t0;
    console.log(
      `firm test 1: ${SECONDS} s x 3 engines driven in ${(driveMs / 1000).toFixed(1)} s, total ${(totalMs / 1000).toFixed(1)} s; ` +
        `${expected.events} inventory events in the journals, ${aggregator.stats.messages} messages folded ` +
        `(${aggregator.stats.inventoryDuplicates} inventory duplicates dropped), ${expected.positions.size} firm positions; ` +
        `cursors ${cursors.join(', ')}; records acknowledged as duplicates by the stream ${republished.join(', ')}; ` +
        `aggregator errors ${errors.length}; late socket errors taken by the transport guard ${late.length}`,
    );
    await aggregator.stop();
  }, 300_000);

  it('a firm-wide limit breach moves the contributing engines to REDUCING; the time is measured', async () => {
    const servers = cluster.servers;
    // Fresh engine ids and journals (the stream keeps test 1's engines; their ledgers are flat here).
    const limits = parseLimitsText(
      JSON.stringify({
        limits: [
          { name: 'firm-notional', scope: {}, measure: 'notional_usd', max: 50_000_000 },
          { name: 'firm-delta', scope: { underlying: 'BTC' }, measure: 'delta_coin', max: 1e9 },
          {
            name: 'firm-perp-position',
            scope: { instrument: 'BTC-PERPETUAL' },
            measure: 'position',
            max: 1e12,
          },
          {
            name: 'firm-options-gross',
            scope: { underlying: 'BTC', strike_bucket: [0, 1e9] },
            measure: 'notional_usd',
            max: 1,
          },
        ],
      }),
    );
    const published: { id: string; value: FirmStateValue }[] = [];
    // An empty stream: the aggregator folds only this test's engines.
    const nc = await connect({ servers });
    await (await nc.jetstreamManager()).streams.purge(JOURNAL_STREAM);
    await nc.close();
    const errors: string[] = [];
    const aggregator = await Aggregator.start({
      servers,
      durable: 'firm_test_2',
      limits,
      onError: (e) => errors.push(String(e)),
      onFirmState: (id, value) => published.push({ id, value }),
    });
    const ids = ['brk-a', 'brk-b', 'brk-c'];
    const nodes = [
      await openNode(ids[0]!, 31, servers, 'x1'),
      await openNode(ids[1]!, 32, servers, 'y1'),
      await openNode(ids[2]!, 33, servers, 'z1'),
    ];
    let s = 0;
    const reducing = (n: Node): boolean => n.engine.state().trading_state === 'REDUCING';
    while (s < 900) {
      await step(nodes);
      s += 1;
      if (published.some((p) => p.value.state === 'REDUCING' && ids.includes(p.id))) {
        // Keep the engines turning until every contributor obeyed.
        const contributors = new Set(
          published.filter((p) => p.value.state === 'REDUCING' && ids.includes(p.id)).map((p) => p.id),
        );
        if (nodes.filter((n) => contributors.has(n.id)).every(reducing)) break;
      }
    }
    const breaches = published.filter((p) => p.value.state === 'REDUCING' && ids.includes(p.id));
    expect(breaches.length, `aggregator errors: ${errors.join('; ')}`).toBeGreaterThan(0);
    const rows: string[] = [];
    for (const b of breaches) {
      const node = nodes.find((n) => n.id === b.id)!;
      const change = node.changes.find((c) => c.state === 'REDUCING' && c.atMs >= b.value.detected_ms);
      expect(change, `${b.id} reached REDUCING`).toBeDefined();
      const ms = change!.atMs - b.value.detected_ms;
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(node.engine.state().trading_reasons.some((r) => r.startsWith('firm_limit'))).toBe(true);
      rows.push(`${b.id}: ${ms} ms (${b.value.detail})`);
    }
    // The firm view shows the breach.
    expect(aggregator.limitRows().find((r) => r.name === 'firm-options-gross')?.breached).toBe(true);
    expect(aggregator.state().trading_state).toBe('REDUCING');
    const line = `breach -> REDUCING after ${s} simulated s: ${rows.join('; ')}`;
    console.log(`firm test 2: ${line}`);
    const results = join(process.cwd(), 'bench', 'RESULTS-firm.md');
    if (process.env['BALLAST_WRITE_RESULTS'] === '1') {
      if (!existsSync(results)) writeFileSync(results, '# Firm-wide aggregator: measured\n\n');
      appendFileSync(results, `- ${new Date().toISOString()} test: ${line}\n`);
    }
    for (const n of nodes) await closeNode(n);
    await aggregator.stop();
  }, 300_000);
});
