/**
 * The whole engine against a fake Deribit (issue 9, first must-show): `Engine` (the journal-first
 * loop and its core) + a real `SqliteJournal` file in a temporary directory + `DeribitAdapter`,
 * talking JSON-RPC over real WebSockets to `FakeDeribit` on 127.0.0.1, with faults injected.
 *
 * How the engine is made to trade. The core quotes options: the fake publishes tickers for seven
 * calls of one expiry 30 days out (`mark_iv`, `bid_iv`, `ask_iv`, `underlying_price`,
 * `index_price`: what `EngineCore.sliceQuotes` needs to fit a surface, at least five options per
 * expiry), and the quoter rests a bid and an ask (post-only limit orders: `private/buy`,
 * `private/sell`, then `private/edit`) on the three strikes within 10% of the forward. Scripted
 * takers on the fake fill them, so every path runs through the engine's own decisions: a filled
 * quote is replaced by a new order (the request a fault is aimed at), fills move the skew (edits),
 * and connection faults pull everything. No hedging: it adds nothing the quotes do not exercise.
 *
 * After every scenario: the engine's positions (its state and its ledger, and a ledger rebuilt
 * from the journal alone) equal the fake venue's; the journal holds each trade id exactly once and
 * every trade the fake made; and nothing the run wrote (every journal record and the snapshot,
 * every log line, every error) contains the client secret or a token the fake issued.
 */
import { mulberry32 } from '../../scripts/generate-fills.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CoreConfig } from '../../src/engine/core.js';
import { restoreLedger } from '../../src/engine/journaled-ledger.js';
import { Engine } from '../../src/engine/loop.js';
import type { EngineInput } from '../../src/engine/types.js';
import { toNumber } from '../../src/inventory/money.js';
import { MS_PER_YEAR } from '../../src/model/time.js';
import { black76Price } from '../../src/pricing/black76.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { DeribitAdapter, type KillReport } from '../../src/venues/deribit/adapter.js';
import { FAKE_INDEX_PRICE, FakeDeribit, type ReceivedRequest } from '../venues/deribit/fake-server.js';
import { waitFor as waitUntil } from '../venues/deribit/harness.js';

const SECRET = 'cLiEnT-sEcReT-of-the-engine-5b17e2';
const PERP = 'BTC-PERPETUAL';
const FORWARD = 8960;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** An expiry 30 days out, as Deribit names it (`25DEC26`), and its time (08:00 UTC). */
function expiry(): { code: string; ms: number } {
  const d = new Date(Date.now() + 30 * 86_400_000);
  const ms = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 8);
  const code = `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, '0')}`;
  return { code, ms };
}

const EXPIRY = expiry();
const STRIKES = [7500, 8000, 8500, 9000, 9500, 10000, 10500];
const OPTIONS = STRIKES.map((k) => `BTC-${EXPIRY.code}-${k}-C`);
/** The strikes within 10% of the forward: the ones quoted. */
const QUOTED = OPTIONS.filter((_, i) => Math.abs((STRIKES[i] as number) / FORWARD - 1) <= 0.1);

const CORE: CoreConfig = {
  venue: 'deribit',
  currency: 'BTC',
  orderPrefix: 'it',
  orderTimeoutMs: 500,
  killSwitch: { staleAfterMs: 600_000 },
  quoting: {
    expiries: 1,
    minDaysToExpiry: 2,
    moneyness: 0.1,
    quoter: { halfSpreadVol: 0.02, vegaSkewVol: 0.01, deltaSkew: 0.001, baseSize: 0.2, minSize: 0.1 },
    limits: { vegaPerExpiry: 1e7, vegaTotal: 1e7, deltaCoin: 1e4 },
    requoteMs: 50,
    refitMs: 3_600_000,
    refitMoveBps: 1e6,
  },
};

/** Request methods that send or change an order (a cancel-all is looked at separately). */
const NEW_ORDER = new Set(['private/buy', 'private/sell', 'private/edit', 'private/mass_quote']);

interface Rig {
  dir: string;
  fake: FakeDeribit;
  adapter: DeribitAdapter;
  engine: Engine;
  journal: SqliteJournal;
  logs: string[];
  /** Error texts the run produced (a failed start, ...), searched for secrets. */
  errors: string[];
  /** Instrument -> amount the venue changed without a trade (not the engine's to know). */
  adjusted: Map<string, number>;
  stopped: boolean;
}

let rigs: Rig[] = [];

const bigints = (_k: string, v: unknown) => (typeof v === 'bigint' ? String(v) : v);

afterEach(async () => {
  const open = rigs;
  rigs = [];
  try {
    for (const r of open) {
      if (!r.stopped) await r.engine.stop();
      r.stopped = true;
      expectNoSecrets(r);
    }
  } finally {
    for (const r of open) {
      r.journal.close();
      await r.fake.stop();
      rmSync(r.dir, { recursive: true, force: true });
    }
  }
});

function adapterFor(fake: FakeDeribit, logs: string[], secret = SECRET): DeribitAdapter {
  const capture = (level: string) => (message: string) => logs.push(`${level} ${message}`);
  return new DeribitAdapter({
    url: fake.url,
    clientId: 'test-client',
    clientSecret: secret,
    instruments: [...OPTIONS, PERP],
    currencies: ['BTC'],
    heartbeatIntervalS: 0.2,
    requestTimeoutMs: 800,
    reconnect: { initialMs: 40, maxMs: 300 },
    random: mulberry32(11),
    logger: { info: capture('info'), warn: capture('warn'), error: capture('error') },
  });
}

/** The same, quoting with mass quotes in one MMP group. */
const MASS_CORE: CoreConfig = {
  ...CORE,
  quoting: {
    ...(CORE.quoting as NonNullable<CoreConfig['quoting']>),
    send: 'mass_quote',
    massQuote: {
      group: 'it-mq',
      maxPerRequest: 2,
      mmp: { intervalS: 1, frozenTimeS: 0, quantityLimit: 100, maxQuoteQuantity: 10 },
      coolDownMs: 1_000,
    },
  },
};

async function rig(core: CoreConfig = CORE): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-deribit-it-'));
  const fake = await FakeDeribit.start({ clientSecret: SECRET, instruments: [...OPTIONS, PERP] });
  const logs: string[] = [];
  const adapter = adapterFor(fake, logs);
  const journal = SqliteJournal.open(join(dir, 'journal.sqlite'));
  const engine = Engine.open({ core, journal, venue: adapter, timerMs: 50, runId: 'it' });
  const r: Rig = {
    dir,
    fake,
    adapter,
    engine,
    journal,
    logs,
    errors: [],
    adjusted: new Map(),
    stopped: false,
  };
  rigs.push(r);
  await engine.start();
  publishTickers(fake);
  await quoting(r);
  return r;
}

/** Option tickers (a smile in vol around the forward) for the surface fit. */
function publishTickers(fake: FakeDeribit): void {
  const years = (EXPIRY.ms - Date.now()) / MS_PER_YEAR;
  OPTIONS.forEach((instrument, i) => {
    const strike = STRIKES[i] as number;
    const x = Math.log(strike / FORWARD);
    const iv = 55 + 60 * x * x - 10 * x;
    const usd = black76Price('call', FORWARD, strike, years, iv / 100, 0);
    fake.ticker(instrument, {
      mark_price: usd / FAKE_INDEX_PRICE,
      mark_iv: iv,
      bid_iv: iv - 2,
      ask_iv: iv + 2,
      underlying_price: FORWARD,
      index_price: FAKE_INDEX_PRICE,
      underlying_index: `BTC-${EXPIRY.code}`,
    });
  });
}

const waitFor = <T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> =>
  waitUntil(what, probe, timeoutMs);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const orderRequests = (r: Rig, from = 0): ReceivedRequest[] =>
  r.fake.received.slice(from).filter((q) => NEW_ORDER.has(q.method) || q.method.startsWith('private/cancel'));

/**
 * The engine quotes both sides of every quoted strike, each order open at the venue and in the
 * order manager, and has sent no order request for `quietMs`.
 */
async function quoting(r: Rig, quietMs = 150): Promise<void> {
  let seen = -1;
  let since = Date.now();
  await waitFor('the engine quoting, settled', () => {
    const n = orderRequests(r).length;
    if (n !== seen) {
      seen = n;
      since = Date.now();
    }
    const state = r.engine.state();
    const live = state.orders;
    const venue = r.fake.openOrders();
    return (
      Date.now() - since >= quietMs &&
      state.connection === 'up' &&
      live.length === QUOTED.length * 2 &&
      live.every((o) => o.state === 'open') &&
      venue.length === live.length &&
      venue.every((o) => live.some((l) => l.order_id === o.order_id))
    );
  });
}

/** The engine's resting order on `instrument` and `side` (its venue order). */
function resting(r: Rig, instrument: string, side: 'buy' | 'sell') {
  return waitFor(`a resting ${side} on ${instrument}`, () =>
    r.fake.openOrders().find((o) => o.instrument_name === instrument && o.direction === side),
  );
}

/** A taker trades against our whole resting order (`side` is ours). */
async function fillQuote(r: Rig, instrument: string, side: 'buy' | 'sell', notify = true) {
  const order = await resting(r, instrument, side);
  return r.fake.takerTrade(
    instrument,
    side === 'buy' ? 'sell' : 'buy',
    order.amount - order.filled_amount,
    undefined,
    notify,
  );
}

/** Amounts to 1e-9 (the fake sums floats; the ledger is exact). */
const round = (x: number) => Math.round(x * 1e9) / 1e9;

function positionsOf(list: { instrument: string; amount: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of list) if (Math.abs(p.amount) > 1e-12) out.set(p.instrument, round(p.amount));
  return out;
}

/** The venue's positions less what it changed behind the engine's back. */
function venueTraded(r: Rig): Map<string, number> {
  const out = new Map<string, number>();
  for (const [instrument, size] of r.fake.positions) {
    const amount = size - (r.adjusted.get(instrument) ?? 0);
    if (Math.abs(amount) > 1e-12) out.set(instrument, round(amount));
  }
  return out;
}

function same(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!(Math.abs((b.get(k) ?? Number.NaN) - v) < 1e-9)) return false;
  return true;
}

/** No fill lost or counted twice: positions everywhere equal the venue's; each trade journaled once. */
async function expectConsistent(r: Rig): Promise<void> {
  const venue = () => venueTraded(r);
  await waitFor('the engine holding what the venue holds', () =>
    same(positionsOf(r.engine.state().positions), venue()),
  );
  expect(positionsOf(r.engine.state().positions)).toEqual(venue());
  const ledger = r.engine.core.ledger
    .positions(true)
    .map((p) => ({ instrument: p.instrument, amount: toNumber(p.amount) }));
  expect(positionsOf(ledger)).toEqual(venue());
  // The journal alone rebuilds the same inventory.
  const rebuilt = restoreLedger(r.journal, { fromScratch: true })
    .ledger.positions(true)
    .map((p) => ({ instrument: p.instrument, amount: toNumber(p.amount) }));
  expect(positionsOf(rebuilt)).toEqual(venue());
  const counts = new Map<string, number>();
  for (const record of r.journal.replay({ types: ['fill'] }))
    counts.set(record.id, (counts.get(record.id) ?? 0) + 1);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  expect(new Set(counts.keys())).toEqual(new Set(r.fake.trades.map((t) => String(t.trade_id))));
}

/**
 * After a detection (at `detectedAtMs`, adapter clock = wall clock) the venue saw the cancel-all
 * over the kill connection before any new order; `from` is the received log's length when the
 * fault was injected into a quiet engine (nothing new was due), a stricter cut than the time.
 */
function expectCancelFirst(r: Rig, from: number, detectedAtMs: number, notOn?: number): ReceivedRequest {
  const after = r.fake.received
    .slice(from)
    .filter((q) => NEW_ORDER.has(q.method) || q.method === 'private/cancel_all');
  const first = after[0];
  expect(first?.method).toBe('private/cancel_all');
  expect(first?.main).toBe(false);
  if (notOn !== undefined) expect(first?.connection).not.toBe(notOn);
  // And by the clock: nothing new between the detection and the cancel.
  const cancelAt = r.fake.received.indexOf(first as ReceivedRequest);
  const between = r.fake.received
    .slice(0, cancelAt)
    .filter((q) => q.wallMs > detectedAtMs && NEW_ORDER.has(q.method));
  expect(between).toEqual([]);
  return first as ReceivedRequest;
}

/** The kill report of the detection whose connection input matches `reason`, once answered. */
async function killReportFor(
  r: Rig,
  reason: RegExp,
): Promise<{ report: KillReport; detected: Extract<EngineInput, { kind: 'connection' }> }> {
  const detected = await waitFor(`a connection input ${String(reason)}`, () =>
    journalInputs(r, 'connection').find((i) => i.state !== 'up' && reason.test(i.reason)),
  );
  const report = await waitFor('the cancel-all answered', () =>
    r.adapter.killReports.find((k) => k.detectedAtMs === detected.timestampMs && k.answeredAtMs !== null),
  );
  return { report, detected };
}

function journalInputs<K extends EngineInput['kind']>(r: Rig, kind: K): Extract<EngineInput, { kind: K }>[] {
  const out: Extract<EngineInput, { kind: K }>[] = [];
  for (const record of r.journal.replay({ order: 'append', types: [`input.${kind}`] }))
    out.push(JSON.parse(record.body) as Extract<EngineInput, { kind: K }>);
  return out;
}

/** Detection-to-cancel times, printed at the end (and kept in `adapter.killReports`). */
const measured: string[] = [];

afterAll(() => {
  if (measured.length > 0)
    console.log(`detection to cancel (adapter.killReports):\n  ${measured.join('\n  ')}`);
});

function report(what: string, k: KillReport): void {
  const line = `${what}: detection -> cancel_all answered over the ${k.connection} connection in ${k.detectionToCancelMs} ms (sent ${k.requestedAtMs - (k.detectedAtMs ?? 0)} ms after detection; ${k.cancelled} cancelled)`;
  measured.push(line);
  console.log(line);
}

function expectNoSecrets(r: Rig): void {
  const texts: string[] = [...r.logs, ...r.errors];
  for (const record of r.journal.replay({ order: 'append' })) texts.push(JSON.stringify(record, bigints));
  const snapshot = r.journal.loadSnapshot();
  if (snapshot !== undefined) texts.push(snapshot.state);
  texts.push(JSON.stringify(r.engine.state()));
  texts.push(JSON.stringify(r.adapter.killReports));
  texts.push(inspect(r.adapter, { depth: 4, showHidden: true }));
  const everything = texts.join('\n');
  expect(r.fake.issuedTokens.length).toBeGreaterThan(0);
  for (const secret of [SECRET, ...r.fake.issuedTokens]) expect(everything).not.toContain(secret);
}

describe('the engine against a fake Deribit', () => {
  it('quotes from the tickers; a disconnect mid-order, after the venue acted and before it did', async () => {
    const r = await rig();
    expect(r.engine.state().trading_state).toBe('ACTIVE');
    const [near] = QUOTED;
    const instrument = near as string;

    // The venue acts on the replacement bid, fills it, and the connection drops before the answer.
    r.fake.faults.closeOnRequest = {
      method: 'private/buy',
      when: 'after',
      then: () => void r.fake.takerTrade(instrument, 'sell', 0.2, undefined, false),
    };
    await fillQuote(r, instrument, 'buy');
    await waitFor('the connection dropped and back', () =>
      journalInputs(r, 'connection').some((i) => i.state === 'down'),
    );
    await quoting(r);
    expect(r.fake.trades).toHaveLength(2);
    const lost = String(r.fake.trades[1]?.label);
    expect(r.engine.core.orders.get(lost)?.state).toBe('filled');
    await expectConsistent(r);

    // The venue never sees the replacement ask: the order is asked about and found missing.
    r.fake.faults.closeOnRequest = { method: 'private/sell', when: 'before' };
    const drops = journalInputs(r, 'connection').filter((i) => i.state === 'down').length;
    await fillQuote(r, instrument, 'sell');
    await waitFor(
      'the second drop',
      () => journalInputs(r, 'connection').filter((i) => i.state === 'down').length > drops,
    );
    const reject = await waitFor('the lost order rejected', () =>
      journalInputs(r, 'reject').find((i) => i.code === 10004),
    );
    expect(r.engine.core.orders.get(reject.clientOrderId)?.state).toBe('rejected');
    await quoting(r);
    expect(r.fake.trades).toHaveLength(3);
    await expectConsistent(r);
    expect(r.engine.state().trading_state).toBe('ACTIVE');
  });

  it('duplicate and out-of-order fill notifications: each trade applied once, none lost', async () => {
    const r = await rig();
    r.fake.faults.duplicateFills = true;
    r.fake.faults.reverseFills = true;
    // Every bid taken, and one ask in two parts: one batch of notifications, reversed, each twice
    // (the second part, which fills the ask, arrives before the first).
    const made = [];
    for (const instrument of QUOTED) made.push(...(await fillQuote(r, instrument, 'buy', false)));
    const ask = await resting(r, QUOTED[1] as string, 'sell');
    made.push(...r.fake.takerTrade(ask.instrument_name, 'buy', 0.1, undefined, false));
    made.push(...r.fake.takerTrade(ask.instrument_name, 'buy', ask.amount - 0.1, undefined, false));
    r.fake.notify(made);
    await expectConsistent(r);
    expect(r.fake.trades).toHaveLength(QUOTED.length + 2);
    await waitFor('every duplicate seen', () => r.engine.stats.duplicates >= made.length);
    const askOrder = r.engine.core.orders.get(ask.label);
    expect(askOrder?.state).toBe('filled');
    expect(askOrder?.filled).toBeCloseTo(ask.amount, 9);
    // A reconnect's reconciliation fetches the same trades again: still counted once.
    const before = r.engine.stats.duplicates;
    r.fake.faults.duplicateFills = false;
    r.fake.faults.reverseFills = false;
    r.fake.dropMain();
    await waitFor('reconnected and reconciled', () => journalInputs(r, 'account').length >= 4);
    await quoting(r);
    expect(r.engine.stats.duplicates).toBeGreaterThan(before);
    await expectConsistent(r);
  });

  it('a book gap: quotes cancelled over the kill connection before any new order, then requoted', async () => {
    const r = await rig();
    // A fill first, so the run has a position to keep.
    await fillQuote(r, QUOTED[0] as string, 'sell');
    await quoting(r);
    r.fake.bookChange(PERP, [['new', 5041, 5]], []);
    await sleep(50);
    // The cancel is slow to reach the venue (300 ms on the kill connection) while the book resyncs
    // at once: the engine's new quotes must still arrive after it.
    r.fake.faults.holdRequest = { method: 'private/cancel_all', ms: 300 };
    const from = r.fake.received.length;
    r.fake.gapNext(PERP);
    r.fake.bookChange(PERP, [['new', 5040, 7]], []);
    const { report: k, detected } = await killReportFor(r, /^book gap BTC-PERPETUAL/);
    expect(k.connection).toBe('kill');
    expect(k.cancelled).toBe(QUOTED.length * 2);
    expectCancelFirst(r, from, detected.timestampMs);
    report('book gap (cancel held 300 ms on its way)', k);
    expect(k.detectionToCancelMs).toBeGreaterThanOrEqual(300);
    expect(k.detectionToCancelMs).toBeLessThan(2000);
    await waitFor('resynced', () =>
      journalInputs(r, 'connection').some((i) => i.state === 'up' && i.reason.startsWith('book resynced')),
    );
    await quoting(r);
    // Every order resting now was sent after the cancel.
    const cancelAt = r.fake.received.findIndex((q, i) => i >= from && q.method === 'private/cancel_all');
    const placedAfter = new Set(
      r.fake.received.slice(cancelAt).flatMap((q) => (q.label === undefined ? [] : [q.label])),
    );
    expect(r.fake.openOrders().every((o) => placedAfter.has(o.label))).toBe(true);
    await expectConsistent(r);
  });

  it('a missed heartbeat: cancel_all over the second connection before any new order, reconnect, requote', async () => {
    const r = await rig();
    await fillQuote(r, QUOTED[2] as string, 'buy');
    await quoting(r);
    const from = r.fake.received.length;
    const silencedAt = Date.now();
    // Half-open: the venue never sees the socket close, so cancel-on-disconnect does not help;
    // only the cancel over the second connection pulls the quotes.
    const silenced = r.fake.silenceMain(false) as number;
    const { report: k, detected } = await killReportFor(r, /^missed heartbeat/);
    expect(k.connection).toBe('kill');
    const cancel = expectCancelFirst(r, from, detected.timestampMs, silenced);
    expect(cancel.connection).not.toBe(silenced);
    expect(k.cancelled).toBe(QUOTED.length * 2);
    report('missed heartbeat', k);
    console.log(`missed heartbeat: silence -> detection ${detected.timestampMs - silencedAt} ms`);
    expect(k.detectionToCancelMs).toBeLessThan(500);
    // Nothing but heartbeats' answers went over the silent connection after it went silent.
    expect(
      r.fake.received.slice(from).filter((q) => q.connection === silenced && q.method !== 'public/test'),
    ).toEqual([]);
    await quoting(r);
    expect(journalInputs(r, 'connection').map((i) => i.state)).toContain('down');
    await expectConsistent(r);
  });

  it('a rejected order and the rate-limit error: rejects in the order manager, the engine runs on', async () => {
    const r = await rig();
    const [a, b] = QUOTED as [string, string];
    r.fake.faults.rejectNext = { method: 'private/buy', code: 10009, message: 'not_enough_funds' };
    await fillQuote(r, a, 'buy');
    const funds = await waitFor('the refused bid', () =>
      journalInputs(r, 'reject').find((i) => i.code === 10009),
    );
    const refused = r.engine.core.orders.get(funds.clientOrderId);
    expect(refused?.state).toBe('rejected');
    expect(refused?.reason).toMatch(/^10009 not_enough_funds/);
    r.fake.faults.rejectNext = { method: 'private/sell', code: 10028, message: 'too_many_requests' };
    await fillQuote(r, b, 'sell');
    const limited = await waitFor('the rate-limited ask', () =>
      journalInputs(r, 'reject').find((i) => i.code === 10028),
    );
    const throttled = r.engine.core.orders.get(limited.clientOrderId);
    expect(throttled?.state).toBe('rejected');
    expect(throttled?.reason).toMatch(/^10028 too_many_requests/);
    const alerts = r.engine
      .state()
      .alerts.filter((x) => x.kind === 'reject')
      .map((x) => x.message);
    expect(alerts.some((m) => m.includes('10009'))).toBe(true);
    expect(alerts.some((m) => m.includes('10028'))).toBe(true);
    // Still ACTIVE and connected; both quotes come back on the next requote.
    expect(r.engine.state().trading_state).toBe('ACTIVE');
    await quoting(r);
    expect(r.engine.state().connection).toBe('up');
    expect(r.fake.openOrders().some((o) => o.instrument_name === a && o.direction === 'buy')).toBe(true);
    expect(r.fake.openOrders().some((o) => o.instrument_name === b && o.direction === 'sell')).toBe(true);
    await expectConsistent(r);
  });

  it("a slow reply: in doubt, quotes pulled over the kill path first, the order's truth asked and found", async () => {
    const r = await rig();
    const [a] = QUOTED as [string];
    r.fake.faults.delay = { method: 'private/buy', ms: 1300 };
    const from = r.fake.received.length;
    await fillQuote(r, a, 'buy');
    const slow = await waitFor('the slow bid at the venue', () =>
      r.fake.received.slice(from).find((q) => q.method === 'private/buy'),
    );
    r.fake.faults.delay = null;
    const { report: k, detected } = await killReportFor(r, /^no answer to private\/buy/);
    // The bid's requote also sent edits, before the detection: the cut is the detection's time.
    expect(slow.wallMs).toBeLessThanOrEqual(detected.timestampMs);
    const cut = r.fake.received.findIndex((q) => q.wallMs > detected.timestampMs);
    expectCancelFirst(r, cut, detected.timestampMs);
    report('slow reply (request timeout 800 ms)', k);
    await quoting(r);
    // The order whose answer came too late is known for what the venue says it is.
    const label = slow.label as string;
    const venue = [...r.fake.orders.values()].find((o) => o.label === label);
    const ours = await waitFor('the slow order settled', () => {
      const o = r.engine.core.orders.get(label);
      return o !== undefined && o.state !== 'pending' && o.state !== 'pending_cancel' ? o : undefined;
    });
    expect(ours.orderId).toBe(venue?.order_id);
    expect(ours.state).toBe(venue?.order_state === 'open' ? 'open' : venue?.order_state);
    // The answer that came too late is ignored, not taken for a second truth.
    await waitFor('the late answer', () => r.logs.some((l) => l.includes('late answer')));
    expect(r.engine.core.orders.get(label)?.state).toBe(ours.state);
    await expectConsistent(r);
  });

  it("a position changed behind the engine's back: a hidden fill is fetched; a change without a trade halts until resumed", async () => {
    const r = await rig();
    // A fill nobody was told about: the reconciliation after a reconnect fetches it. No halt.
    r.fake.hiddenFill(QUOTED[0] as string, 'sell', 0.3, 0.05);
    r.fake.dropMain();
    await expectConsistent(r);
    await quoting(r);
    expect(r.engine.state().trading_state).toBe('ACTIVE');

    // A position that moved without a trade (a transfer): only get_positions shows it.
    const accounts = journalInputs(r, 'account').length;
    const from = r.fake.received.length;
    r.fake.adjustPosition(PERP, 1000);
    r.adjusted.set(PERP, 1000);
    r.fake.dropMain();
    await waitFor('HALTED', () => r.engine.state().trading_state === 'HALTED');
    await waitFor('both reconciliations', () => journalInputs(r, 'account').length >= accounts + 2);
    const state = r.engine.state();
    expect(state.trading_reasons.join('\n')).toMatch(
      /reconciliation_mismatch: positions differ: BTC-PERPETUAL: ours 0, venue 1000/,
    );
    expect(state.alerts.some((x) => x.kind === 'mismatch' && x.message.includes('BTC-PERPETUAL'))).toBe(true);
    const halt = await waitFor('the halt cancel', () =>
      r.adapter.killReports.find((x) => x.reason.includes('HALTED') && x.answeredAtMs !== null),
    );
    expect(halt.connection).toBe('kill');
    // Nothing new while halted, for as long as nobody resumes (timers and tickers keep coming).
    for (let i = 0; i < 5; i++) {
      publishTickers(r.fake);
      await sleep(100);
    }
    expect(r.fake.received.slice(from).filter((q) => NEW_ORDER.has(q.method))).toEqual([]);
    expect(r.fake.openOrders()).toEqual([]);
    expect(r.engine.state().trading_state).toBe('HALTED');
    // The operator resumes: quoting starts again.
    const resumed = r.fake.received.length;
    const result = await r.engine.command({ type: 'resume' });
    expect(result).toMatchObject({ accepted: true, trading_state: 'ACTIVE' });
    await quoting(r);
    expect(r.fake.received.slice(resumed).some((q) => NEW_ORDER.has(q.method))).toBe(true);
    await expectConsistent(r);
  });

  it('mass quotes: MMP configured first, quotes keyed by group/instrument/side, edited in place; a missed heartbeat pulls them, the reconnect configures and quotes again', async () => {
    const r = await rig(MASS_CORE);
    const methods = () => r.fake.received.map((q) => q.method);
    expect(methods().indexOf('private/set_mmp_config')).toBeLessThan(methods().indexOf('private/mass_quote'));
    expect(methods().filter((m) => m === 'private/buy' || m === 'private/sell')).toEqual([]);
    // Every resting quote is the group's, one per side per instrument, named by that key.
    const named = () =>
      r.engine
        .state()
        .orders.map((o) => o.client_order_id)
        .sort();
    const keys = QUOTED.flatMap((i) => [`mq:it-mq:${i}:ask`, `mq:it-mq:${i}:bid`]).sort();
    expect(named()).toEqual(keys);
    expect(r.fake.openOrders().every((o) => o.mmp_group === 'it-mq' && o.quote === true)).toBe(true);
    // At most two instruments per request (three quoted: two requests).
    const sent = [...r.journal.replay({ order: 'append', types: ['output.command'] })]
      .map((x) => JSON.parse(x.body) as { kind: string; quotes?: unknown[] })
      .filter((c) => c.kind === 'mass_quote');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every((c) => (c.quotes?.length ?? 0) <= 2)).toBe(true);
    // A filled quote is quoted again under its key (a new order); the others are edited in place.
    const before = new Map(
      r.fake.openOrders().map((o) => [`${o.instrument_name}|${o.direction}`, o.order_id]),
    );
    await fillQuote(r, QUOTED[1] as string, 'sell');
    await quoting(r);
    expect(named()).toEqual(keys);
    const after = new Map(
      r.fake.openOrders().map((o) => [`${o.instrument_name}|${o.direction}`, o.order_id]),
    );
    expect(after.get(`${QUOTED[1]}|sell`)).not.toBe(before.get(`${QUOTED[1]}|sell`));
    expect(after.get(`${QUOTED[0]}|buy`)).toBe(before.get(`${QUOTED[0]}|buy`));
    await expectConsistent(r);
    // A missed heartbeat: the kill path pulls them; after the reconnect MMP again, then quotes.
    const from = r.fake.received.length;
    const silenced = r.fake.silenceMain(false) as number;
    const { report: k, detected } = await killReportFor(r, /^missed heartbeat/);
    expectCancelFirst(r, from, detected.timestampMs, silenced);
    expect(k.cancelled).toBe(QUOTED.length * 2);
    await quoting(r);
    const again = r.fake.received.slice(from).map((q) => q.method);
    expect(again.indexOf('private/set_mmp_config')).toBeGreaterThan(again.indexOf('private/cancel_all'));
    expect(again.indexOf('private/set_mmp_config')).toBeLessThan(again.indexOf('private/mass_quote'));
    expect(named()).toEqual(keys);
    await expectConsistent(r);
  });

  it("secrets: the client secret and the venue's tokens appear in no journal record, log or error", async () => {
    const r = await rig();
    // The venue echoes secrets in an error; the adapter must not pass them on.
    r.fake.faults.rejectNext = {
      method: 'private/buy',
      code: 10009,
      message: `not_enough_funds for ${SECRET} with ${r.fake.issuedTokens.join(' ')}`,
    };
    await fillQuote(r, QUOTED[0] as string, 'buy');
    const reject = await waitFor('the reject', () =>
      journalInputs(r, 'reject').find((i) => i.code === 10009),
    );
    expect(reject.message).toContain('[redacted]');
    r.fake.dropMain();
    await waitFor('reconnected', () => journalInputs(r, 'account').length >= 4);
    await quoting(r);
    // A wrong secret: the engine does not start, and says so without the secret it was given.
    const logs: string[] = [];
    const wrong = adapterFor(r.fake, logs, `${SECRET}-wrong`);
    const journal = SqliteJournal.open(join(r.dir, 'other.sqlite'));
    const engine = Engine.open({ core: CORE, journal, venue: wrong, timerMs: 0, runId: 'w' });
    const thrown = await engine.start().then(
      () => '',
      (error: unknown) => (error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)),
    );
    await wrong.stop();
    journal.close();
    expect(thrown).toMatch(/13004 invalid_credentials/);
    r.errors.push(thrown, ...logs, inspect(wrong, { depth: 4, showHidden: true }));
    expect(r.errors.join('\n')).not.toContain(SECRET);
    await expectConsistent(r);
    // (The search over everything runs after every scenario: `expectNoSecrets`.)
  });
});
