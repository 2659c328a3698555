/**
 * A stand-in for the engine behind `EngineHandle`: holds a state, records every command it is
 * given, publishes states on demand, and applies operator commands the way the engine's contract
 * says (kill -> HALTED, repeatable; pause -> REDUCING; resume -> ACTIVE; limits validated with
 * the limits parser).
 */
import type {
  CommandResult,
  EngineDetails,
  EngineHandle,
  EngineState,
  InstrumentView,
  OperatorCommand,
} from '../../src/engine/types.js';
import { parseLimitsText } from '../../src/risk/limits/config.js';

export function sampleState(overrides: Partial<EngineState> = {}): EngineState {
  return {
    trading_state: 'ACTIVE',
    trading_reasons: [],
    time_ms: 1_600_000_000_000,
    venue: 'sim',
    connection: 'up',
    positions: [
      { instrument: 'BTC-26JUN20-9000-C', amount: -12.5 },
      { instrument: 'BTC-PERPETUAL', amount: 41_000 },
    ],
    greeks: { BTC: { delta: 0.42, gamma: 0.0011, vega: -310.5, theta: 95.25 } },
    pnl: { coin: { BTC: 0.031 }, usd: 285.4 },
    orders: [
      {
        client_order_id: 'run1-7',
        order_id: 'ETH-123',
        instrument: 'BTC-26JUN20-9000-C',
        side: 'sell',
        price: 0.0455,
        amount: 2,
        filled: 0.5,
        state: 'open',
      },
    ],
    limits: [{ name: 'btc-delta', measure: 'delta_coin', current: 0.42, limit: 25, use: 0.0168 }],
    hedges: { count: 3, cost_usd: 12.75 },
    alerts: [{ time_ms: 1_599_999_990_000, kind: 'stale', message: 'ticker BTC-PERPETUAL 4 s old' }],
    margin: {
      initial_coin: 0.52,
      initial_usd: 4_724.3,
      maintenance_coin: 0.4,
      maintenance_usd: 3_634.1,
      worst_case_coin: 0.45,
      worst_scenario: '-16%, vol up',
    },
    ...overrides,
  };
}

export class FakeEngine implements EngineHandle {
  current: EngineState;
  readonly commands: OperatorCommand[] = [];
  readonly listeners = new Set<(state: EngineState) => void>();
  /** Replaces `command` when set (to hang, throw, ...). */
  override: ((command: OperatorCommand) => Promise<CommandResult>) | null = null;

  constructor(state: EngineState = sampleState()) {
    this.current = state;
  }

  state(): EngineState {
    return this.current;
  }

  details(): EngineDetails {
    return {
      time_ms: this.current.time_ms,
      index: 9100,
      greeks_by_expiry: [
        {
          expiry: '26JUN20',
          expiry_ms: 1_593_158_400_000,
          delta: -4.2,
          delta_usd: -38_220,
          gamma: -0.0011,
          vega: -310.5,
          theta: 95.25,
        },
      ],
      greeks_by_position: [
        {
          instrument: 'BTC-26JUN20-9000-C',
          expiry: '26JUN20',
          strike: 9000,
          amount: -12.5,
          delta: -4.2,
          gamma: -0.0011,
          vega: -310.5,
          theta: 95.25,
          value_usd: -7_100,
        },
      ],
      stress: {
        spot_moves: [-0.1, 0, 0.1],
        vol_shifts: [-0.05, 0, 0.05],
        pnl_usd: [
          [1, 0, -1],
          [2, 0, -2],
          [3, 0, -3],
        ],
      },
      smiles: [],
      term: [],
      attribution: null,
    };
  }

  instrument(name: string): InstrumentView | null {
    if (name !== 'BTC-PERPETUAL') return null;
    return {
      instrument: name,
      time_ms: this.current.time_ms,
      bids: [[9099.5, 10_000]],
      asks: [[9100, 20_000]],
      book_status: 'live',
      ticker: { mark_price: 9100, mark_iv: null, bid_iv: null, ask_iv: null },
      orders: [],
      fills: [],
      position: 41_000,
    };
  }

  subscribe(listener: (state: EngineState) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  publish(patch: Partial<EngineState>): EngineState {
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener(this.current);
    return this.current;
  }

  async command(command: OperatorCommand): Promise<CommandResult> {
    this.commands.push(command);
    if (this.override !== null) return this.override(command);
    const result = (accepted: boolean, detail: string): CommandResult => ({
      accepted,
      trading_state: this.current.trading_state,
      detail,
    });
    switch (command.type) {
      case 'kill': {
        const already = this.current.trading_state === 'HALTED';
        this.publish({ trading_state: 'HALTED', trading_reasons: [`kill: ${command.reason ?? 'operator'}`] });
        return result(true, already ? 'already halted' : 'halted; orders cancelled');
      }
      case 'pause':
        if (this.current.trading_state === 'HALTED') return result(false, 'halted: resume first');
        this.publish({ trading_state: 'REDUCING', trading_reasons: ['paused'] });
        return result(true, 'paused');
      case 'resume':
        this.publish({ trading_state: 'ACTIVE', trading_reasons: [] });
        return result(true, 'resumed');
      case 'limits':
        try {
          const config = parseLimitsText(command.text);
          return result(true, `${config.limits.length} limits in force`);
        } catch (error) {
          return result(false, error instanceof Error ? error.message : String(error));
        }
    }
  }
}
