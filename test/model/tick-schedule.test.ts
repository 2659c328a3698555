import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INVERSE_OPTION_TICKS,
  InputError,
  OPTION_TICK_CHANGE_2023_MS,
  TickSchedule,
  tickTolerance,
  type SnapMode,
} from '../../src/model/index.js';

const BEFORE = Date.UTC(2023, 6, 6, 7, 59, 59, 999);
const AFTER = Date.UTC(2023, 6, 6, 8);
const SNAPSHOT_2020 = Date.UTC(2020, 4, 21, 23, 20);

describe('BTC/ETH option tick rule, before and after 2023-07-06', () => {
  it('changes at 08:00 UTC on 6 July 2023', () => {
    expect(OPTION_TICK_CHANGE_2023_MS).toBe(AFTER);
    expect(INVERSE_OPTION_TICKS.ruleAt(BEFORE).tickSize).toBe(0.0005);
    expect(INVERSE_OPTION_TICKS.ruleAt(AFTER).tickSize).toBe(0.0001);
  });

  it('is a flat 0.0005 before', () => {
    for (const price of [0.0005, 0.001, 0.0045, 0.005, 0.0055, 0.1, 1.2345]) {
      expect(INVERSE_OPTION_TICKS.tickAt(price, BEFORE)).toBe(0.0005);
    }
    expect(INVERSE_OPTION_TICKS.isOnTick(0.0012, BEFORE)).toBe(false);
    expect(INVERSE_OPTION_TICKS.isOnTick(0.0015, BEFORE)).toBe(true);
    expect(INVERSE_OPTION_TICKS.isOnTick(0.0215, SNAPSHOT_2020)).toBe(true);
  });

  it('is 0.0001 up to 0.005 and 0.0005 above, after', () => {
    expect(INVERSE_OPTION_TICKS.tickAt(0.0012, AFTER)).toBe(0.0001);
    expect(INVERSE_OPTION_TICKS.tickAt(0.005, AFTER)).toBe(0.0001);
    expect(INVERSE_OPTION_TICKS.tickAt(0.0051, AFTER)).toBe(0.0005);
    // The venue's own list of valid prices around the step: ..., 0.0049, 0.0050, 0.0055, 0.0060.
    for (const price of [0.0001, 0.0012, 0.0022, 0.0049, 0.005, 0.0055, 0.006, 0.0065, 0.1235]) {
      expect(INVERSE_OPTION_TICKS.isOnTick(price, AFTER)).toBe(true);
    }
    for (const price of [0.00015, 0.0051, 0.0052, 0.0054, 0.0056, 0.1234]) {
      expect(INVERSE_OPTION_TICKS.isOnTick(price, AFTER)).toBe(false);
    }
  });

  it('keeps every old-grid price valid under the new rule', () => {
    for (let k = 1; k <= 400; k++) {
      const price = Number((k * 0.0005).toFixed(4));
      expect(INVERSE_OPTION_TICKS.isOnTick(price, BEFORE)).toBe(true);
      expect(INVERSE_OPTION_TICKS.isOnTick(price, AFTER)).toBe(true);
    }
  });
});

describe('snapping', () => {
  const cases: ReadonlyArray<[number, number, SnapMode, number]> = [
    [0.00123, AFTER, 'down', 0.0012],
    [0.00123, AFTER, 'up', 0.0013],
    [0.00123, AFTER, 'nearest', 0.0012],
    [0.00125, AFTER, 'nearest', 0.0013], // tie goes up
    [0.00123, BEFORE, 'down', 0.001],
    [0.00123, BEFORE, 'up', 0.0015],
    [0.00123, BEFORE, 'nearest', 0.001],
    // Across the 0.005 step: above it only multiples of 0.0005 are valid.
    [0.0052, AFTER, 'down', 0.005],
    [0.0052, AFTER, 'up', 0.0055],
    [0.0052, AFTER, 'nearest', 0.005],
    [0.0053, AFTER, 'nearest', 0.0055],
    [0.00495, AFTER, 'up', 0.005],
    [0.00505, AFTER, 'down', 0.005],
    [0.0055, AFTER, 'down', 0.0055],
    [0.0, AFTER, 'down', 0],
    [-0.00012, AFTER, 'down', -0.0002],
  ];
  it.each(cases)('snaps %d at %d %s to %d', (price, atMs, mode, expected) => {
    expect(INVERSE_OPTION_TICKS.snap(price, atMs, mode)).toBe(expected);
  });

  it('is robust to floating point: whole ticks, exact decimals out', () => {
    expect(INVERSE_OPTION_TICKS.isOnTick(0.1 + 0.2, AFTER)).toBe(true); // 0.30000000000000004
    expect(INVERSE_OPTION_TICKS.snap(0.1 + 0.2, AFTER, 'down')).toBe(0.3);
    expect(INVERSE_OPTION_TICKS.snap(0.1 + 0.2, AFTER, 'up')).toBe(0.3);
    expect(INVERSE_OPTION_TICKS.snap(3 * 0.0001, AFTER, 'nearest')).toBe(0.0003);
    expect(INVERSE_OPTION_TICKS.isOnTick(0.0005 * 3, BEFORE)).toBe(true); // 0.0015000000000000000312
    expect(INVERSE_OPTION_TICKS.isOnTick(0.005 + 1e-15, AFTER)).toBe(true); // at the step, not above it
    const future = TickSchedule.constant(2.5);
    expect(future.isOnTick(65432.5, 0)).toBe(true);
    expect(future.snap(65433.7, 0, 'nearest')).toBe(65432.5);
    expect(future.snap(65433.75, 0, 'nearest')).toBe(65435);
  });

  it('gives on-tick results bracketing the price (property)', () => {
    const schedules = [
      INVERSE_OPTION_TICKS,
      new TickSchedule([
        {
          effectiveFromMs: 0,
          tickSize: 0.0005,
          steps: [
            { abovePrice: 120, tickSize: 0.001 },
            { abovePrice: 200, tickSize: 0.003 },
          ],
        },
      ]),
      new TickSchedule([
        {
          effectiveFromMs: 0,
          tickSize: 0.01,
          steps: [
            { abovePrice: 1, tickSize: 0.05 },
            { abovePrice: 10, tickSize: 1 },
          ],
        },
      ]),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: schedules.length - 1 }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.constantFrom(BEFORE, AFTER),
        (index, price, atMs) => {
          const schedule = schedules[index] as TickSchedule;
          const down = schedule.snap(price, atMs, 'down');
          const up = schedule.snap(price, atMs, 'up');
          const nearest = schedule.snap(price, atMs, 'nearest');
          for (const snapped of [down, up, nearest]) {
            expect(schedule.isOnTick(snapped, atMs)).toBe(true);
            expect(schedule.snap(snapped, atMs, 'down')).toBe(snapped);
            expect(schedule.snap(snapped, atMs, 'up')).toBe(snapped);
          }
          const tick = schedule.tickAt(price, atMs);
          const slack = tickTolerance(price / tick) * tick;
          expect(down).toBeLessThanOrEqual(price + slack);
          expect(up).toBeGreaterThanOrEqual(price - slack);
          expect([down, up]).toContain(nearest);
          // No valid price strictly between down and up other than at the price itself.
          if (down !== up) expect(schedule.isOnTick(price, atMs)).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('schedule validation', () => {
  it('refuses bad rules with the field named', () => {
    expect(() => new TickSchedule([])).toThrow(InputError);
    expect(() => TickSchedule.constant(0)).toThrow(/rules\[0\]\.tickSize/);
    expect(() => TickSchedule.constant(0.0001, [{ abovePrice: 0.005, tickSize: 0.00015 }])).toThrow(
      /multiple of the minimum tick/,
    );
    expect(() =>
      TickSchedule.constant(0.0001, [
        { abovePrice: 0.005, tickSize: 0.0005 },
        { abovePrice: 0.001, tickSize: 0.001 },
      ]),
    ).toThrow(/steps\[1\]\.abovePrice/);
    expect(
      () =>
        new TickSchedule([
          { effectiveFromMs: 10, tickSize: 1, steps: [] },
          { effectiveFromMs: 10, tickSize: 2, steps: [] },
        ]),
    ).toThrow(/rules\[1\]\.effectiveFromMs/);
  });

  it('refuses a time before the first rule, and bad prices', () => {
    const schedule = new TickSchedule([{ effectiveFromMs: AFTER, tickSize: 0.0001, steps: [] }]);
    expect(() => schedule.tickAt(0.001, BEFORE)).toThrow(/atMs.*2023-07-06T08:00:00.000Z/);
    expect(() => schedule.isOnTick(Number.NaN, AFTER)).toThrow(/price/);
    expect(() => schedule.snap(0.001, AFTER, 'sideways' as SnapMode)).toThrow(/mode/);
  });

  it('supersedes rules from a date with withRule', () => {
    const later = INVERSE_OPTION_TICKS.withRule({
      effectiveFromMs: Date.UTC(2030, 0, 1),
      tickSize: 0.00005,
      steps: [],
    });
    expect(later.rules).toHaveLength(3);
    expect(later.tickAt(0.1, Date.UTC(2030, 0, 1))).toBe(0.00005);
    const replaced = INVERSE_OPTION_TICKS.withRule({
      effectiveFromMs: Date.UTC(2022, 0, 1),
      tickSize: 0.001,
      steps: [],
    });
    expect(replaced.rules).toHaveLength(2);
    expect(replaced.tickAt(0.1, AFTER)).toBe(0.001);
    expect(replaced.tickAt(0.1, SNAPSHOT_2020)).toBe(0.0005);
  });
});
