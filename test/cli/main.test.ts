/**
 * The `ballast` program as a whole: help, version, and `start` on the embedded snapshot.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { ensureBuilt, repoRoot, runCli } from './run-cli.js';

beforeAll(() => ensureBuilt(), 120_000);

describe('ballast --help and --version', () => {
  it('--help lists the commands with one-line descriptions', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['price', 'iv', 'start']) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b.*\\S.*$`, 'm'));
    }
  });

  it('`npx ballast --help` works from the repository root (the package bin)', () => {
    const stdout = execFileSync('npx', ['--no-install', 'ballast', '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    for (const command of ['price', 'iv', 'start'])
      expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('a command help describes its input and output', async () => {
    const result = await runCli(['iv', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/expiry_years/);
    expect(result.stdout).toMatch(/--input/);
  });

  it('--version prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe('ballast start', () => {
  it('checks the embedded snapshot from any working directory and prints the summary', async () => {
    const result = await runCli(['start'], '', tmpdir());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/data\/deribit\/btc-options-2020-05-21\.jsonl/);
    expect(out).toMatch(/326 options over 7 expiries/);
    for (const expiry of ['22MAY20', '23MAY20', '29MAY20', '5JUN20', '26JUN20', '25SEP20', '25DEC20']) {
      expect(out).toMatch(new RegExp(`^${expiry}\\s`, 'm'));
    }
    // Every option with more than two days left agrees with the venue's greeks.
    for (const [expiry, count] of [
      ['29MAY20', 42],
      ['5JUN20', 50],
      ['26JUN20', 58],
      ['25SEP20', 42],
      ['25DEC20', 38],
    ] as const) {
      expect(out).toMatch(new RegExp(`^${expiry}\\s.*\\s${count}/${count}$`, 'm'));
    }
    expect(out).toMatch(/^total\s+326\s/m);
    expect(out).toMatch(/implied vol \d+ ns\/option; display greeks \d+ ns\/option/);
    // Marks at or below intrinsic are warnings, not failures.
    expect(out).toMatch(/^ {2}warning: BTC-22MAY20-\S+: mark .* at or below intrinsic/m);
  }, 60_000);

  it('--input FILE that cannot be read: exit 2, one line on stderr', async () => {
    const result = await runCli(['start', '--input', join(tmpdir(), 'ballast-no-such-snapshot.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
