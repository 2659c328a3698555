/**
 * `ballast risk`, run as a user runs it (the built CLI): the stress grid of the flags
 * against the independent mpmath computation (`scripts/reference/stress_reference.py`), the
 * JSON shape with unit-named greeks, limits, and bad input named by line and field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot, runCli } from './run-cli.js';

beforeAll(() => ensureBuilt(), 120_000);
const dir = mkdtempSync(join(tmpdir(), 'ballast-risk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Reference {
  book: { instrument: string; amount: number }[];
  future_line: Record<string, unknown>;
  spot_shocks: number[];
  vol_shifts: number[];
  pnl_usd: number[][];
}
const REFERENCE = JSON.parse(
  readFileSync(join(repoRoot, 'test/fixtures/risk/stress-reference.json'), 'utf8'),
) as Reference;
const SNAPSHOT = readFileSync(join(repoRoot, 'data/deribit/btc-options-2020-05-21.jsonl'), 'utf8');

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const bookPath = file('book.jsonl', REFERENCE.book.map((p) => JSON.stringify(p)).join('\n') + '\n');
const marketPath = file('market.jsonl', `${JSON.stringify(REFERENCE.future_line)}\n${SNAPSHOT}`);
const GRID_FLAGS = [
  '--spot-shocks',
  REFERENCE.spot_shocks.join(','),
  '--vol-shifts',
  REFERENCE.vol_shifts.join(','),
  '--vol-model',
  'sticky-strike',
  '--marks',
  'venue',
];

describe('ballast risk', () => {
  it('gives the stress grid of the independent computation (to 1e-6 USD) and every section of the report', async () => {
    const result = await runCli([
      'risk',
      '--book',
      bookPath,
      '--market',
      marketPath,
      '--json',
      ...GRID_FLAGS,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the report JSON, read field by field
    const report = JSON.parse(result.stdout) as Record<string, any>;
    for (const key of ['greeks', 'stress', 'margin', 'limits', 'liquidity', 'expiry', 'warnings'])
      expect(report).toHaveProperty(key);
    expect(report.stress.spot_shocks).toEqual(REFERENCE.spot_shocks);
    expect(report.stress.vol_shifts).toEqual(REFERENCE.vol_shifts);
    REFERENCE.pnl_usd.forEach((row, i) =>
      row.forEach((want, j) =>
        expect(Math.abs((report.stress.pnl_usd[i][j] as number) - want)).toBeLessThan(1e-6),
      ),
    );
    const btc = report.greeks.by_underlying[0].total as Record<string, number>;
    for (const key of [
      'delta_btc',
      'delta_usd',
      'gamma_btc_per_unit_move_sq',
      'vega_usd_per_vol_pt',
      'vega_weighted_usd_per_vol_pt',
      'theta_usd_per_day',
    ]) {
      expect(Number.isFinite(btc[key])).toBe(true);
    }
    // Coin and USD agree at the index.
    expect(btc.delta_usd).toBeCloseTo(
      (btc.delta_btc as number) * report.greeks.by_underlying[0].index_usd,
      6,
    );
    expect(report.margin.BTC.initial_margin_coin).toBeGreaterThan(0);
    // Dealer gamma from the snapshot's open interest, the assumption stated.
    expect(report.gamma.BTC.positioning).toMatch(/customers long calls, short puts/);
    expect(Number.isFinite(report.gamma.BTC.total_gex_usd_per_1pct)).toBe(true);
  });

  it('reads a limits file and reports each limit with its use; a breach exits 1', async () => {
    const limits = file(
      'limits.yaml',
      'limits:\n  - name: btc-delta\n    scope: { underlying: BTC }\n    measure: delta_coin\n    max: 0.001\n  - name: vega\n    measure: vega_usd\n    max: 1e9\n',
    );
    const result = await runCli([
      'risk',
      '--book',
      bookPath,
      '--market',
      marketPath,
      '--limits',
      limits,
      '--json',
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { limits: { limit: string; breached: boolean }[] };
    expect(report.limits.map((l) => [l.limit, l.breached])).toEqual([
      ['btc-delta', true],
      ['vega', false],
    ]);
  });

  it.each([
    [
      'an unknown instrument in the book',
      'book',
      '{"instrument":"BTC-NOPE","amount":1}\n',
      /line 1: instrument/,
    ],
    [
      'a missing mark',
      'book',
      '{"instrument":"BTC-26JUN20-10000-C","amount":1}\n{"instrument":"ETH-PERPETUAL","amount":10}\n',
      /book line 2: instrument/,
    ],
    ['a bad amount', 'book', '{"instrument":"BTC-PERPETUAL","amount":"ten"}\n', /line 1: amount/],
    ['an invalid limits file', 'limits', 'limits:\n  - measure: delta\n    max: 1\n', /limits\[0\]\.measure/],
  ])('refuses %s with one clear error naming the line and field', async (_what, kind, text, message) => {
    const path = file(`bad-${kind}.txt`, text);
    const args =
      kind === 'book'
        ? ['--book', path, '--market', marketPath]
        : ['--book', bookPath, '--market', marketPath, '--limits', path];
    const result = await runCli(['risk', ...args]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
