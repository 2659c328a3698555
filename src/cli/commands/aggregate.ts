/**
 * `ballast aggregate [--config FILE]`: the firm-wide aggregator (issue 11, `src/bus/nats/aggregator.ts`).
 * It folds every engine's journal from the NATS JetStream stream into the firm's book, evaluates
 * the firm-wide limits, publishes the engines' firm states in the `ballast_firm` bucket, and
 * serves the firm view with the engine's API (`GET /api/state`, `/api/stream`) on its own port.
 *
 * ```yaml
 * nats: { servers: [nats://127.0.0.1:4222], replicas: 3, durable: ballast_aggregator }
 * limits_file: ./firm-limits.yaml     # src/risk/limits/config.ts's format; optional
 * breach_state: REDUCING              # or HALTED
 * currency: BTC                       # the coin the firm's margin is computed in
 * api: { host: 127.0.0.1, port: 8421, token_file: ./data/aggregator.token, enabled: true }
 * ```
 */
import { readFileSync } from 'node:fs';
import { type Command } from 'commander';
import pino from 'pino';
import { z } from 'zod';
import { parseDocument } from '../../backtest/fields.js';
import { InputError } from '../../model/errors.js';
import { parseLimitsText, type LimitsConfig } from '../../risk/limits/config.js';
import { startApiServer, type ApiServer } from '../../server/api.js';
import { resolveToken } from '../../server/token.js';
import { InputFileError } from '../jsonl.js';
import { dashboardDir } from '../package-root.js';

const AggregateSchema = z
  .object({
    nats: z
      .object({
        servers: z.array(z.string().min(1)).min(1).default(['nats://127.0.0.1:4222']),
        replicas: z.number().int().min(1).max(5).default(3),
        durable: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .default('ballast_aggregator'),
      })
      .strict()
      .default({ servers: ['nats://127.0.0.1:4222'], replicas: 3, durable: 'ballast_aggregator' }),
    limits_file: z.string().min(1).optional(),
    breach_state: z.enum(['REDUCING', 'HALTED']).default('REDUCING'),
    currency: z
      .string()
      .regex(/^[A-Z]{2,10}$/, 'a coin such as BTC')
      .default('BTC'),
    api: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8421),
        token_file: z.string().min(1).default('./data/aggregator.token'),
        enabled: z.boolean().default(true),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8421, token_file: './data/aggregator.token', enabled: true }),
  })
  .strict();

export type AggregateConfig = z.infer<typeof AggregateSchema>;

/** Validates an aggregator configuration; the first problem as an `InputError` naming its path. */
export function parseAggregateConfig(text: string | undefined, source = 'config'): AggregateConfig {
  const data = text === undefined ? {} : parseDocument(text, source);
  const result = AggregateSchema.safeParse(data ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  throw new InputError(issue.path.map(String).join('.') || 'config', undefined, issue.message);
}

export function registerAggregate(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('aggregate')
    .summary('the firm-wide aggregator: every engine journal from NATS JetStream, firm limits, firm view')
    .description(
      'Folds every engine journal replicated to NATS JetStream (stream BALLAST_JOURNAL) into the firm\n' +
        'book (positions and cash exact; greeks, stress and margin across accounts at the latest\n' +
        'marks), evaluates firm-wide limits and\n' +
        'publishes each engine firm state in the key-value bucket ballast_firm (engines obey it as an\n' +
        'extra limit layer). Serves the firm view with the engine API on 127.0.0.1:8421.',
    )
    .option('-c, --config <file>', 'configuration file (JSON or YAML; see src/cli/commands/aggregate.ts)')
    .option('--for <seconds>', 'stop by itself after this many wall seconds', Number)
    .action(async (options: { config?: string; for?: number }) => {
      let text: string | undefined;
      if (options.config !== undefined) {
        try {
          text = readFileSync(options.config, 'utf8');
        } catch {
          throw new InputFileError(options.config, 'cannot read the configuration file');
        }
      }
      const config = parseAggregateConfig(text, options.config);
      let limits: LimitsConfig | undefined;
      if (config.limits_file !== undefined) {
        let limitsText: string;
        try {
          limitsText = readFileSync(config.limits_file, 'utf8');
        } catch {
          throw new InputFileError(config.limits_file, 'cannot read the limits file');
        }
        limits = parseLimitsText(limitsText, config.limits_file);
      }
      const logger = pino({ level: 'warn' }, pino.destination(2));
      const { Aggregator } = await import('../../bus/nats/aggregator.js');
      const out = process.stdout;
      const aggregator = await Aggregator.start({
        servers: config.nats.servers,
        replicas: config.nats.replicas,
        durable: config.nats.durable,
        breachState: config.breach_state,
        currency: config.currency,
        ...(limits === undefined ? {} : { limits }),
        onError: (e) => logger.warn(`aggregator: ${e instanceof Error ? e.message : String(e)}`),
        onFirmState: (id, v) =>
          out.write(`ballast: firm state ${id} ${v.state}${v.detail === '' ? '' : ` (${v.detail})`}\n`),
      });
      out.write(
        `ballast: aggregator on ${config.nats.servers.join(', ')}; ${limits?.limits.length ?? 0} firm limits\n`,
      );
      let api: ApiServer | undefined;
      if (config.api.enabled) {
        const token = await resolveToken({ file: config.api.token_file });
        // The same dashboard as an engine's, here on the firm's view.
        const dashboard = dashboardDir();
        api = await startApiServer({
          engine: aggregator,
          token: token.token,
          host: config.api.host,
          port: config.api.port,
          logger,
          ...(dashboard === null ? {} : { staticDir: dashboard }),
        });
        out.write(
          `ballast: firm API ${api.url} (GET /api/state)${dashboard === null ? '' : `, dashboard ${api.url}/`}\n`,
        );
      }
      const ticker = setInterval(() => {
        const s = aggregator.state();
        out.write(
          `[firm] ${s.trading_state} | ${aggregator.engineViews().length} engines | ${aggregator.eventCount} events | ${s.positions.length} positions | ${aggregator.stats.messages} messages\n`,
        );
      }, 10_000);
      let done: () => void = () => undefined;
      const finished = new Promise<void>((r) => (done = r));
      let stopping = false;
      const stop = async (why: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        clearInterval(ticker);
        out.write(`ballast: aggregator stopping (${why})\n`);
        await api?.close();
        await aggregator.stop();
        setExitCode(0);
        done();
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      if (options.for !== undefined && Number.isFinite(options.for))
        setTimeout(() => void stop(`--for ${options.for} s`), options.for * 1000);
      await finished;
    });
}
