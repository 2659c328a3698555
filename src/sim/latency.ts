/**
 * Latency models: how long an order takes from our send to the venue (`outbound`), and how long
 * a venue event (a fill, a book change, an order's acknowledgement) takes to reach us
 * (`inbound`), in ms. Behind one small interface so that the simulated exchange and the
 * backtest runner can take either:
 *
 * - `constantLatency(outMs, inMs)`: fixed delays.
 * - `empiricalLatency({ outbound, inbound, rng })`: each delay drawn uniformly, with
 *   replacement, from a recorded sample (the empirical distribution: a bootstrap), with the
 *   seeded generator, so a run is repeatable. `paired` samples draw one index for a round trip
 *   (outbound and inbound from the same recorded order), keeping their correlation.
 *
 * `inboundSample(events)` makes an inbound sample from recorded market data: the recorder's
 * receipt time less the venue's timestamp, for the events that have both.
 */
import { InputError } from '../model/errors.js';
import type { MarketEvent } from '../market/events.js';
import type { Rng } from './random.js';

export interface LatencyModel {
  readonly name: string;
  /** Delay from our send to the venue, ms (>= 0). */
  outbound(): number;
  /** Delay from the venue's event to our receipt, ms (>= 0). */
  inbound(): number;
  /** Both delays of one round trip: [outbound, inbound]. */
  roundTrip(): [number, number];
}

function checkDelay(field: string, ms: number): void {
  if (!(ms >= 0) || ms === Infinity) throw new InputError(field, ms, 'a finite delay >= 0 ms');
}

/** Fixed delays. */
export function constantLatency(outboundMs: number, inboundMs: number = outboundMs): LatencyModel {
  checkDelay('outboundMs', outboundMs);
  checkDelay('inboundMs', inboundMs);
  return {
    name: 'constant',
    outbound: () => outboundMs,
    inbound: () => inboundMs,
    roundTrip: () => [outboundMs, inboundMs],
  };
}

export interface EmpiricalLatencyOptions {
  /** Recorded send-to-venue delays, ms. */
  outbound: readonly number[];
  /** Recorded venue-to-us delays, ms. */
  inbound: readonly number[];
  rng: Rng;
  /**
   * The samples are pairs (outbound[i] and inbound[i] from one round trip): `roundTrip` draws one
   * index for both. Needs samples of equal length. Default false.
   */
  paired?: boolean;
}

/**
 * Delays resampled from recorded samples with the seeded generator (streams `outbound`,
 * `inbound` and `round-trip` of `rng`, so drawing one kind does not move the others).
 */
export function empiricalLatency(o: EmpiricalLatencyOptions): LatencyModel {
  const out = Float64Array.from(o.outbound);
  const inb = Float64Array.from(o.inbound);
  if (out.length === 0) throw new InputError('outbound', o.outbound, 'a non-empty sample');
  if (inb.length === 0) throw new InputError('inbound', o.inbound, 'a non-empty sample');
  out.forEach((x) => checkDelay('outbound', x));
  inb.forEach((x) => checkDelay('inbound', x));
  if (o.paired && out.length !== inb.length)
    throw new InputError('inbound', inb.length, `as many delays as outbound (${out.length}) when paired`);
  const outRng = o.rng.stream('outbound');
  const inRng = o.rng.stream('inbound');
  const tripRng = o.rng.stream('round-trip');
  return {
    name: 'empirical',
    outbound: () => out[outRng.int(out.length)]!,
    inbound: () => inb[inRng.int(inb.length)]!,
    roundTrip: () => {
      if (o.paired) {
        const i = tripRng.int(out.length);
        return [out[i]!, inb[i]!];
      }
      return [out[tripRng.int(out.length)]!, inb[tripRng.int(inb.length)]!];
    },
  };
}

/** Inbound delays of recorded events: localTimestampMs - timestampMs, where both are known and >= 0. */
export function inboundSample(events: Iterable<MarketEvent>): number[] {
  const sample: number[] = [];
  for (const e of events) {
    if (e.localTimestampMs === undefined) continue;
    const d = e.localTimestampMs - e.timestampMs;
    if (d >= 0 && Number.isFinite(d)) sample.push(d);
  }
  return sample;
}
