/**
 * `ballast run [--config FILE]` (what `npm start` runs): the engine (`src/engine/loop.ts`) on the
 * simulated exchange with a generated market that starts from the embedded Deribit chain
 * (default), or on Deribit; a SQLite journal under `./data`; the API on 127.0.0.1:8420 with its
 * address and token printed; a live terminal summary. Ctrl-C (SIGINT) or SIGTERM stops it cleanly;
 * the next start resumes from the journal.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { InvalidArgumentError, type Command } from 'commander';
import pino from 'pino';

import { coreConfigOf, DEFAULT_RUN_CONFIG, parseRunConfig, type RunConfig } from '../../engine/config.js';
import { restoreLedger } from '../../engine/journaled-ledger.js';
import { Engine } from '../../engine/loop.js';
import { toNumber } from '../../inventory/money.js';
import type { EngineState, VenueAdapter } from '../../engine/types.js';
import { InputError } from '../../model/errors.js';
import { startApiServer, type ApiServer } from '../../server/api.js';
import { resolveToken } from '../../server/token.js';
import type { JournalStore } from '../../store/journal.js';
import { PostgresJournal } from '../../store/postgres/journal.js';
import { SqliteJournal } from '../../store/sqlite/journal.js';
import { DERIBIT_MAINNET_URL, DERIBIT_TESTNET_URL, DeribitAdapter } from '../../venues/deribit/adapter.js';
import { loadDeribitCredentials } from '../../venues/deribit/credentials.js';
import { SimVenue } from '../../venues/sim/adapter.js';
import { InputFileError } from '../jsonl.js';
import { dashboardDir, packageRoot } from '../package-root.js';

interface RunOptions {
  config?: string;
  journal?: string;
  port?: number;
  api: boolean;
  speed?: number;
  seed?: number;
  for?: number;
  summary: boolean;
}

const number = (name: string, integer: boolean) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isSafeInteger(n)))
    throw new InvalidArgumentError(`${name}: expected ${integer ? 'an integer' : 'a number'} >= 0`);
  return n;
};

export function registerRun(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('run')
    .summary('run the engine: paper trading on the simulated exchange by default, or Deribit')
    .description(
      'Runs the engine: market data -> surface -> inventory -> risk -> quoting and hedging -> orders,\n' +
        'every input journaled before it applies (SQLite, ./data/journal.sqlite by default). With no\n' +
        'configuration: the simulated exchange with a market generated from the embedded Deribit chain,\n' +
        'its clock at the snapshot time. The API listens on 127.0.0.1:8420; its operator token is\n' +
        'printed (BALLAST_API_TOKEN, or ./data/api.token, created 0600). Ctrl-C stops; the next run resumes.',
    )
    .option('-c, --config <file>', 'configuration file (JSON or YAML; see src/engine/config.ts)')
    .option('--journal <path>', 'journal file (overrides journal.path)')
    .option('--port <n>', 'API port (overrides api.port; 0 = any free port)', number('--port', true))
    .option('--no-api', 'do not start the API')
    .option(
      '--speed <x>',
      'simulated seconds per wall second (overrides sim.speed)',
      number('--speed', false),
    )
    .option('--seed <n>', 'simulation seed (overrides sim.seed)', number('--seed', true))
    .option('--for <seconds>', 'stop by itself after this many wall seconds', number('--for', false))
    .option('--no-summary', 'no live terminal summary (one line per 10 s instead)')
    .action(async (options: RunOptions) => {
      let config: RunConfig = DEFAULT_RUN_CONFIG;
      if (options.config !== undefined) {
        let text: string;
        try {
          text = readFileSync(options.config, 'utf8');
        } catch {
          throw new InputFileError(options.config, 'cannot read the configuration file');
        }
        config = parseRunConfig(text, options.config);
      }
      // SQLite (embedded) by default; PostgreSQL when configured. The local files (API token, the
      // replicator's cursor) live beside the SQLite path either way.
      const journalPath = resolve(options.journal ?? config.journal.path);
      mkdirSync(dirname(journalPath), { recursive: true });
      const journal: JournalStore =
        config.journal.kind === 'postgres' && options.journal === undefined
          ? PostgresJournal.open(
              config.journal.url as string,
              config.journal.schema === undefined ? {} : { schema: config.journal.schema },
            )
          : SqliteJournal.open(journalPath, { autocheckpointPages: 1000 });
      const journalName =
        journal instanceof PostgresJournal
          ? `PostgreSQL${config.journal.schema === undefined ? '' : ` schema ${config.journal.schema}`}`
          : journalPath;
      const logger = pino({ level: 'warn' }, pino.destination(2));
      let venue: VenueAdapter;
      let clock: () => number = Date.now;
      if (config.venue === 'sim') {
        // A paper venue keeps no state of its own: resumed, it takes our positions from the journal
        // and its clock goes on from the journal's last record.
        const positions = restoreLedger(journal)
          .ledger.positions(true)
          .map((p) => ({ instrument: p.instrument, amount: toNumber(p.amount) }));
        const last = journal.last();
        const sim = new SimVenue({
          seed: options.seed ?? config.sim.seed,
          speed: options.speed ?? config.sim.speed,
          chainFile: join(packageRoot(), 'data/deribit/btc-options-2020-05-21.jsonl'),
          ...(last === undefined ? {} : { startMs: last.timestampMs + 1 }),
          ...(positions.length === 0 ? {} : { positions }),
        });
        venue = sim;
        clock = () => sim.nowMs();
      } else {
        const d = config.deribit;
        if (d?.instruments === undefined || d.instruments.length === 0) {
          journal.close();
          throw new InputError(
            'deribit.instruments',
            d?.instruments,
            'the instruments to subscribe and trade',
          );
        }
        const keys = loadDeribitCredentials(
          d.credentials_file === undefined ? {} : { file: d.credentials_file },
        );
        let lastTradeId: string | null = null;
        for (const r of journal.replay({ order: 'append', types: ['fill'] }))
          if (r.venue === 'deribit') lastTradeId = r.id;
        venue = new DeribitAdapter({
          url: d.url ?? (d.network === 'mainnet' ? DERIBIT_MAINNET_URL : DERIBIT_TESTNET_URL),
          clientId: keys.clientId,
          clientSecret: keys.clientSecret,
          instruments: d.instruments,
          lastTradeId,
          logger: {
            info: (m: string) => logger.info(m),
            warn: (m: string) => logger.warn(m),
            error: (m: string) => logger.error(m),
          },
        });
      }
      let limitsText: string | undefined;
      if (config.limits_file !== undefined) {
        try {
          limitsText = readFileSync(config.limits_file, 'utf8');
        } catch {
          throw new InputFileError(config.limits_file, 'cannot read the limits file');
        }
      }
      const engine = Engine.open({
        core: coreConfigOf(config, venue.venue, limitsText),
        journal,
        venue,
        clock: () => clock(),
      });
      const restored = engine.state().positions.length;
      await engine.start();
      // Journal replication and firm-wide limits over NATS JetStream, when configured.
      const nats = config.bus?.nats;
      const bus =
        nats === undefined
          ? undefined
          : await (
              await import('../../bus/nats/engine-bus.js')
            ).startEngineBus({
              servers: nats.servers,
              engineId: nats.engine_id,
              replicas: nats.replicas,
              firmLimits: nats.firm_limits,
              journal,
              journalPath,
              push: (input) => engine.push(input),
              clock: () => clock(),
              onError: (m) => logger.warn(`nats: ${m}`),
            });
      // Deribit: the venue's own margin simulation beside ours, once a minute.
      let marginTimer: NodeJS.Timeout | undefined;
      if (venue instanceof DeribitAdapter) {
        const deribit = venue;
        marginTimer = setInterval(() => {
          const local = engine.state().margin;
          if (local === null) return;
          deribit
            .compareMargin(config.currency, local.initial_coin)
            .then((c) =>
              engine.core.noteVenueMargin({
                initial_coin: c.venueInitialMargin,
                maintenance_coin: c.venueMaintenanceMargin,
                time_ms: Date.now(),
              }),
            )
            .catch((error: unknown) =>
              logger.warn(`margin comparison: ${error instanceof Error ? error.message : String(error)}`),
            );
        }, 60_000);
        marginTimer.unref();
      }
      let api: ApiServer | undefined;
      const out = process.stdout;
      out.write(
        `ballast: engine on ${venue.venue}, journal ${journalName}${restored > 0 ? ` (resumed: ${restored} positions)` : ''}\n`,
      );
      if (nats !== undefined)
        out.write(`ballast: journal replicated to NATS as ${nats.engine_id} (${nats.servers.join(', ')})\n`);
      if (options.api && config.api.enabled) {
        // The dashboard's built files (npm run build:web), served at `/` when present.
        const dashboard = dashboardDir();
        const token = await resolveToken({
          file: config.api.token_file ?? join(dirname(journalPath), 'api.token'),
        });
        api = await startApiServer({
          engine,
          token: token.token,
          host: config.api.host,
          port: options.port ?? config.api.port,
          logger,
          ...(dashboard === null ? {} : { staticDir: dashboard }),
        });
        out.write(`ballast: API ${api.url} (GET /api/state, WebSocket /api/stream)\n`);
        out.write(
          dashboard === null
            ? `ballast: dashboard not built (npm run build:web builds ${join(packageRoot(), 'dist/web')})\n`
            : `ballast: dashboard ${api.url}/\n`,
        );
        out.write(
          `ballast: operator token ${token.token}${token.file === null ? ' (from BALLAST_API_TOKEN)' : ` (${token.file})`}\n`,
        );
      }
      const live = options.summary && out.isTTY === true;
      let lines = 0;
      let lastPlain = 0;
      const draw = (): void => {
        const text = summary(engine.state(), engine.stats.inputs);
        if (live) {
          if (lines > 0) out.write(`\x1b[${lines}A\x1b[J`);
          out.write(text);
          lines = text.split('\n').length - 1;
        } else if (Date.now() - lastPlain >= 10_000) {
          lastPlain = Date.now();
          out.write(text.split('\n')[0] + '\n');
        }
      };
      const ticker = setInterval(draw, 1000);
      let stopping = false;
      const stop = async (why: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        clearInterval(ticker);
        if (marginTimer !== undefined) clearInterval(marginTimer);
        out.write(`\nballast: stopping (${why})\n`);
        await api?.close();
        await bus?.stopWatching();
        await engine.stop();
        await bus?.close();
        const s = engine.state();
        journal.close();
        out.write(
          `ballast: stopped; ${engine.stats.inputs} inputs journaled this run, ${s.positions.length} positions, state ${s.trading_state}\n`,
        );
        setExitCode(0);
        done();
      };
      let done: () => void = () => undefined;
      const finished = new Promise<void>((r) => (done = r));
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      if (options.for !== undefined)
        setTimeout(() => void stop(`--for ${options.for} s`), options.for * 1000);
      await finished;
    });
}

/** The live summary: state, inventory, greeks, P&L, orders, hedges, recent alerts. */
export function summary(s: EngineState, inputs: number): string {
  const when = s.time_ms > 0 ? new Date(s.time_ms).toISOString().replace('.000Z', 'Z') : '-';
  const greeks = Object.entries(s.greeks)
    .map(
      ([u, g]) =>
        `${u} delta ${g.delta.toFixed(3)} gamma ${g.gamma.toExponential(2)} vega ${g.vega.toFixed(1)} theta ${g.theta.toFixed(1)}`,
    )
    .join('; ');
  const positions = [...s.positions].sort((a, b) => Math.abs(b.amount) - Math.abs(a.amount));
  const top = positions
    .slice(0, 6)
    .map((p) => `${p.instrument} ${p.amount}`)
    .join(', ');
  const lines = [
    `[${when}] ${s.trading_state} | ${s.connection} | ${s.positions.length} positions | P&L ${s.pnl.usd.toFixed(2)} USD | ${s.orders.length} orders | hedges ${s.hedges.count} (${s.hedges.cost_usd.toFixed(2)} USD) | ${inputs} inputs`,
    `  greeks: ${greeks}`,
    `  margin: ${
      s.margin === null
        ? '-'
        : `IM ${s.margin.initial_coin.toFixed(4)} (${s.margin.initial_usd.toFixed(0)} USD), MM ${s.margin.maintenance_coin.toFixed(4)}, worst ${s.margin.worst_scenario ?? '-'}${s.margin.venue === undefined ? '' : `, venue IM ${s.margin.venue.initial_coin.toFixed(4)} (ours - venue ${s.margin.venue.difference_coin.toFixed(4)})`}`
    }`,
    `  largest: ${top === '' ? '-' : top}`,
  ];
  if (s.trading_reasons.length > 0) lines.push(`  why: ${s.trading_reasons.join('; ')}`);
  for (const a of s.alerts.slice(-3)) lines.push(`  alert ${a.kind}: ${a.message}`);
  return `${lines.join('\n')}\n`;
}
