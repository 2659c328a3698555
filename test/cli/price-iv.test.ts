/**
 * `ballast price` and `ballast iv` through the built CLI: results at full double precision,
 * order kept, blank lines skipped, every bad line an error naming the field and the value
 * while the good lines go on, exit status 0 / 1 / 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { black76 } from '../../src/pricing/black76.js';
import { impliedVol } from '../../src/pricing/implied-vol.js';
import { ensureBuilt, jsonLines, runCli } from './run-cli.js';

beforeAll(() => ensureBuilt(), 120_000);

const scratch = mkdtempSync(join(tmpdir(), 'ballast-cli-'));

const good = [
  { kind: 'call', forward: 9096.11, strike: 9250, expiry_years: 0.000989, vol: 0.8505, rate: 0 },
  { kind: 'put', forward: 9262.01, strike: 24000, expiry_years: 0.5955, vol: 1.0732, rate: 0 },
  { kind: 'call', forward: 100, strike: 80, expiry_years: 2, vol: 0.25, rate: 0.03 },
  { kind: 'put', forward: 100, strike: 130, expiry_years: 0.1, vol: 0.4, rate: -0.01 },
] as const;

const jsonl = (lines: readonly unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

describe('ballast price', () => {
  it('gives Black-76 price and greeks at full double precision, in input order, blank lines skipped', async () => {
    const input = '\n' + jsonl(good.slice(0, 2)) + '   \n\n' + jsonl(good.slice(2));
    const result = await runCli(['price'], input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = jsonLines(result.stdout);
    expect(out).toHaveLength(good.length);
    good.forEach((line, i) => {
      const g = black76(line.kind, line.forward, line.strike, line.expiry_years, line.vol, line.rate);
      // Exact equality: JSON.stringify writes the shortest text that reads back as the same double.
      expect(out[i]).toEqual({ ...g });
      expect(Object.keys(out[i] ?? {})).toEqual([
        'price',
        'delta',
        'gamma',
        'vega',
        'theta',
        'rho',
        'vanna',
        'volga',
      ]);
    });
  });

  it('reads --input FILE the same as stdin', async () => {
    const path = join(scratch, 'good.jsonl');
    writeFileSync(path, jsonl(good));
    const fromFile = await runCli(['price', '--input', path]);
    const fromStdin = await runCli(['price'], jsonl(good));
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toBe(fromStdin.stdout);
  });

  it('handles CRLF line endings', async () => {
    const result = await runCli(['price'], good.map((l) => JSON.stringify(l)).join('\r\n') + '\r\n');
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toHaveLength(good.length);
  });

  it('streams many lines in order', async () => {
    const n = 20_000;
    const lines = Array.from({ length: n }, (_, i) => ({ ...good[2], strike: 50 + i * 0.01 }));
    const result = await runCli(['price'], jsonl(lines));
    expect(result.code).toBe(0);
    const out = jsonLines(result.stdout);
    expect(out).toHaveLength(n);
    expect(out[2000]?.['price']).toBe(black76('call', 100, 50 + 2000 * 0.01, 2, 0.25, 0.03).price);
    expect(out[3000]?.['price']).toBe(black76('call', 100, 50 + 3000 * 0.01, 2, 0.25, 0.03).price);
    expect(out[n - 1]?.['price']).toBe(black76('call', 100, 50 + (n - 1) * 0.01, 2, 0.25, 0.03).price);
  }, 60_000);
});

describe('ballast iv', () => {
  it('gives back the vol of a price from ballast price (round trip)', async () => {
    const priced = jsonLines((await runCli(['price'], jsonl(good))).stdout);
    const ivInput = good.map((line, i) => {
      const { vol: _vol, ...rest } = line;
      return { ...rest, price: priced[i]?.['price'] };
    });
    const result = await runCli(['iv'], jsonl(ivInput));
    expect(result.code).toBe(0);
    const out = jsonLines(result.stdout);
    expect(out).toHaveLength(good.length);
    good.forEach((line, i) => {
      const vol = out[i]?.['vol'] as number;
      expect(Object.keys(out[i] ?? {})).toEqual(['vol']);
      expect(Math.abs(vol - line.vol) / line.vol).toBeLessThan(1e-12);
      const price = ivInput[i]?.price as number;
      expect(vol).toBe(impliedVol(line.kind, price, line.forward, line.strike, line.expiry_years, line.rate));
    });
  });
});

describe('bad input: one error line naming the field and the value, the rest go on', () => {
  const base = { kind: 'call', forward: 100, strike: 100, expiry_years: 1, vol: 0.2, rate: 0 };
  const { vol: _vol, ...ivBase } = { ...base, price: 8 };

  // [description, input line, expected error pattern]
  const priceCases: [string, string, RegExp][] = [
    ['malformed JSON', '{"kind": "call", forward: 100}', /^line \d+: JSON ".*": malformed \(/],
    ['an array', '[1, 2, 3]', /^line \d+: JSON "\[1, 2, 3\]": expected an object .*got an array/],
    ['a number', '42', /^line \d+: JSON "42": expected an object .*got a number/],
    ['null', 'null', /^line \d+: JSON "null": expected an object .*got null/],
    [
      'missing forward',
      JSON.stringify({ ...base, forward: undefined }),
      /^line \d+: forward: missing, expected a number$/,
    ],
    [
      'a numeric string',
      JSON.stringify({ ...base, strike: '100' }),
      /^line \d+: strike: got "100", expected a JSON number, not a string/,
    ],
    [
      'a non-numeric string',
      JSON.stringify({ ...base, vol: 'high' }),
      /^line \d+: vol: got "high", expected a number$/,
    ],
    [
      'unknown kind',
      JSON.stringify({ ...base, kind: 'straddle' }),
      /^line \d+: kind: got "straddle", expected "call" or "put"$/,
    ],
    [
      'missing kind',
      JSON.stringify({ ...base, kind: undefined }),
      /^line \d+: kind: missing, expected "call" or "put"$/,
    ],
    [
      'negative forward',
      JSON.stringify({ ...base, forward: -5 }),
      /^line \d+: forward: got -5, expected a positive finite number$/,
    ],
    [
      'zero strike',
      JSON.stringify({ ...base, strike: 0 }),
      /^line \d+: strike: got 0, expected a positive finite number$/,
    ],
    [
      'zero expiry',
      JSON.stringify({ ...base, expiry_years: 0 }),
      /^line \d+: expiry_years: got 0, expected a positive finite number$/,
    ],
    [
      'negative vol',
      JSON.stringify({ ...base, vol: -0.2 }),
      /^line \d+: vol: got -0.2, expected a positive finite number$/,
    ],
    [
      'infinite rate',
      '{"kind":"call","forward":100,"strike":100,"expiry_years":1,"vol":0.2,"rate":1e999}',
      /^line \d+: rate: got Infinity, expected a finite number$/,
    ],
    [
      'missing rate',
      JSON.stringify({ ...base, rate: undefined }),
      /^line \d+: rate: missing, expected a number$/,
    ],
  ];

  it('ballast price: every case, with good lines between them, exit status 1', async () => {
    const lines: string[] = [];
    for (const [, line] of priceCases) lines.push(JSON.stringify(base), line);
    lines.push(JSON.stringify(base));
    const result = await runCli(['price'], lines.join('\n') + '\n');
    expect(result.code).toBe(1);
    const out = jsonLines(result.stdout);
    expect(out).toHaveLength(lines.length);
    const expected = black76('call', 100, 100, 1, 0.2, 0);
    priceCases.forEach(([what, , pattern], i) => {
      expect(out[2 * i], 'good line before ' + what).toEqual({ ...expected });
      const error = out[2 * i + 1]?.['error'];
      expect(typeof error, what).toBe('string');
      expect(error, what).toMatch(pattern);
      expect(error, what).toMatch(new RegExp(`^line ${2 * i + 2}: `)); // physical line number
    });
    expect(out[lines.length - 1]).toEqual({ ...expected });
  });

  it('ballast iv: a price outside the attainable range names price and its value', async () => {
    const lines = [
      ivBase,
      { ...ivBase, price: 150 }, // above the forward: no call is worth more than F
      { ...ivBase, strike: 80, price: 10 }, // below intrinsic 20
      { ...ivBase, price: -1 },
      { ...ivBase, price: '8' },
      { ...ivBase, price: undefined },
      { ...ivBase, expiry_years: -1 },
      ivBase,
    ];
    const result = await runCli(['iv'], jsonl(lines));
    expect(result.code).toBe(1);
    const out = jsonLines(result.stdout);
    expect(out).toHaveLength(lines.length);
    // At the money, F = K = 100, T = 1: 8 = 100 (2 N(vol / 2) - 1), vol = 0.200867...
    expect(out[0]?.['vol']).toBeCloseTo(0.2008674, 7);
    expect(out[1]?.['error']).toMatch(/^line 2: price: got 150, expected /);
    expect(out[2]?.['error']).toMatch(/^line 3: price: got 10, expected /);
    expect(out[3]?.['error']).toMatch(/^line 4: price: got -1, expected /);
    expect(out[4]?.['error']).toMatch(/^line 5: price: got "8", expected a JSON number, not a string/);
    expect(out[5]?.['error']).toMatch(/^line 6: price: missing, expected a number$/);
    expect(out[6]?.['error']).toMatch(/^line 7: expiry_years: got -1, expected a positive finite number$/);
    expect(out[7]).toEqual(out[0]);
  });
});

describe('exit status and errors on stderr', () => {
  it('0 when every line is computed', async () => {
    expect((await runCli(['iv'], '')).code).toBe(0);
    expect((await runCli(['price'], jsonl(good))).code).toBe(0);
  });

  it('2 and one line on stderr for an --input file that cannot be read', async () => {
    const missing = await runCli(['price', '--input', join(scratch, 'no-such-file.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(
      /^ballast: cannot read input file ".*no-such-file\.jsonl": no such file\n$/,
    );

    const directory = await runCli(['iv', '--input', scratch]);
    expect(directory.code).toBe(2);
    expect(directory.stderr.trim().split('\n')).toHaveLength(1);
    expect(directory.stderr).toMatch(/is a directory/);
  });

  it('2 for an unknown command or option', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['price', '--no-such-option'])).code).toBe(2);
  });
});
