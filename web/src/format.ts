/** Number formatting and small DOM helpers shared by the panels. */

const groupers = new Map<number, Intl.NumberFormat>();

/** A number with `digits` decimals and thousands separators; '-' for null or non-finite. */
export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  let f = groupers.get(digits);
  if (f === undefined) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    groupers.set(digits, f);
  }
  const s = f.format(value);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

/** A signed number (+/-), for P&L and deltas. */
export function signed(value: number | null | undefined, digits = 2): string {
  const s = num(value, digits);
  return value !== null && value !== undefined && value > 0 && s !== '-' && !/^0\.?0*$/.test(s) ? `+${s}` : s;
}

/** Compact USD: 1.2k, -3.4M. */
export function compact(value: number): string {
  const a = Math.abs(value);
  if (a >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** A small number in scientific form when it is below 0.01 (gamma per USD). */
export function small(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  return Math.abs(value) < 0.01 ? value.toExponential(2) : value.toFixed(3);
}

/** The class for a value's sign (green up, red down). */
export function tone(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value) || value === 0) return '';
  return value > 0 ? 'pos' : 'neg';
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** An element by id, typed; throws when the page lacks it (a build mistake). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`dashboard: #${id} missing from the page`);
  return el as T;
}

/** `2020-05-21 23:23:15` (UTC) for an epoch in ms. */
export function utc(ms: number): string {
  if (!(ms > 0)) return '-';
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Sets an element's text only when it changed (avoids needless layout). */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Sets an element's inner HTML only when it changed. */
export function setHtml(el: HTMLElement, html: string): void {
  if (el.dataset.html !== html) {
    el.innerHTML = html;
    el.dataset.html = html;
  }
}
