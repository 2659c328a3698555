/**
 * Online estimation in the quoting runner (`strategy.estimate`): the quoter's own quotes as
 * data for the fill-intensity fit, and the mid's ticks for the volatility.
 *
 * A quote is one exposure from its placement to its end (filled out, cancelled by us, by the
 * venue's protections or by a disconnect): its distance from the mid it was priced from, the
 * time it rested and the number of fills (hits) it took. The exchange forgets an order once it
 * is closed, so the runner calls `sweep(t)` right after anything that can close one at `t`;
 * every order gone by then closed at `t`. Times only move forward in a run, so the exposures
 * reach the estimator in time order.
 */
import type { Exchange } from '../sim/exchange/exchange.js';
import { IntensityEstimator, type IntensityFit } from '../strategy/estimators/intensity.js';
import { TapeVolatility } from '../strategy/estimators/tape-volatility.js';
import type { Quoter } from './quoter.js';
import type { EstimateSpec } from './scenario.js';

interface Open {
  distance: number;
  startMs: number;
  fills: number;
}

/** The final estimates of a run. */
export interface EstimateFigures {
  /** Sigma in use at the end, USD per sqrt(second), and the tape's estimate with its standard error. */
  sigma_usd: number;
  sigma_se_usd: number | null;
  /** k per USD and A per second in use at the end, and the fit behind them. */
  k: number;
  a: number;
  k_se: number | null;
  a_se: number | null;
  source: string;
  exposures: number;
  fills: number;
}

export class OnlineEstimates {
  private readonly open = new Map<string, Open>();
  private readonly intensity: IntensityEstimator;
  private readonly tape: TapeVolatility;
  private exposures = 0;
  private fills = 0;
  private fit: IntensityFit | undefined;

  constructor(
    spec: EstimateSpec,
    prior: { A: number; k: number },
    private readonly exchange: Exchange,
    private readonly quoter: Quoter,
  ) {
    this.intensity = new IntensityEstimator({
      halfLifeMs: spec.intensityHalfLifeS * 1000,
      distanceStep: spec.distanceStepUsd,
      prior,
      minFills: spec.minFills,
    });
    this.tape = new TapeVolatility({ halfLifeMs: spec.sigmaHalfLifeS * 1000, kind: 'price' });
  }

  /** A quote rests from `t`, `distance` from the mid it was priced from. */
  placed(orderId: string, distance: number, t: number): void {
    this.open.set(orderId, { distance, startMs: t, fills: 0 });
  }

  /** A fill of one of our quotes. */
  filled(orderId: string): void {
    const o = this.open.get(orderId);
    if (o !== undefined) o.fills += 1;
  }

  /** Closes, at `t`, every quote the exchange no longer holds. */
  sweep(t: number): void {
    for (const [id, o] of this.open) {
      if (this.exchange.getOrder(id) !== undefined) continue;
      this.open.delete(id);
      if (!(t > o.startMs)) continue;
      this.intensity.record({
        distance: o.distance,
        durationMs: t - o.startMs,
        fills: o.fills,
        timestampMs: t,
      });
      this.exposures += 1;
      this.fills += o.fills;
    }
  }

  /** A mid tick; then the quoter takes the current estimates. */
  tick(t: number, mid: number): void {
    this.tape.update(t, mid);
    const sigma = this.tape.estimate()?.sigma;
    this.fit = this.intensity.estimate();
    this.quoter.setModel({
      ...(sigma === undefined ? {} : { sigma }),
      ...(this.fit.source === 'prior' ? {} : { k: this.fit.k, A: this.fit.A }),
    });
  }

  figures(): EstimateFigures {
    const tape = this.tape.estimate();
    const model = this.quoter.model;
    const fit = this.fit ?? this.intensity.estimate();
    return {
      sigma_usd: model.sigma,
      sigma_se_usd: tape?.sigmaSe ?? null,
      k: model.k,
      a: model.A ?? fit.A,
      k_se: fit.source === 'prior' ? null : (fit.kSe ?? null),
      a_se: fit.source === 'prior' ? null : (fit.ASe ?? null),
      source: fit.source,
      exposures: this.exposures,
      fills: this.fills,
    };
  }
}
