import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  readRiskBook,
  readRiskMarket,
  type RiskMarket,
  type RiskPosition,
} from '../../../src/risk/inputs.js';
import { repoRoot } from '../../cli/run-cli.js';

export const SNAPSHOT = readFileSync(join(repoRoot, 'data/deribit/btc-options-2020-05-21.jsonl'), 'utf8');

export interface StressReference {
  book: { instrument: string; amount: number }[];
  future_line: Record<string, unknown>;
  iv_mark: Record<string, number>;
  base_value_usd: number;
  spot_shocks: number[];
  vol_shifts: number[];
  pnl_usd: number[][];
}

export const REFERENCE = JSON.parse(
  readFileSync(join(repoRoot, 'test/fixtures/risk/stress-reference.json'), 'utf8'),
) as StressReference;

/** The shared snapshot plus the reference's future line. */
export function referenceMarket(): Promise<RiskMarket> {
  return readRiskMarket(`${SNAPSHOT}\n${JSON.stringify(REFERENCE.future_line)}\n`);
}

export function bookOf(positions: { instrument: string; amount: number }[]): Promise<RiskPosition[]> {
  return readRiskBook(positions.map((p) => JSON.stringify(p)).join('\n'));
}
