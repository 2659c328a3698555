/**
 * A backtest report as one self-contained HTML page: a table of the figures and an SVG line
 * chart per series (P&L, inventory, mid), no script, no external file, and the same bytes for
 * the same input (numbers written with a fixed number of digits), so that a report can be
 * compared byte for byte between runs.
 */
import { InputError } from '../model/errors.js';

/** One chart: a named series over time. */
export interface ChartSeries {
  title: string;
  /** Axis label of the values (`USD`, `contracts`). */
  unit: string;
  timesMs: ArrayLike<number>;
  values: ArrayLike<number>;
}

const WIDTH = 900;
const HEIGHT = 220;
const PAD = 40;
/** Points drawn per series at most (evenly thinned beyond): a page stays small for long runs. */
const MAX_POINTS = 2000;

/** The HTML page of a report: `figures` as a table (key, value), then one chart per series. */
export function htmlReport(
  title: string,
  figures: Readonly<Record<string, string | number>>,
  series: readonly ChartSeries[],
): string {
  const rows = Object.entries(figures)
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(typeof v === 'number' ? fixed(v) : v)}</td></tr>`)
    .join('\n');
  const charts = series.map(svgChart).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin-bottom:16px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}td{font-variant-numeric:tabular-nums}
figure{margin:0 0 16px}figcaption{font-weight:600;margin-bottom:4px}</style></head>
<body><h1>${escape(title)}</h1>
<table>
${rows}
</table>
${charts}
</body></html>
`;
}

function svgChart(s: ChartSeries, index: number): string {
  const n = s.values.length;
  if (s.timesMs.length !== n)
    throw new InputError(`series[${index}].values`, n, `as many values as times (${s.timesMs.length})`);
  if (n === 0) return `<figure><figcaption>${escape(s.title)}</figcaption><p>no data</p></figure>`;
  const step = Math.max(1, Math.ceil(n / MAX_POINTS));
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = s.values[i] as number;
    if (!Number.isFinite(v)) throw new InputError(`series[${index}].values[${i}]`, v, 'a finite number');
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const t0 = s.timesMs[0] as number;
  const t1 = s.timesMs[n - 1] as number;
  const span = t1 > t0 ? t1 - t0 : 1;
  const x = (t: number): string => fixed(PAD + ((t - t0) / span) * (WIDTH - 2 * PAD), 1);
  const y = (v: number): string => fixed(HEIGHT - PAD - ((v - lo) / (hi - lo)) * (HEIGHT - 2 * PAD), 1);
  const points: string[] = [];
  for (let i = 0; i < n; i += step) points.push(`${x(s.timesMs[i] as number)},${y(s.values[i] as number)}`);
  if ((n - 1) % step !== 0) points.push(`${x(t1)},${y(s.values[n - 1] as number)}`);
  const zero =
    lo < 0 && hi > 0
      ? `<line x1="${PAD}" x2="${WIDTH - PAD}" y1="${y(0)}" y2="${y(0)}" stroke="#bbb" stroke-dasharray="4 3"/>`
      : '';
  return `<figure><figcaption>${escape(s.title)} (${escape(s.unit)})</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escape(s.title)}">
<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#fff" stroke="#ddd"/>${zero}
<text x="4" y="${PAD - 8}" font-size="11">${escape(fixed(hi))}</text><text x="4" y="${HEIGHT - PAD + 14}" font-size="11">${escape(fixed(lo))}</text>
<polyline fill="none" stroke="#1f6feb" stroke-width="1.2" points="${points.join(' ')}"/>
</svg></figure>`;
}

/** A number with `digits` decimals and no negative zero. */
function fixed(v: number, digits = 6): string {
  const text = v.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;',
  );
}
