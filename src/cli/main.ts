#!/usr/bin/env node
/**
 * The `ballast` command line. Exit status: 0 success; 1 when some input line could not be
 * computed (the others were) or a command's data is unusable; 2 for a usage error or an input
 * file that cannot be read; 70 for an unexpected internal error. A typed error becomes one
 * line on stderr.
 */
import { Command, CommanderError } from 'commander';

import { BallastError } from '../model/errors.js';
import { registerBacktest } from './commands/backtest.js';
import { registerBook } from './commands/book.js';
import { registerChain } from './commands/chain.js';
import { registerData } from './commands/data.js';
import { registerIv } from './commands/iv.js';
import { registerPaper } from './commands/paper.js';
import { registerPrice } from './commands/price.js';
import { registerRisk } from './commands/risk.js';
import { registerRun } from './commands/run.js';
import { registerStart } from './commands/start.js';
import { InputFileError } from './jsonl.js';
import { packageVersion } from './package-root.js';

const EXIT_USAGE = 2;
const EXIT_INTERNAL = 70;

async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const setExitCode = (code: number): void => {
    exitCode = code;
  };
  const program = new Command('ballast')
    .description('Ballast: inventory and risk engine for crypto-derivatives market makers')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run ballast --help for the commands)')
    .exitOverride();
  registerPrice(program, setExitCode);
  registerIv(program, setExitCode);
  registerStart(program, setExitCode);
  registerRun(program, setExitCode);
  registerChain(program, setExitCode);
  registerBook(program, setExitCode);
  registerData(program, setExitCode);
  registerRisk(program, setExitCode);
  registerPaper(program, setExitCode);
  registerBacktest(program, setExitCode);
  (await import('./commands/worker.js')).registerWorker(program, setExitCode);
  (await import('./commands/aggregate.js')).registerAggregate(program, setExitCode);
  for (const command of program.commands) command.exitOverride();

  try {
    await program.parseAsync(argv as string[], { from: 'node' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already printed any usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    if (error instanceof InputFileError) {
      process.stderr.write(`ballast: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof BallastError) {
      process.stderr.write(`ballast: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`ballast: internal error: ${message.split('\n')[0]}\n`);
    return EXIT_INTERNAL;
  }
}

// A reader that goes away (`ballast price ... | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv);
