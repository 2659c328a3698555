/**
 * A ledger's fold written as JSON text, for the journal's snapshots: what `Ledger.snapshot`
 * writes and `Ledger.fromSnapshot` reads. Money as exact decimal strings (`formatMoney`), so a
 * state read back is the state written, to the last unit.
 *
 * The snapshot holds the fold, not the events: each instrument's position state and the key of
 * its last event (the canonical order's position), the account's own cash movements, the
 * conversions routed into futures, and the mark events. The events themselves stay in the
 * journal, from which a restored ledger reads an instrument's history when a late event makes
 * it refold (`LedgerHistory`).
 */
import { InputError } from '../model/errors.js';
import { type EventBase, type MarkEvent } from './events.js';
import { eventFromJson, eventToJson } from './event-json.js';
import { formatMoney, parseMoney, type Money } from './money.js';
import { newPosition, type Conversion, type PositionState } from './position.js';

/** The format tag of the text; a reader refuses any other. */
export const LEDGER_SNAPSHOT_FORMAT = 'ballast-ledger/1';

/** The canonical-order key of an event: where it stands among the others. */
export type EventKey = Pick<EventBase, 'timestampMs' | 'sequence' | 'id' | 'venue'>;

/** A ledger's fold, decoded. */
export interface LedgerSnapshotState {
  /** Distinct events folded. */
  events: number;
  accountCash: Map<string, Money>;
  /** Each instrument's state with the key of its last event (null for a future that only received conversions). */
  instruments: { state: PositionState; last: EventKey | null }[];
  /** Conversions into each future. */
  conversions: Map<string, Map<string, Conversion>>;
  marks: MarkEvent[];
}

/** Writes `state` as the snapshot's text. */
export function encodeLedgerSnapshot(state: LedgerSnapshotState): string {
  return JSON.stringify({
    format: LEDGER_SNAPSHOT_FORMAT,
    events: state.events,
    accountCash: moneyMap(state.accountCash),
    instruments: state.instruments.map(({ state: s, last }) => ({
      last:
        last === null
          ? null
          : { timestampMs: last.timestampMs, sequence: last.sequence, id: last.id, venue: last.venue },
      instrument: s.instrument,
      amount: formatMoney(s.amount),
      entryValue: s.entryValue.toString(),
      sessionValue: s.sessionValue.toString(),
      realizedPnl: formatMoney(s.realizedPnl),
      sessionRealizedPnl: formatMoney(s.sessionRealizedPnl),
      fundingReceived: formatMoney(s.fundingReceived),
      cash: moneyMap(s.cash),
      feesPaid: moneyMap(s.feesPaid),
      lastSettlementPrice: s.lastSettlementPrice === null ? null : formatMoney(s.lastSettlementPrice),
      deliveryPrice: s.deliveryPrice === null ? null : formatMoney(s.deliveryPrice),
      fills: s.fills,
      liquidations: s.liquidations,
      conversions: s.conversions.map(encodeConversion),
    })),
    conversions: [...state.conversions.values()].flatMap((byKey) =>
      [...byKey.values()].map(encodeConversion),
    ),
    marks: state.marks.map(eventToJson),
  });
}

/** Reads a snapshot's text. Throws `InputError` naming the field for anything it cannot use. */
export function decodeLedgerSnapshot(text: string): LedgerSnapshotState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new InputError('snapshot', text.slice(0, 80), 'JSON text of a ledger snapshot');
  }
  const root = object('snapshot', data);
  if (root.format !== LEDGER_SNAPSHOT_FORMAT) {
    throw new InputError('snapshot.format', root.format, LEDGER_SNAPSHOT_FORMAT);
  }
  const conversions = new Map<string, Map<string, Conversion>>();
  array('snapshot.conversions', root.conversions).forEach((item, i) => {
    const conversion = decodeConversion(`snapshot.conversions[${i}]`, item);
    let byKey = conversions.get(conversion.future);
    if (byKey === undefined) {
      byKey = new Map();
      conversions.set(conversion.future, byKey);
    }
    byKey.set(conversion.key, conversion);
  });
  return {
    events: count('snapshot.events', root.events),
    accountCash: readMoneyMap('snapshot.accountCash', root.accountCash),
    instruments: array('snapshot.instruments', root.instruments).map((item, i) =>
      decodeInstrument(`snapshot.instruments[${i}]`, item),
    ),
    conversions,
    marks: array('snapshot.marks', root.marks).map((item, i) => {
      const event = eventFromJson(item);
      if (event.type !== 'mark') throw new InputError(`snapshot.marks[${i}].type`, event.type, 'mark');
      return event;
    }),
  };
}

function decodeInstrument(field: string, value: unknown): { state: PositionState; last: EventKey | null } {
  const source = object(field, value);
  const instrument = source.instrument;
  if (typeof instrument !== 'string') throw new InputError(`${field}.instrument`, instrument, 'a name');
  const state = newPosition(instrument);
  const money = (name: string): Money => readMoney(`${field}.${name}`, source[name]);
  const optionalMoney = (name: string): Money | null => (source[name] === null ? null : money(name));
  state.amount = money('amount');
  state.entryValue = readInteger(`${field}.entryValue`, source.entryValue);
  state.sessionValue = readInteger(`${field}.sessionValue`, source.sessionValue);
  state.realizedPnl = money('realizedPnl');
  state.sessionRealizedPnl = money('sessionRealizedPnl');
  state.fundingReceived = money('fundingReceived');
  state.cash = readMoneyMap(`${field}.cash`, source.cash);
  state.feesPaid = readMoneyMap(`${field}.feesPaid`, source.feesPaid);
  state.lastSettlementPrice = optionalMoney('lastSettlementPrice');
  state.deliveryPrice = optionalMoney('deliveryPrice');
  state.fills = count(`${field}.fills`, source.fills);
  state.liquidations = count(`${field}.liquidations`, source.liquidations);
  state.conversions = array(`${field}.conversions`, source.conversions).map((item, i) =>
    decodeConversion(`${field}.conversions[${i}]`, item),
  );
  if (source.last === null) return { state, last: null };
  const last = object(`${field}.last`, source.last);
  const key: EventKey = {
    timestampMs: count(`${field}.last.timestampMs`, last.timestampMs),
    sequence: count(`${field}.last.sequence`, last.sequence),
    id: text(`${field}.last.id`, last.id),
    venue: text(`${field}.last.venue`, last.venue),
  };
  return { state, last: key };
}

function encodeConversion(c: Conversion): Record<string, unknown> {
  return {
    key: c.key,
    source: c.source,
    timestampMs: c.timestampMs,
    sequence: c.sequence,
    future: c.future,
    amount: formatMoney(c.amount),
    price: formatMoney(c.price),
  };
}

function decodeConversion(field: string, value: unknown): Conversion {
  const source = object(field, value);
  return {
    key: text(`${field}.key`, source.key),
    source: text(`${field}.source`, source.source),
    timestampMs: count(`${field}.timestampMs`, source.timestampMs),
    sequence: count(`${field}.sequence`, source.sequence),
    future: text(`${field}.future`, source.future),
    amount: readMoney(`${field}.amount`, source.amount),
    price: readMoney(`${field}.price`, source.price),
  };
}

function moneyMap(map: Map<string, Money>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [ccy, amount] of map) out[ccy] = formatMoney(amount);
  return out;
}

function readMoneyMap(field: string, value: unknown): Map<string, Money> {
  const out = new Map<string, Money>();
  for (const [ccy, amount] of Object.entries(object(field, value)))
    out.set(ccy, readMoney(`${field}.${ccy}`, amount));
  return out;
}

function readMoney(field: string, value: unknown): Money {
  if (typeof value !== 'string') throw new InputError(field, value, 'a decimal string');
  return parseMoney(value, { field });
}

function readInteger(field: string, value: unknown): bigint {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value))
    throw new InputError(field, value, 'an integer string');
  return BigInt(value);
}

function object(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InputError(field, value, 'an object');
  return value as Record<string, unknown>;
}

function array(field: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new InputError(field, value, 'an array');
  return value;
}

function count(field: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw new InputError(field, value, 'an integer >= 0');
  return value as number;
}

function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new InputError(field, value, 'a non-empty string');
  return value;
}
