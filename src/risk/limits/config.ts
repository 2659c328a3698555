/**
 * The limits file: JSON or YAML, validated whole, every problem named by its path.
 *
 * ```yaml
 * delta: premium_adjusted      # which delta `delta_coin` reads (default): premium_adjusted | black
 * limits:
 *   - name: btc-delta          # optional; defaults to the scope and measure
 *     scope: { underlying: BTC }   # or { expiry: 26JUN20 }, { underlying: BTC, strike_bucket: [8000, 10000] },
 *                                  # { instrument: BTC-PERPETUAL }, {} for the whole book
 *     measure: delta_coin      # see MEASURES
 *     max: 25                  # |value| <= max (or min / max bounds for a signed range)
 *     include_resting: true    # also the worst case if every resting order filled
 *   - measure: daily_loss_usd
 *     max: 50000
 * ```
 *
 * Vega limits: `vega_usd` plain, `vega_weighted_usd` (x sqrt(30 / days)), and per expiry (with an
 * `expiry` scope) the split `vega_parallel_usd`, `vega_skew_usd`, `vega_butterfly_usd` (vega
 * exposures to a parallel, skew and butterfly move of the smile, `pretrade.ts`).
 *
 * Which delta a limit reads is explicit: `delta_coin` is the premium-adjusted delta in coin
 * (the venue's net transaction delta: Black delta minus the option's coin price, per
 * `../shared/DOMAIN.md`) unless the file says `delta: black`; `delta_usd` is beside it
 * (delta in coin x index).
 */
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../model/errors.js';

/** Measures an order moves (each instrument contributes per unit of amount); units in the key. */
export const ORDER_MEASURES = [
  'position',
  'notional_usd',
  'delta_coin',
  'delta_usd',
  'gamma_coin',
  'vega_usd',
  'vega_weighted_usd',
  'vega_parallel_usd',
  'vega_skew_usd',
  'vega_butterfly_usd',
  'theta_usd',
] as const;
export type OrderMeasure = (typeof ORDER_MEASURES)[number];

/** Measures of the book's state, which no single order moves. */
export const STATE_MEASURES = ['daily_loss_usd', 'drawdown_usd'] as const;

/** What a limit measures. Greeks per the pricing core's units, named in the key. */
export const MEASURES = [...ORDER_MEASURES, ...STATE_MEASURES] as const;
export type Measure = (typeof MEASURES)[number];

/** Where a limit applies: every field given must match (an empty scope is the whole book). */
export interface LimitScope {
  underlying?: string;
  /** The expiry code as in instrument names (`26JUN20`). */
  expiry?: string;
  /** Strikes from and to (inclusive), options only. */
  strikeBucket?: [number, number];
  instrument?: string;
}

export interface LimitSpec {
  name: string;
  scope: LimitScope;
  measure: Measure;
  /** Allowed range of the value: `min <= value <= max` (a `max` alone bounds |value|). */
  min: number;
  max: number;
  includeResting: boolean;
}

export interface LimitsConfig {
  delta: 'premium_adjusted' | 'black';
  limits: LimitSpec[];
}

/** Reads a limits file's text (JSON when it starts with `{`, YAML otherwise). */
export function parseLimitsText(text: string, source = 'limits'): LimitsConfig {
  let data: unknown;
  try {
    data = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new InputError(
      source,
      text.slice(0, 80),
      `JSON or YAML (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return validateLimits(data, source);
}

/** Validates a parsed limits document; throws `InputError` naming the path (`limits[2].max`). */
export function validateLimits(data: unknown, source = 'limits'): LimitsConfig {
  const root = object(source, data);
  for (const key of Object.keys(root)) {
    if (key !== 'delta' && key !== 'limits')
      throw new InputError(`${source}.${key}`, root[key], 'no such field (delta, limits)');
  }
  const delta = root.delta ?? 'premium_adjusted';
  if (delta !== 'premium_adjusted' && delta !== 'black') {
    throw new InputError(`${source}.delta`, delta, 'premium_adjusted or black');
  }
  if (!Array.isArray(root.limits)) throw new InputError(`${source}.limits`, root.limits, 'a list of limits');
  const names = new Set<string>();
  const limits = root.limits.map((item, i) => {
    const spec = readLimit(`${source}.limits[${i}]`, item);
    if (names.has(spec.name))
      throw new InputError(`${source}.limits[${i}].name`, spec.name, 'a name used once');
    names.add(spec.name);
    return spec;
  });
  return { delta, limits };
}

const LIMIT_FIELDS = new Set(['name', 'scope', 'measure', 'min', 'max', 'include_resting']);
const SCOPE_FIELDS = new Set(['underlying', 'expiry', 'strike_bucket', 'instrument']);

function readLimit(at: string, value: unknown): LimitSpec {
  const item = object(at, value);
  for (const key of Object.keys(item)) {
    if (!LIMIT_FIELDS.has(key))
      throw new InputError(`${at}.${key}`, item[key], `no such field (${[...LIMIT_FIELDS].join(', ')})`);
  }
  const measure = item.measure;
  if (typeof measure !== 'string' || !(MEASURES as readonly string[]).includes(measure)) {
    throw new InputError(`${at}.measure`, measure, `one of ${MEASURES.join(', ')}`);
  }
  const scopeData = object(`${at}.scope`, item.scope ?? {});
  const scope: LimitScope = {};
  for (const [key, v] of Object.entries(scopeData)) {
    const field = `${at}.scope.${key}`;
    if (!SCOPE_FIELDS.has(key))
      throw new InputError(field, v, `no such field (${[...SCOPE_FIELDS].join(', ')})`);
    if (key === 'strike_bucket') {
      if (
        !Array.isArray(v) ||
        v.length !== 2 ||
        !v.every((x) => typeof x === 'number' && x >= 0) ||
        (v[0] as number) > (v[1] as number)
      ) {
        throw new InputError(field, v, '[low, high] strikes with low <= high');
      }
      scope.strikeBucket = [v[0] as number, v[1] as number];
    } else {
      if (typeof v !== 'string' || v === '') throw new InputError(field, v, 'a non-empty string');
      scope[key as 'underlying' | 'expiry' | 'instrument'] = v;
    }
  }
  const bound = (name: 'min' | 'max'): number | undefined => {
    const v = item[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new InputError(`${at}.${name}`, v, 'a finite number');
    return v;
  };
  const min = bound('min');
  const max = bound('max');
  if (max === undefined && min === undefined)
    throw new InputError(`${at}.max`, undefined, 'a bound (max, or min and max)');
  if (min === undefined && max !== undefined && max < 0)
    throw new InputError(`${at}.max`, max, 'a number >= 0 (a bound on |value|)');
  if (min !== undefined && max !== undefined && min > max)
    throw new InputError(`${at}.min`, min, `at most max (${max})`);
  const includeResting = item.include_resting ?? false;
  if (typeof includeResting !== 'boolean')
    throw new InputError(`${at}.include_resting`, includeResting, 'true or false');
  const name = item.name ?? `${describeScope(scope)}:${measure}`;
  if (typeof name !== 'string' || name === '') throw new InputError(`${at}.name`, name, 'a non-empty string');
  return {
    name,
    scope,
    measure: measure as Measure,
    min: min ?? (max === undefined ? Number.NEGATIVE_INFINITY : -max),
    max: max ?? Number.POSITIVE_INFINITY,
    includeResting,
  };
}

/** `underlying=BTC,expiry=26JUN20` or `book`. */
export function describeScope(scope: LimitScope): string {
  const parts: string[] = [];
  if (scope.underlying !== undefined) parts.push(`underlying=${scope.underlying}`);
  if (scope.expiry !== undefined) parts.push(`expiry=${scope.expiry}`);
  if (scope.strikeBucket !== undefined)
    parts.push(`strikes=${scope.strikeBucket[0]}-${scope.strikeBucket[1]}`);
  if (scope.instrument !== undefined) parts.push(`instrument=${scope.instrument}`);
  return parts.length === 0 ? 'book' : parts.join(',');
}

function object(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InputError(field, value, 'an object');
  return value as Record<string, unknown>;
}

/** Whether `measure` is moved by orders (not a state measure). */
export function isOrderMeasure(measure: Measure): measure is OrderMeasure {
  return (ORDER_MEASURES as readonly string[]).includes(measure);
}
