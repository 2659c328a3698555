/**
 * The delivery price of an expiry: the time-weighted average of the index over the window before
 * expiry (Deribit: the last 30 minutes before 08:00 UTC, `../shared/DOMAIN.md`), from an index
 * path sampled at any times. The index holds each sampled value until the next sample (a step
 * function), so the average weights each value by how long it was in force within the window;
 * the value in force at the window's start is the last sample at or before it. What
 * `Exchange.settle` takes as its delivery price.
 */
import { InputError } from '../model/errors.js';

/** The venue's averaging window, 30 minutes. */
export const DELIVERY_WINDOW_MS = 30 * 60 * 1000;

/** An index path: times ascending (ms) and values. */
export interface IndexPath {
  timestampMs: ArrayLike<number>;
  prices: ArrayLike<number>;
}

/** The time-weighted average of the index over [expiryMs - windowMs, expiryMs]. */
export function timeAveragedDeliveryPrice(
  path: IndexPath,
  expiryMs: number,
  windowMs = DELIVERY_WINDOW_MS,
): number {
  const t = path.timestampMs;
  const p = path.prices;
  if (t.length !== p.length || t.length === 0)
    throw new InputError('prices', p.length, `as many prices as times (${t.length}), at least one`);
  if (!(windowMs > 0) || !Number.isFinite(windowMs))
    throw new InputError('windowMs', windowMs, 'a window in ms > 0');
  if (!Number.isFinite(expiryMs)) throw new InputError('expiryMs', expiryMs, 'a time in ms');
  const start = expiryMs - windowMs;
  if ((t[0] as number) > start)
    throw new InputError('timestampMs[0]', t[0], `a sample at or before the window's start ${start}`);
  let sum = 0;
  for (let i = 0; i < t.length; i++) {
    const ti = t[i] as number;
    const price = p[i] as number;
    if (i > 0 && ti < (t[i - 1] as number))
      throw new InputError(`timestampMs[${i}]`, ti, 'times in ascending order');
    if (!(price > 0) || !Number.isFinite(price)) throw new InputError(`prices[${i}]`, price, 'a price > 0');
    const from = Math.max(ti, start);
    const to = Math.min(i + 1 < t.length ? (t[i + 1] as number) : Number.POSITIVE_INFINITY, expiryMs);
    if (to > from) sum += price * (to - from);
  }
  return sum / windowMs;
}
