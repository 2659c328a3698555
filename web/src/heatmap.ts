/**
 * The spot x vol stress map on a canvas: rows by vol shift, columns by spot move, each cell the
 * book's P&L in USD under that scenario (full revaluation, `EngineDetails.stress`), coloured from
 * red (loss) to green (gain) on a scale symmetric about zero; the worst cell outlined.
 */
import type { EngineDetails } from '../../src/engine/types.js';
import { compact } from './format.js';

type Stress = NonNullable<EngineDetails['stress']>;

const LEFT = 46;
const BOTTOM = 20;

function cellColour(value: number, scale: number): string {
  const x = scale > 0 ? Math.max(-1, Math.min(1, value / scale)) : 0;
  // From the panel's colour (#161b22) towards red or green with |x|.
  const base = [34, 40, 50];
  const to = x < 0 ? [218, 54, 51] : [46, 160, 67];
  const a = Math.sqrt(Math.abs(x));
  const c = base.map((b, i) => Math.round(b + ((to[i] as number) - b) * a));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export class HeatMap {
  private stress: Stress | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('dashboard: no 2D canvas');
    this.ctx = ctx;
    const host = canvas.parentElement ?? canvas;
    new ResizeObserver(() => this.draw()).observe(host);
  }

  show(stress: Stress | null): void {
    this.stress = stress;
    this.draw();
  }

  private draw(): void {
    const canvas = this.canvas;
    const host = canvas.parentElement ?? canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(100, host.clientWidth);
    const h = Math.max(60, host.clientHeight);
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const s = this.stress;
    if (s === null || s.pnl_usd.length === 0) {
      ctx.fillStyle = '#8b96a5';
      ctx.textAlign = 'center';
      ctx.fillText('no positions to stress', w / 2, h / 2);
      return;
    }
    const rows = s.vol_shifts.length;
    const cols = s.spot_moves.length;
    const cw = (w - LEFT) / cols;
    const ch = (h - BOTTOM) / rows;
    if (cw < 34) ctx.font = '10px system-ui, sans-serif';
    let scale = 0;
    let worst = { r: 0, c: 0, v: Number.POSITIVE_INFINITY };
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const v = s.pnl_usd[r]?.[c] ?? 0;
        scale = Math.max(scale, Math.abs(v));
        if (v < worst.v) worst = { r, c, v };
      }
    // Highest vol shift at the top.
    const y = (r: number) => (rows - 1 - r) * ch;
    ctx.textAlign = 'center';
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const v = s.pnl_usd[r]?.[c] ?? 0;
        const x0 = LEFT + c * cw;
        const y0 = y(r);
        ctx.fillStyle = cellColour(v, scale);
        ctx.fillRect(x0 + 1, y0 + 1, cw - 2, ch - 2);
        if (cw >= 26 && ch >= 13) {
          ctx.fillStyle = '#f0f3f6';
          ctx.fillText(compact(v), x0 + cw / 2, y0 + ch / 2);
        }
      }
    if (worst.v < 0) {
      ctx.strokeStyle = '#ffd33d';
      ctx.lineWidth = 2;
      ctx.strokeRect(LEFT + worst.c * cw + 1, y(worst.r) + 1, cw - 2, ch - 2);
    }
    ctx.fillStyle = '#8b96a5';
    for (let c = 0; c < cols; c++) {
      const m = s.spot_moves[c] ?? 0;
      ctx.fillText(`${m > 0 ? '+' : ''}${Math.round(m * 100)}%`, LEFT + c * cw + cw / 2, h - BOTTOM / 2);
    }
    ctx.textAlign = 'right';
    for (let r = 0; r < rows; r++) {
      const v = s.vol_shifts[r] ?? 0;
      ctx.fillText(`${v > 0 ? '+' : ''}${Math.round(v * 100)} vol`, LEFT - 6, y(r) + ch / 2);
    }
  }
}
