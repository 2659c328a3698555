/**
 * `ballast book import | show | pnl | reconcile`, run as a user runs them (the built CLI), on
 * temporary journal files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { cliPath, ensureBuilt, repoRoot, runCli } from './run-cli.js';

beforeAll(() => ensureBuilt(), 120_000);

const FIXTURES = join(repoRoot, 'test/fixtures/deribit-account');
const T0 = Date.UTC(2026, 0, 5, 9); // 5 January 2026 09:00 UTC

/** A fill in the documented import format (docs/import-format.md). */
function fill(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    venue: 'deribit',
    trade_id: 'BTC-1',
    trade_seq: 1,
    order_id: 'o1',
    instrument: 'BTC-PERPETUAL',
    side: 'buy',
    amount: '1000',
    price: '100000',
    fee: '0.000005',
    fee_currency: 'BTC',
    liquidity: 'taker',
    timestamp: T0,
    ...overrides,
  });
}

const GOOD = [
  fill(),
  fill({
    trade_id: 'BTC-2',
    trade_seq: 2,
    side: 'sell',
    amount: '400',
    price: '101000',
    timestamp: T0 + 60_000,
  }),
  fill({
    trade_id: 'BTC-3',
    trade_seq: 1,
    instrument: 'BTC-27MAR26-110000-C',
    amount: '2',
    price: '0.0125',
    fee: '0.0006',
    liquidity: 'maker',
    timestamp: T0 + 120_000,
  }),
];

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ballast-book-'));
  db = join(dir, 'journal.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function show(): Promise<Record<string, unknown>> {
  const result = await runCli(['book', 'show', '--db', db, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('ballast book import and show', () => {
  it('imports fills, shows signed amounts, average prices and cash as exact decimals; a second run journals nothing', async () => {
    const path = write('fills.jsonl', GOOD);
    const first = await runCli(['book', 'import', path, '--db', db]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /3 event\(s\) read, 3 journaled, 0 already journaled, 0 conflict\(s\), 0 rejected/,
    );
    const book = await show();
    expect(book).toMatchObject({
      fills: 3,
      positions: [
        { instrument: 'BTC-27MAR26-110000-C', amount: '2', avg_price: '0.0125' },
        { instrument: 'BTC-PERPETUAL', amount: '600', avg_price: '100000' },
      ],
      // Premium 2 x 0.0125 and three fees; the perpetual's P&L waits for the daily settlement.
      cash: { BTC: '-0.02561', ETH: '0', USDC: '0' },
    });
    const second = await runCli(['book', 'import', path, '--db', db]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/3 event\(s\) read, 0 journaled, 3 already journaled/);
    expect(await show()).toEqual(book);
  });

  it('the text form lists the positions and the cash', async () => {
    await runCli(['book', 'import', write('fills.jsonl', GOOD), '--db', db]);
    const result = await runCli(['book', 'show', '--db', db]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^BTC-PERPETUAL\s+600\s+100000$/m);
    expect(result.stdout).toMatch(/^ {2}BTC\s+-0\.02561$/m);
  });

  it('shows the figures in USD at the index given; a bad --index is refused', async () => {
    await runCli(['book', 'import', write('fills.jsonl', GOOD), '--db', db]);
    const result = await runCli(['book', 'show', '--db', db, '--json', '--index', 'btc_usd=95000']);
    expect(result.code).toBe(0);
    const book = JSON.parse(result.stdout) as Record<string, unknown>;
    // -0.02561 BTC x 95,000 USD = -2,432.95 USD exactly; no ETH or USDC held.
    expect(book.usd).toMatchObject({
      index: { btc_usd: '95000' },
      source: '--index',
      cash: { BTC: '-2432.95' },
      total: { cash: '-2432.95' },
      missing: [],
    });
    const text = await runCli(['book', 'show', '--db', db, '--index', 'btc_usd=95000']);
    expect(text.stdout).toMatch(/^ {2}BTC\s+-0\.02561 {2}\(-2432\.95 USD\)$/m);
    const bad = await runCli(['book', 'show', '--db', db, '--index', 'btc=1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--index/);
    // Without --index and without a mark event there is no USD figure.
    expect((await show()).usd).toBeUndefined();
  });

  it.each([
    ['a malformed line', '{"venue": "deribit",', 'JSON .*malformed'],
    ['an unknown instrument', fill({ trade_id: 'X', instrument: 'BTC-NOPE' }), 'instrument: '],
    ['a negative amount', fill({ trade_id: 'X', amount: '-5' }), 'amount: '],
    [
      'a fill after its instrument expiry',
      fill({ trade_id: 'X', instrument: 'BTC-2JAN26', timestamp: T0 }),
      'timestamp',
    ],
  ])('refuses %s with its line number and field, and journals nothing', async (_what, bad, field) => {
    const path = write('fills.jsonl', [GOOD[0] as string, '', bad, GOOD[1] as string]);
    const result = await runCli(['book', 'import', path, '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`line 3, ${field}`));
    expect(result.stderr).toMatch(/nothing journaled/);
    expect((await show()).fills).toBe(0);
  });

  it('--skip-invalid journals the valid lines and writes the rejected ones with reasons', async () => {
    const path = write('fills.jsonl', [GOOD[0] as string, fill({ trade_id: 'X', amount: '-5' })]);
    const rejects = join(dir, 'rejects.jsonl');
    const result = await runCli(['book', 'import', path, '--db', db, '--skip-invalid', rejects]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/1 journaled.*1 rejected/);
    const [reject] = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(reject).toMatchObject({ line: 2, errors: [{ field: 'amount' }] });
    expect((await show()).fills).toBe(1);
  });

  it('imports the venue transaction log and trade history (documented examples), each once', async () => {
    const log = join(FIXTURES, 'get_transaction_log.json');
    const trades = join(FIXTURES, 'get_user_trades_by_currency.json');
    expect((await runCli(['book', 'import', log, '--db', db])).stdout).toMatch(
      /\(deribit-log\): 5 event\(s\) read, 5 journaled/,
    );
    expect(
      (await runCli(['book', 'import', trades, '--db', db, '--format', 'deribit-trades'])).stdout,
    ).toMatch(/2 journaled/);
    expect((await runCli(['book', 'import', log, '--db', db])).stdout).toMatch(
      /0 journaled, 5 already journaled/,
    );
    const book = await show();
    expect(book).toMatchObject({
      fills: 3,
      // 0.65 deposit - 2.5 transfer - 0.1537 premium + 0.00000993 funding + 0.028 premium - 0.0004 + 0.00000021 fees
      cash: { BTC: '-1.97608986' },
      funding: { BTC: '0.00000993' },
    });
  });

  it('refuses a venue file with an entry it cannot book, naming line, entry and field', async () => {
    const result = await runCli([
      'book',
      'import',
      join(FIXTURES, 'transaction_log_constructed.json'),
      '--db',
      db,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line \d+ \(result\.logs\[2\]\), type: got "swap"/);
    expect((await show()).fills).toBe(0);
  });

  it('--skip-invalid on a venue file journals the entries it can book and writes the others with their place', async () => {
    const rejects = join(dir, 'rejects.jsonl');
    const file = join(FIXTURES, 'transaction_log_constructed.json');
    const result = await runCli(['book', 'import', file, '--db', db, '--skip-invalid', rejects]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /2 event\(s\) read, 2 journaled, 0 already journaled, 0 conflict\(s\), 1 rejected/,
    );
    const reject = JSON.parse(readFileSync(rejects, 'utf8').trim()) as Record<string, unknown>;
    expect(reject).toMatchObject({ path: 'result.logs[2]', errors: [{ field: 'type' }] });
    expect(typeof reject.line).toBe('number');
  });

  it('a missing input file is a usage error (exit 2); so is show on a missing journal', async () => {
    expect((await runCli(['book', 'import', join(dir, 'none.jsonl'), '--db', db])).code).toBe(2);
    expect(existsSync(db)).toBe(false);
    expect((await runCli(['book', 'show', '--db', db])).code).toBe(2);
  });
});

describe('ballast book pnl', () => {
  it('reports realized P&L, fees, funding and cash change between two times', async () => {
    await runCli(['book', 'import', write('fills.jsonl', GOOD), '--db', db]);
    const args = ['book', 'pnl', '--db', db, '--json'];
    const result = await runCli([...args, '--from', '2026-01-05T09:00:30Z', '--to', '2026-01-05T10:00:00Z']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // Sold 400 USD bought at 100000 for 101000: 400 x (1/100000 - 1/101000) = 0.0000396039603960396... BTC, 0.000039603960 at 12 decimals.
    expect(JSON.parse(result.stdout)).toEqual({
      from: '2026-01-05T09:00:30.000Z',
      to: '2026-01-05T10:00:00.000Z',
      fills: 2,
      by_currency: {
        BTC: { realized: '0.00003960396', fees: '0.000605', funding: '0', cash_change: '-0.025605' },
      },
    });
    const bad = await runCli([...args, '--from', 'yesterday', '--to', '2026-01-06']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--from: got "yesterday", expected an ISO 8601 time/);
  });
});

describe('ballast book reconcile', () => {
  beforeEach(async () => {
    await runCli(['book', 'import', join(FIXTURES, 'get_transaction_log.json'), '--db', db]);
  });

  it('exits 0 when the venue snapshot agrees with the journal folded to its time', async () => {
    // Constructed in the venue's shapes (summary and positions results) to agree with the documented log.
    const snapshot = write('snapshot.json', [
      JSON.stringify({
        timestamp: 1613659900000,
        account_summary: { result: { currency: 'BTC', balance: -2.00369007 } },
        positions: {
          result: [
            { instrument_name: 'BTC-19FEB21-49200-C', size: 1, direction: 'buy', average_price: 0.1537 },
          ],
        },
      }),
    ]);
    const result = await runCli(['book', 'reconcile', snapshot, '--db', db]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/0 difference\(s\)/);
    // Folded before the trade (--at), the same snapshot differs in cash and position.
    const earlier = await runCli([
      'book',
      'reconcile',
      snapshot,
      '--db',
      db,
      '--at',
      '2021-02-18T14:00:00Z',
      '--json',
    ]);
    expect(earlier.code).toBe(1);
    const report = JSON.parse(earlier.stdout) as { differences: { kind: string }[] };
    expect(report.differences.map((d) => d.kind)).toEqual(['cash', 'position']);
  });

  it('exits 1 and lists the differences against the documented summary and positions', async () => {
    const snapshot = write('snapshot.jsonl', [
      JSON.stringify(JSON.parse(readFileSync(join(FIXTURES, 'get_account_summary.json'), 'utf8'))),
      JSON.stringify(JSON.parse(readFileSync(join(FIXTURES, 'get_positions.json'), 'utf8'))),
    ]);
    const result = await runCli(['book', 'reconcile', snapshot, '--db', db, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { differences: Record<string, unknown>[] };
    expect(report.differences).toEqual([
      expect.objectContaining({ kind: 'cash', currency: 'BTC', ours: '-2.00369007', venue: '302.60065765' }),
      expect.objectContaining({ kind: 'position', instrument: 'BTC-19FEB21-49200-C', ours: '1', venue: '0' }),
      expect.objectContaining({ kind: 'position', instrument: 'BTC-PERPETUAL', ours: '0', venue: '50' }),
    ]);
  });
});

describe('ballast book --help', () => {
  it('lists the four subcommands with one-line descriptions', async () => {
    const result = await runCli(['book', '--help']);
    expect(result.code).toBe(0);
    for (const command of ['import', 'show', 'pnl', 'reconcile']) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b.*\\S.*$`, 'm'));
    }
  });
});

/** util-linux `script` runs a command on a pseudo-terminal: stderr is then a TTY. */
const hasScript = ((): boolean => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('ballast book import progress', () => {
  // Under CI a missing `script` (util-linux) fails the test instead of skipping it.
  it.skipIf(!hasScript && process.env['CI'] !== 'true')(
    'draws a progress bar on a terminal for a large file, then the summary line',
    () => {
      const lines = Array.from({ length: 25_000 }, (_, i) =>
        fill({
          trade_id: `B${i}`,
          trade_seq: i,
          side: i % 2 === 0 ? 'buy' : 'sell',
          amount: '10',
          timestamp: T0 + i,
        }),
      );
      const path = write('big.jsonl', lines);
      const command = [process.execPath, cliPath, 'book', 'import', path, '--db', db]
        .map((a) => `'${a}'`)
        .join(' ');
      const out = execFileSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
      expect(out).toMatch(/validating 25,000 lines/);
      expect(out).toMatch(/\[#{30}\] 100% 25,000 journaled/);
      expect(out).toMatch(/25000 event\(s\) read, 25000 journaled/);
    },
    60_000,
  );
});
