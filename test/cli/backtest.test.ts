/** `ballast backtest`, run as a user runs it (the built CLI), on the committed scenario. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot, runCli } from './run-cli.js';

beforeAll(() => ensureBuilt(), 120_000);
const dir = mkdtempSync(join(tmpdir(), 'ballast-backtest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = readFileSync(join(repoRoot, 'scenarios/as-btc-perpetual.yaml'), 'utf8').replace(
  'duration_s: 3600',
  'duration_s: 300',
);
const path = join(dir, 'scenario.yaml');
writeFileSync(path, SCENARIO);

describe('ballast backtest', () => {
  it('runs the committed protected scenario: MMP triggers and cancel-on-disconnect reported per seed', async () => {
    const text = readFileSync(join(repoRoot, 'scenarios/as-btc-perpetual-protected.yaml'), 'utf8');
    const short = join(dir, 'protected.yaml');
    // The first drop (900 s) inside a 1,000 s run.
    writeFileSync(short, text.replace('duration_s: 3600', 'duration_s: 1000'));
    const result = await runCli(['backtest', '--scenario', short]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /protections:\n {2}seed 1: \d+ MMP trigger\(s\); 1 drop\(s\), \d+ order\(s\) cancelled on disconnect/,
    );
  });

  it('prints the same bytes for the same seed, other bytes for another seed', async () => {
    const a = await runCli(['backtest', '--scenario', path, '--json']);
    const b = await runCli(['backtest', '--scenario', path, '--json']);
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.stdout).toBe(b.stdout);
    const seed2 = join(dir, 'seed2.yaml');
    writeFileSync(seed2, SCENARIO.replace('seed: 1', 'seed: 2'));
    expect((await runCli(['backtest', '--scenario', seed2, '--json'])).stdout).not.toBe(a.stdout);
  });

  it('reports every seed of a sweep and the summary, and writes the HTML report', async () => {
    const html = join(dir, 'report.html');
    const result = await runCli(['backtest', '--scenario', path, '--seeds', '3', '--json', '--html', html]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      runs: { seed: number; markouts: unknown[] }[];
      summary: { seeds: number };
    };
    expect(report.runs.map((r) => r.seed)).toEqual([1, 2, 3]);
    expect(report.summary.seeds).toBe(3);
    expect(report.runs[0]?.markouts).toHaveLength(3);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('as-btc-perpetual, seed 1');
  });

  it('runs every combination of a sweep for every seed and summarizes each', async () => {
    const sweep = join(dir, 'sweep.yaml');
    writeFileSync(sweep, `${SCENARIO}sweep: { strategy.gamma: [0.00001, 0.0001] }\n`);
    const result = await runCli(['backtest', '--scenario', sweep, '--seeds', '2', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      runs: { seed: number; params: Record<string, number> }[];
      variants: { params: Record<string, number>; seeds: number }[];
    };
    expect(report.runs.map((r) => [r.params['strategy.gamma'], r.seed])).toEqual([
      [0.00001, 1],
      [0.00001, 2],
      [0.0001, 1],
      [0.0001, 2],
    ]);
    expect(report.variants.map((v) => [v.params['strategy.gamma'], v.seeds])).toEqual([
      [0.00001, 2],
      [0.0001, 2],
    ]);
  });

  it('refuses a bad scenario with the field named', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, SCENARIO.replace('gamma: 0.00001', 'gamma: -1'));
    const result = await runCli(['backtest', '--scenario', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/strategy\.gamma/);
  });
});
