/**
 * The engine's configuration file (`ballast run --config FILE`, JSON or YAML), validated with
 * zod: every problem is an `InputError` naming the field's dotted path. With no file, the
 * defaults run a paper book on the simulated exchange (`DEFAULT_RUN_CONFIG`).
 *
 * ```yaml
 * venue: sim                      # or deribit
 * sim: { seed: 1, speed: 1 }      # speed: simulated seconds per wall second
 * deribit: { network: testnet, credentials_file: ~/.ballast/deribit.json }   # or env DERIBIT_CLIENT_ID / DERIBIT_CLIENT_SECRET
 * journal: { path: ./data/journal.sqlite }   # or { kind: postgres, url: postgres://..., schema: engine_a }
 * api: { host: 127.0.0.1, port: 8420 }          # token: env BALLAST_API_TOKEN, else generated and printed
 * currency: BTC
 * quoting: { expiries: 2, moneyness: 0.1, half_spread_vol_points: 2, base_size: 1, ... }   # or null: no quoting
 *   # send: orders (place/edit/cancel, default) or mass_quote, with
 *   # mass_quote: { group: ballast, max_per_request: 10, mmp: { interval_s: 1, frozen_time_s: 0, quantity_limit: 50 }, cool_down_ms: 5000 }
 * hedging: { instrument: BTC-PERPETUAL, band_coin: 0.5, limit_bps: 20 }                   # or null
 * kill_switch: { stale_after_ms: 15000, fill_burst: { count: 50, window_ms: 10000 } }
 * rate_limit: { max_credits: 50000, refill_per_s: 10000, reserve: 5000 }
 * limits_file: ./limits.yaml      # optional, src/risk/limits/config.ts
 * bus: { nats: { servers: [nats://127.0.0.1:4222], engine_id: btc-options-1, replicas: 3, firm_limits: true } }   # optional
 * ```
 */
import { z } from 'zod';
import { parseDocument } from '../backtest/fields.js';
import { InputError } from '../model/errors.js';
import type { CoreConfig } from './core.js';

const positive = z.number().positive();

const wholeSeconds = z.number().int().min(0).max(3600);

/**
 * Mass quoting (`send: mass_quote`): the MMP group, its `private/set_mmp_config` (interval and
 * frozen time in whole seconds, at least one limit), the instruments per request and the pause
 * after an MMP trigger before the group is reset and quoted again.
 */
const MassQuoteSchema = z
  .object({
    group: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -, at most 32')
      .default('ballast'),
    max_per_request: z.number().int().min(1).default(10),
    mmp: z
      .object({
        interval_s: wholeSeconds.default(1),
        frozen_time_s: wholeSeconds.default(0),
        quantity_limit: positive.optional(),
        delta_limit: positive.optional(),
        vega_limit: positive.optional(),
        max_quote_quantity: positive.optional(),
      })
      .strict()
      .refine(
        (m) => m.quantity_limit !== undefined || m.delta_limit !== undefined || m.vega_limit !== undefined,
        { message: 'at least one of quantity_limit, delta_limit, vega_limit' },
      )
      .default({ interval_s: 1, frozen_time_s: 0, quantity_limit: 50 }),
    cool_down_ms: z.number().int().min(0).default(5000),
  })
  .strict();

const QuotingSchema = z
  .object({
    expiries: z.number().int().min(1).default(2),
    min_days_to_expiry: z.number().min(0).default(1),
    moneyness: positive.max(1).default(0.1),
    half_spread_vol_points: positive.default(2),
    vega_skew_vol_points: z.number().min(0).default(2),
    delta_skew: z.number().min(0).default(0.002),
    base_size: positive.default(1),
    min_size: z.number().min(0).default(0.1),
    limits: z
      .object({
        vega_per_expiry: positive.default(2000),
        vega_total: positive.default(4000),
        delta_coin: positive.default(5),
      })
      .strict()
      .default({ vega_per_expiry: 2000, vega_total: 4000, delta_coin: 5 }),
    requote_ms: z.number().int().min(0).default(1000),
    refit_ms: z.number().int().positive().default(60_000),
    refit_move_bps: positive.default(50),
    send: z.enum(['orders', 'mass_quote']).default('orders'),
    mass_quote: MassQuoteSchema.default(MassQuoteSchema.parse({})),
  })
  .strict();

const HedgingSchema = z
  .object({
    instrument: z.string().min(1).default('BTC-PERPETUAL'),
    band_coin: positive.default(0.5),
    limit_bps: positive.default(20),
    min_interval_ms: z.number().int().min(0).default(5000),
  })
  .strict();

const RunSchema = z
  .object({
    venue: z.enum(['sim', 'deribit']).default('sim'),
    sim: z
      .object({ seed: z.number().int().min(0).default(1), speed: positive.default(1) })
      .strict()
      .default({ seed: 1, speed: 1 }),
    deribit: z
      .object({
        network: z.enum(['testnet', 'mainnet']).default('testnet'),
        url: z.string().url().optional(),
        credentials_file: z.string().min(1).optional(),
        instruments: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    journal: z
      .object({
        /** `sqlite` (embedded, the default) or `postgres` (a shared server: `url`, `schema`). */
        kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
        path: z.string().min(1).default('./data/journal.sqlite'),
        url: z.string().min(1).optional(),
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/)
          .optional(),
      })
      .strict()
      .refine((j) => j.kind !== 'postgres' || j.url !== undefined, {
        message: 'a PostgreSQL connection string (url) for kind postgres',
        path: ['url'],
      })
      .default({ kind: 'sqlite', path: './data/journal.sqlite' }),
    api: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8420),
        token_file: z.string().min(1).optional(),
        enabled: z.boolean().default(true),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8420, enabled: true }),
    currency: z
      .string()
      .regex(/^[A-Z]{2,10}$/)
      .default('BTC'),
    quoting: QuotingSchema.nullable().default(QuotingSchema.parse({})),
    hedging: HedgingSchema.nullable().default(HedgingSchema.parse({})),
    kill_switch: z
      .object({
        stale_after_ms: z.number().int().positive().default(15_000),
        drawdown: z
          .object({ reducing_usd: positive.optional(), halted_usd: positive.optional() })
          .strict()
          .optional(),
        fill_burst: z
          .object({ count: z.number().int().min(1), window_ms: positive })
          .strict()
          .optional(),
        greek_breach: z.enum(['REDUCING', 'HALTED']).default('REDUCING'),
      })
      .strict()
      .default({ stale_after_ms: 15_000, greek_breach: 'REDUCING' }),
    rate_limit: z
      .object({
        max_credits: positive.default(50_000),
        refill_per_s: positive.default(10_000),
        reserve: z.number().min(0).default(5_000),
        costs: z
          .object({
            quote: z.number().min(0).default(500),
            requote: z.number().min(0).default(500),
            cancel: z.number().min(0).default(500),
            hedge: z.number().min(0).default(500),
          })
          .strict()
          .default({ quote: 500, requote: 500, cancel: 500, hedge: 500 }),
      })
      .strict()
      .default({
        max_credits: 50_000,
        refill_per_s: 10_000,
        reserve: 5_000,
        costs: { quote: 500, requote: 500, cancel: 500, hedge: 500 },
      }),
    limits_file: z.string().min(1).optional(),
    /** Journal replication and firm-wide limits over NATS JetStream (`src/bus/nats/`). */
    bus: z
      .object({
        nats: z
          .object({
            servers: z.array(z.string().min(1)).min(1),
            engine_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
            replicas: z.number().int().min(1).max(5).default(3),
            firm_limits: z.boolean().default(true),
          })
          .strict(),
      })
      .strict()
      .optional(),
    order_timeout_ms: z.number().int().positive().default(5000),
  })
  .strict();

/** A validated run configuration (snake_case, as written). */
export type RunConfig = z.infer<typeof RunSchema>;

/** The configuration with no file: a paper book on the simulated exchange. */
export const DEFAULT_RUN_CONFIG: RunConfig = RunSchema.parse({});

/** Validates a parsed configuration; the first problem as an `InputError` naming its path. */
export function validateRunConfig(data: unknown): RunConfig {
  const result = RunSchema.safeParse(data ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const path = issue.path.map(String).join('.') || 'config';
  let value: unknown = data;
  for (const key of issue.path)
    value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  throw new InputError(path, value, issue.message);
}

/** Reads a configuration file's text (JSON when it starts with `{`, YAML otherwise). */
export function parseRunConfig(text: string, source = 'config'): RunConfig {
  return validateRunConfig(parseDocument(text, source));
}

/** The core's configuration from a run configuration (and the limits file's text, if any). */
export function coreConfigOf(run: RunConfig, venue: string, limitsText?: string): CoreConfig {
  const q = run.quoting;
  const h = run.hedging;
  const k = run.kill_switch;
  return {
    venue,
    currency: run.currency,
    orderPrefix: 'bl',
    orderTimeoutMs: run.order_timeout_ms,
    killSwitch: {
      staleAfterMs: k.stale_after_ms,
      greekBreach: k.greek_breach,
      ...(k.drawdown === undefined
        ? {}
        : {
            drawdown: {
              ...(k.drawdown.reducing_usd === undefined ? {} : { reducingUsd: k.drawdown.reducing_usd }),
              ...(k.drawdown.halted_usd === undefined ? {} : { haltedUsd: k.drawdown.halted_usd }),
            },
          }),
      ...(k.fill_burst === undefined
        ? {}
        : { fillBurst: { count: k.fill_burst.count, windowMs: k.fill_burst.window_ms } }),
    },
    rateLimit: {
      maxCredits: run.rate_limit.max_credits,
      refillPerSecond: run.rate_limit.refill_per_s,
      reserve: run.rate_limit.reserve,
      costs: run.rate_limit.costs,
    },
    ...(q === null
      ? {}
      : {
          quoting: {
            expiries: q.expiries,
            minDaysToExpiry: q.min_days_to_expiry,
            moneyness: q.moneyness,
            quoter: {
              halfSpreadVol: q.half_spread_vol_points / 100,
              vegaSkewVol: q.vega_skew_vol_points / 100,
              deltaSkew: q.delta_skew,
              baseSize: q.base_size,
              minSize: q.min_size,
            },
            limits: {
              vegaPerExpiry: q.limits.vega_per_expiry,
              vegaTotal: q.limits.vega_total,
              deltaCoin: q.limits.delta_coin,
            },
            requoteMs: q.requote_ms,
            refitMs: q.refit_ms,
            refitMoveBps: q.refit_move_bps,
            send: q.send,
            massQuote: {
              group: q.mass_quote.group,
              maxPerRequest: q.mass_quote.max_per_request,
              mmp: {
                intervalS: q.mass_quote.mmp.interval_s,
                frozenTimeS: q.mass_quote.mmp.frozen_time_s,
                ...(q.mass_quote.mmp.quantity_limit === undefined
                  ? {}
                  : { quantityLimit: q.mass_quote.mmp.quantity_limit }),
                ...(q.mass_quote.mmp.delta_limit === undefined
                  ? {}
                  : { deltaLimit: q.mass_quote.mmp.delta_limit }),
                ...(q.mass_quote.mmp.vega_limit === undefined
                  ? {}
                  : { vegaLimit: q.mass_quote.mmp.vega_limit }),
                ...(q.mass_quote.mmp.max_quote_quantity === undefined
                  ? {}
                  : { maxQuoteQuantity: q.mass_quote.mmp.max_quote_quantity }),
              },
              coolDownMs: q.mass_quote.cool_down_ms,
            },
          },
        }),
    ...(h === null
      ? {}
      : {
          hedging: {
            instrument: h.instrument,
            bandCoin: h.band_coin,
            limitBps: h.limit_bps,
            minIntervalMs: h.min_interval_ms,
          },
        }),
    ...(limitsText === undefined ? {} : { limitsText }),
  };
}
