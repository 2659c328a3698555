/**
 * `ballast chain`: the table and the JSON object on the embedded chain, and bad lines that each
 * give one warning naming the instrument while the rest of the chain is processed.
 */
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { ensureBuilt, runCli } from './run-cli.js';

const badLines = fileURLToPath(new URL('../fixtures/chain/bad-lines.jsonl', import.meta.url));

beforeAll(() => ensureBuilt(), 120_000);

interface Report {
  as_of: string;
  model: string;
  instruments: Record<string, number | string | null>[];
  expiries: Record<string, unknown>[];
  warnings: string[];
  quote_arbitrage: { kind: string; instruments: string[] }[];
}

describe('ballast chain', () => {
  it('--json prints one object with the documented fields', async () => {
    const result = await runCli(['chain', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.instruments).toHaveLength(326);
    for (const key of [
      'instrument_name',
      'iv_mark',
      'iv_bid',
      'iv_ask',
      'iv_fit',
      'delta',
      'gamma',
      'vega',
      'theta',
    ]) {
      expect(report.instruments[0], key).toHaveProperty(key);
    }
    expect(report.expiries).toHaveLength(7);
    for (const e of report.expiries) {
      for (const key of [
        'expiry',
        'forward',
        'atm_vol',
        'svi',
        'rmse_vol_pts',
        'within_spread_share',
        'butterfly_free',
        'calendar_free',
      ]) {
        expect(e, key).toHaveProperty(key);
      }
      expect(Object.keys(e['svi'] as object).sort()).toEqual(['a', 'b', 'm', 'rho', 'sigma']);
      expect(e['expiry']).toMatch(/^\d{4}-\d\d-\d\dT08:00:00\.000Z$/);
    }
    // Vols are decimals: the 5JUN20 at-the-money vol is near 0.78, not 78.
    const june5 = report.expiries.find((e) => String(e['expiry']).startsWith('2020-06-05'))!;
    expect(june5['atm_vol']).toBeGreaterThan(0.6);
    expect(june5['atm_vol']).toBeLessThan(1);
    expect(Array.isArray(report.warnings)).toBe(true);
  });

  it('prints a table for people without --json', async () => {
    const result = await runCli(['chain']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^expiry\s+days\s+forward/m);
    expect(result.stdout).toMatch(/^BTC-25DEC20-10000-C\s/m);
  });

  it('turns each bad line into one warning naming the instrument and processes the rest', async () => {
    const result = await runCli(['chain', '--input', badLines, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    const about = (name: string): string[] => report.warnings.filter((w) => w.includes(name));
    expect(about('line 41 BTC-5JUN20-9000-C')).toHaveLength(1); // malformed JSON
    expect(about('BTC-5JUN20-9000-X')).toHaveLength(1); // unknown instrument
    expect(about('line 3 BTC-5JUN20-6750-C')).toHaveLength(1); // missing forward
    expect(about('line 3 BTC-5JUN20-6750-C')[0]).toMatch(/underlying_price/);
    const crossed = about('line 2 BTC-26JUN20-10500-P');
    expect(crossed).toHaveLength(1);
    expect(crossed[0]).toMatch(/crossed/);
    expect(
      report.quote_arbitrage.some(
        (a) => a.kind === 'crossed' && a.instruments.includes('BTC-26JUN20-10500-P'),
      ),
    ).toBe(true);
    // 108 lines of two expiries, one without a forward: the other 107 are priced and fitted.
    expect(report.instruments).toHaveLength(107);
    expect(report.expiries).toHaveLength(2);
    for (const i of report.instruments) expect(i['iv_fit'], String(i['instrument_name'])).toBeGreaterThan(0);
  });

  it('refuses an unknown --model', async () => {
    const result = await runCli(['chain', '--model', 'sabr']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--model/);
  });
});
