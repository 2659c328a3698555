/**
 * `ballast paper as2008`, run as a user runs it (the built CLI): the JSON is the library's result
 * for the same options, the same seed prints the same bytes, the table names both strategies,
 * and bad options are usage errors (exit 2).
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { runAs2008 } from '../../src/sim/as2008.js';
import { ensureBuilt, runCli } from './run-cli.js';

beforeAll(() => ensureBuilt(), 120_000);

describe('ballast paper as2008', () => {
  it('--json prints the study for the given gamma, paths and seed', async () => {
    const args = ['paper', 'as2008', '--gamma', '0.1', '--paths', '200', '--seed', '7', '--json'];
    const first = await runCli(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual(runAs2008({ gamma: 0.1, paths: 200, seed: 7 }));
    const again = await runCli(args);
    expect(again.stdout).toBe(first.stdout);
    const other = await runCli([
      'paper',
      'as2008',
      '--gamma',
      '0.1',
      '--paths',
      '200',
      '--seed',
      '8',
      '--json',
    ]);
    expect(other.stdout).not.toBe(first.stdout);
  });

  it('defaults to 1000 paths and seed 1', async () => {
    const r = await runCli(['paper', 'as2008', '--gamma', '1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(runAs2008({ gamma: 1, paths: 1000, seed: 1 }));
  });

  it('prints a table without --json', async () => {
    const r = await runCli(['paper', 'as2008', '--gamma', '0.01', '--paths', '100']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gamma 0.01, 100 paths, seed 1');
    expect(r.stdout).toMatch(/^inventory\s/m);
    expect(r.stdout).toMatch(/^symmetric\s/m);
  });

  it.each([
    [['--gamma', 'abc']],
    [['--gamma', '0']],
    [['--gamma', '-1']],
    [[]],
    [['--gamma', '0.1', '--paths', '1']],
    [['--gamma', '0.1', '--paths', '2.5']],
    [['--gamma', '0.1', '--seed', '-3']],
    [['--gamma', '0.1', '--bogus']],
  ])('bad options %j are a usage error', async (extra) => {
    const r = await runCli(['paper', 'as2008', ...extra]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error/);
  });
});
