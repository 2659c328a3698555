/**
 * `ballast paper as2008 --gamma G [--paths N] [--seed S] [--json]`: reruns the simulation study of
 * Avellaneda and Stoikov, "High-frequency trading in a limit order book", Quantitative Finance
 * 8(3), 2008 (the inventory strategy against the symmetric one; model in `src/sim/as2008.ts`) and
 * prints a table for people, or with `--json` one object:
 * `{"gamma","paths","inventory":{"spread","profit_mean","profit_std","final_q_mean","final_q_std"},"symmetric":{...}}`.
 * A bad option is a usage error (exit 2).
 */
import { InvalidArgumentError, type Command } from 'commander';

import {
  AS2008_SETTINGS,
  MAX_PATHS,
  runAs2008,
  type As2008Result,
  type As2008Stats,
} from '../../sim/as2008.js';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseGamma(text: string): number {
  const value = DECIMAL.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('expected a number > 0.');
  return value;
}

function integerParser(min: number, max: number): (text: string) => number {
  return (text: string): number => {
    const value = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return value;
  };
}

export function registerPaper(program: Command, setExitCode: (code: number) => void): void {
  const paper = program
    .command('paper')
    .summary("rerun a paper's simulation study")
    .description("Reruns a published simulation study and prints the paper's table for this run.");
  paper
    .command('as2008')
    .summary('Avellaneda-Stoikov (2008): the inventory strategy against the symmetric one')
    .description(
      'Reruns the simulation of Avellaneda and Stoikov, "High-frequency trading in a limit order\n' +
        'book", Quantitative Finance 8(3), 2008: s = 100, T = 1, sigma = 2, dt = 0.005, A = 140,\n' +
        'k = 1.5, unit orders; the inventory strategy quotes gamma sigma^2 (T - t) +\n' +
        '(2/gamma) ln(1 + gamma/k) around s - q gamma sigma^2 (T - t), the symmetric one the same\n' +
        'average spread around the mid, both on the same random draws. Prints the average spread,\n' +
        'the mean and standard deviation of the profit and of the final inventory over the paths.',
    )
    .requiredOption(
      '--gamma <number>',
      'risk aversion gamma (> 0); the paper uses 0.1, 0.01 and 1',
      parseGamma,
    )
    .option('--paths <n>', `number of simulated paths (2 to ${MAX_PATHS})`, integerParser(2, MAX_PATHS), 1000)
    .option(
      '--seed <n>',
      'seed of the random numbers (integer >= 0)',
      integerParser(0, Number.MAX_SAFE_INTEGER),
      1,
    )
    .option('--json', 'print one JSON object instead of the table')
    .exitOverride()
    .action((options: { gamma: number; paths: number; seed: number; json?: boolean }) => {
      const result = runAs2008({ gamma: options.gamma, paths: options.paths, seed: options.seed });
      process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : renderAs2008(result, options.seed));
      setExitCode(0);
    });
}

/** The table `ballast paper as2008` prints without `--json`. */
export function renderAs2008(result: As2008Result, seed: number): string {
  const s = AS2008_SETTINGS;
  const header = ['strategy', 'spread', 'profit', 'std(profit)', 'final q', 'std(final q)'];
  const row = (name: string, x: As2008Stats): string[] => [
    name,
    x.spread.toFixed(3),
    x.profit_mean.toFixed(2),
    x.profit_std.toFixed(2),
    x.final_q_mean.toFixed(3),
    x.final_q_std.toFixed(2),
  ];
  const rows = [row('inventory', result.inventory), row('symmetric', result.symmetric)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return (
    [
      `Avellaneda-Stoikov (2008) simulation: gamma ${result.gamma}, ${result.paths} paths, seed ${seed}`,
      `s0 ${s.s0}, T ${s.T}, sigma ${s.sigma}, dt ${s.dt}, A ${s.A}, k ${s.k}; profit = cash + q s_T`,
      '',
      line(header),
      line(widths.map((w) => '-'.repeat(w))),
      ...rows.map(line),
    ].join('\n') + '\n'
  );
}
