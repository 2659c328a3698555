/**
 * Pieces of `ballast book import` that a child process cannot show: the progress line drawn on
 * a terminal, and the choice of layout from the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { detectFormat, progressLine } from '../../src/cli/commands/book-import.js';

describe('progressLine', () => {
  it('draws nothing for a small file', () => {
    expect(
      progressLine({ phase: 'journal', lines: 500, totalLines: 1000, appended: 500, duplicates: 0 }),
    ).toBeNull();
  });

  it('counts lines while validating, then draws the journaled part of a large file', () => {
    expect(
      progressLine({ phase: 'validate', lines: 25_000, totalLines: 0, appended: 0, duplicates: 0 }),
    ).toBe('validating 25,000 lines');
    expect(
      progressLine(
        { phase: 'journal', lines: 50_000, totalLines: 100_000, appended: 45_000, duplicates: 5_000 },
        10,
      ),
    ).toBe('[#####.....]  50% 45,000 journaled, 5,000 duplicates');
  });
});

describe('detectFormat', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ballast-detect-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('tells the documented layouts from the venue responses', () => {
    expect(detectFormat(file('a.csv', 'venue,trade_id\n'))).toBe('csv');
    expect(detectFormat(file('a.txt', 'venue,trade_id\n'))).toBe('csv');
    expect(detectFormat(file('a.jsonl', '{"venue":"deribit"}\n{"venue":"deribit"}\n'))).toBe('jsonl');
    expect(detectFormat(file('t.json', '{"jsonrpc":"2.0","result":{"trades":[]}}'))).toBe('deribit-trades');
    expect(detectFormat(file('l.json', '{"result":{"logs":[],"continuation":null}}'))).toBe('deribit-log');
  });
});
