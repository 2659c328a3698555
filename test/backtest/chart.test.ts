import { describe, expect, it } from 'vitest';
import { htmlReport } from '../../src/backtest/chart.js';
import { InputError } from '../../src/model/errors.js';

describe('htmlReport', () => {
  const series = [{ title: 'P&L <coin>', unit: 'BTC', timesMs: [0, 1000, 2000], values: [0, -0.5, 1.25] }];

  it('writes a self-contained page: the figures, one SVG chart per series, escaped text', () => {
    const html = htmlReport('run & seed 1', { sharpe: 1.5, strategy: 'as' }, series);
    expect(html).toContain('<title>run &amp; seed 1</title>');
    expect(html).toContain('<tr><th>sharpe</th><td>1.500000</td></tr>');
    expect(html).toContain('P&amp;L &lt;coin&gt; (BTC)');
    // x from 40 to 860; y = 180 - (v + 0.5) / 1.75 x 140: 0 -> 140, -0.5 -> 180, 1.25 -> 40.
    expect(html).toContain('points="40.0,140.0 450.0,180.0 860.0,40.0"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('is the same bytes for the same input', () => {
    expect(htmlReport('r', { a: 1 }, series)).toBe(htmlReport('r', { a: 1 }, series));
  });

  it('thins a long series to at most 2,000 points and keeps the last', () => {
    const n = 10_001;
    const html = htmlReport('long', {}, [
      {
        title: 's',
        unit: 'u',
        timesMs: Array.from({ length: n }, (_, i) => i),
        values: Array.from({ length: n }, (_, i) => i % 7),
      },
    ]);
    const points = (/points="([^"]*)"/.exec(html)?.[1] ?? '').split(' ');
    expect(points.length).toBeLessThanOrEqual(2001);
    expect(points.at(-1)?.startsWith('860.0,')).toBe(true);
  });

  it('refuses mismatched or non-finite series, naming them', () => {
    expect(() => htmlReport('x', {}, [{ ...series[0]!, values: [1, 2] }])).toThrow(InputError);
    expect(() => htmlReport('x', {}, [{ ...series[0]!, values: [1, Number.NaN, 2] }])).toThrow(
      /series\[0\]\.values\[1\]/,
    );
  });
});
