/**
 * `ballast start` (what `npm start` runs until the engine exists): reads the default market
 * data, the embedded Deribit BTC options snapshot, or `--input FILE`, checks our implied vol
 * and the venue's display greeks against the venue's own figures (`chain-check.ts`) and prints
 * a per-expiry summary with timings.
 */
import { relative } from 'node:path';

import type { Command } from 'commander';

import {
  checkChain,
  GREEK_CLOCK_SECONDS,
  GREEK_TOLERANCE,
  MIN_TIME_VALUE_COIN,
  timeChain,
  type ChainCheck,
  type ExpiryCheck,
} from '../chain-check.js';
import { packageRoot } from '../package-root.js';
import { defaultSnapshotPath, readSnapshot } from '../snapshot.js';

export function registerStart(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('start')
    .summary('check pricing against the embedded Deribit snapshot and print a summary')
    .description(
      'Reads the embedded Deribit BTC options snapshot (data/deribit/btc-options-2020-05-21.jsonl)\n' +
        'or --input FILE, computes our implied vol of each mark and the venue-style display greeks,\n' +
        "compares both with the venue's mark_iv and greeks, and prints a per-expiry summary with timings.",
    )
    .option('-i, --input <file>', 'snapshot file (JSON Lines of Deribit tickers) instead of the embedded one')
    .option('--no-warnings', 'do not list the options without an implied vol')
    .action(async (options: { input?: string; warnings: boolean }) => {
      const path = options.input ?? defaultSnapshotPath();
      const readStart = process.hrtime.bigint();
      const snapshot = await readSnapshot(path);
      const readMs = Number(process.hrtime.bigint() - readStart) / 1e6;
      if (snapshot.length === 0) {
        process.stderr.write(`ballast start: ${path} holds no options\n`);
        setExitCode(1);
        return;
      }
      const check = checkChain(snapshot);
      const timings = timeChain(check.options);
      process.stdout.write(renderReport(displayPath(path), check, { ...timings, readMs }, options.warnings));
      setExitCode(0);
    });
}

/** The report `start` prints. */
export function renderReport(
  path: string,
  check: ChainCheck,
  timings: { ivNsPerOption: number; greeksNsPerOption: number; readMs: number },
  withWarnings: boolean,
): string {
  const stamps = check.options.map((c) => c.option.timestampMs);
  const first = new Date(Math.min(...stamps)).toISOString().replace('.000Z', 'Z');
  const last = new Date(Math.max(...stamps)).toISOString().replace('.000Z', 'Z');
  const out: string[] = [];
  out.push(`Ballast: Deribit option snapshot ${path}`);
  out.push(
    `${check.options.length} options over ${check.expiries.length} expiries, taken ${first} to ${last}`,
  );
  out.push('');
  out.push("Our implied vol of each mark (coin mark x forward, Black-76 at the forward) against the venue's");
  out.push("mark_iv, and our display greeks at the venue's mark_iv against the venue's greeks.");
  out.push('');
  const header = [
    'expiry',
    'days',
    'forward',
    'ATM vol',
    'count',
    'IV solved',
    'compared',
    'median |dIV|',
    'worst |dIV|',
    'worst at',
    'greeks agree',
  ];
  const rows = check.expiries.map(row);
  rows.push(row(check.total));
  out.push(...table(header, rows, [false, true, true, true, true, true, true, true, true, false, true]));
  out.push('');
  out.push(
    '|dIV| in vol points (the venue prints mark_iv to 0.01), over the options with at least one tick ' +
      `(${MIN_TIME_VALUE_COIN} BTC) of time value.`,
  );
  out.push(
    'Greeks agree: delta within ' +
      `${GREEK_TOLERANCE.delta}, gamma ${GREEK_TOLERANCE.gamma}, vega ${GREEK_TOLERANCE.vegaRelative} relative, ` +
      `theta ${GREEK_TOLERANCE.theta} USD,`,
  );
  out.push(
    `rho within its printed rounding plus its move over half of mark_iv's last digit and ${GREEK_CLOCK_SECONDS} s of time.`,
  );
  const off = new Map<string, number>();
  for (const c of check.options) for (const name of c.greeksOff) off.set(name, (off.get(name) ?? 0) + 1);
  if (off.size > 0) {
    const parts = [...off.entries()].map(([name, n]) => `${name} ${n}`);
    out.push(
      `Outside tolerance: ${parts.join(', ')} (options with under two days left: see pricing/coin.ts on theta).`,
    );
  }
  out.push('');
  out.push(
    `Timings: read ${timings.readMs.toFixed(1)} ms; implied vol ${timings.ivNsPerOption.toFixed(0)} ns/option; ` +
      `display greeks ${timings.greeksNsPerOption.toFixed(0)} ns/option.`,
  );
  if (check.warnings.length > 0) {
    out.push('');
    out.push(`Warnings: ${check.warnings.length} options without an implied vol.`);
    if (withWarnings) for (const w of check.warnings) out.push(`  warning: ${w}`);
  }
  return out.join('\n') + '\n';
}

function row(e: ExpiryCheck): string[] {
  return [
    e.label,
    e.label === 'total' ? '' : e.days.toFixed(2),
    e.label === 'total' ? '' : e.forwardUsd.toFixed(2),
    e.atmVol === undefined ? '' : `${(e.atmVol * 100).toFixed(2)}%`,
    String(e.count),
    String(e.ivSolved),
    String(e.ivCompared),
    e.medianAbsIvDiffVolPoints === undefined ? '-' : e.medianAbsIvDiffVolPoints.toFixed(4),
    e.worstAbsIvDiffVolPoints === undefined ? '-' : e.worstAbsIvDiffVolPoints.toFixed(4),
    e.worstInstrument ?? '-',
    `${e.greeksAgree}/${e.count}`,
  ];
}

function table(header: string[], rows: string[][], rightAlign: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]): string =>
    cells
      .map((cell, i) => (rightAlign[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const body = rows.map(format);
  body.splice(body.length - 1, 0, rule);
  return [format(header), rule, ...body];
}

function displayPath(path: string): string {
  const fromRoot = relative(packageRoot(), path);
  return fromRoot.startsWith('..') ? path : fromRoot;
}
