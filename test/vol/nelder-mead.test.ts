/**
 * Nelder-Mead (`src/vol/nelder-mead.ts`) on functions whose minimum is known exactly:
 * Rosenbrock's valley (minimum 0 at (1, 1), from the classic start (-1.2, 1)), a quadratic whose
 * minimum lies outside a box (the bounded minimum is the nearest corner), and a 3-D quadratic.
 * Tolerances: the search stops when the simplex spans 1e-10; the minimiser is asked to 1e-8.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { nelderMead } from '../../src/vol/nelder-mead.js';

const rosenbrock = (x: Float64Array): number => 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2;

describe('nelderMead', () => {
  it("finds Rosenbrock's minimum from (-1.2, 1)", () => {
    const result = nelderMead(rosenbrock, [-1.2, 1], { initialStep: [0.1, 0.1], maxIterations: 1000 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 8);
    expect(result.x[1]).toBeCloseTo(1, 8);
    expect(result.f).toBeLessThan(1e-16);
    expect(result.evaluations).toBeGreaterThan(result.iterations);
  });

  it('stays in the box and finds the bounded minimum at its corner', () => {
    const f = (x: Float64Array): number => (x[0]! - 3) ** 2 + (x[1]! + 1) ** 2 + 0.5 * x[0]! * x[1]!;
    const seen: number[][] = [];
    const result = nelderMead(
      (x) => {
        seen.push([x[0]!, x[1]!]);
        return f(x);
      },
      [1, 1],
      { initialStep: [0.5, 0.5], lower: [0, 0], upper: [2, 2] },
    );
    for (const [x, y] of seen) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(2);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(2);
    }
    // d f / d y = 2 (y + 1) + 0.5 x > 0 on the box, and f(x, 0) = (x - 3)^2 + 1 falls to x = 2.
    expect(result.x[0]).toBe(2);
    expect(result.x[1]).toBe(0);
  });

  it('takes a starting step that would leave the box the other way', () => {
    const result = nelderMead((x) => (x[0]! - 0.5) ** 2, [1], { initialStep: [0.3], lower: [0], upper: [1] });
    expect(result.x[0]).toBeCloseTo(0.5, 8);
  });

  it('minimises in three dimensions', () => {
    const f = (x: Float64Array): number =>
      (x[0]! - 1) ** 2 + 2 * (x[1]! + 2) ** 2 + 3 * (x[2]! - 0.5) ** 2 + x[0]! * x[1]!;
    const result = nelderMead(f, [0, 0, 0], { initialStep: [1, 1, 1], maxIterations: 2000 });
    // Stationary point: 2(x - 1) + y = 0, 4(y + 2) + x = 0, z = 0.5.
    expect(result.x[0]).toBeCloseTo(16 / 7, 7);
    expect(result.x[1]).toBeCloseTo(-18 / 7, 7);
    expect(result.x[2]).toBeCloseTo(0.5, 7);
  });

  it('is deterministic, stops at the iteration limit, treats NaN as +Infinity', () => {
    const options = { initialStep: [0.1, 0.1], maxIterations: 1000 };
    const one = nelderMead(rosenbrock, [-1.2, 1], options);
    const two = nelderMead(rosenbrock, [-1.2, 1], options);
    expect(Array.from(two.x)).toEqual(Array.from(one.x));
    expect(two.evaluations).toBe(one.evaluations);
    const short = nelderMead(rosenbrock, [-1.2, 1], { ...options, maxIterations: 10 });
    expect(short.iterations).toBe(10);
    expect(short.converged).toBe(false);
    const holed = nelderMead((x) => (x[0]! < 0 ? NaN : (x[0]! - 1) ** 2), [0.2], { initialStep: [0.1] });
    expect(holed.x[0]).toBeCloseTo(1, 8);
  });

  it('refuses malformed options, naming the field', () => {
    expect(() => nelderMead(rosenbrock, [0, 0], { initialStep: [0.1] })).toThrow(InputError);
    expect(() => nelderMead(rosenbrock, [0, 0], { initialStep: [0.1, 0] })).toThrow(/initialStep\[1\]/);
    expect(() => nelderMead(rosenbrock, [0, NaN], { initialStep: [0.1, 0.1] })).toThrow(/x0\[1\]/);
    expect(() =>
      nelderMead(rosenbrock, [0, 0], { initialStep: [1, 1], lower: [1, 0], upper: [0, 1] }),
    ).toThrow(/lower\[0\]/);
  });
});
