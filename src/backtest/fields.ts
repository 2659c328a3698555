/**
 * Reading the backtest's scenario files (`scenario.ts`, `hedge-scenario.ts`): the document (JSON
 * when it starts with `{`, YAML otherwise) and its fields, every problem an `InputError` named by
 * the field's dotted path (`strategy.gamma`, `connection.drops.1.at_s`).
 */
import { parse as parseYaml } from 'yaml';
import { InputError } from '../model/errors.js';

/** Parses a scenario's text; a syntax error names `source` and the parser's message. */
export function parseDocument(text: string, source: string): unknown {
  try {
    return text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new InputError(
      source,
      text.slice(0, 80),
      `JSON or YAML (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** Bounds of a number field. */
export interface NumberRule {
  min?: number;
  max?: number;
  above?: number;
  integer?: boolean;
  nonZero?: boolean;
  default?: number;
}

/** The fields of one object of a scenario, at `path`; an unknown field is refused on sight. */
export class Fields {
  constructor(
    readonly path: string,
    readonly data: Record<string, unknown>,
    readonly allowed: readonly string[],
  ) {
    for (const key of Object.keys(data)) {
      if (!allowed.includes(key))
        throw new InputError(this.at(key), data[key], `no such field (${allowed.join(', ')})`);
    }
  }

  /** `v` as an object at `path`. */
  static of(path: string, v: unknown, allowed: readonly string[]): Fields {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new InputError(path || 'scenario', v, 'an object');
    return new Fields(path, v as Record<string, unknown>, allowed);
  }

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  number(key: string, rule: NumberRule = {}): number {
    const v = this.data[key] ?? rule.default;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (rule.min === undefined || v >= rule.min) &&
      (rule.max === undefined || v <= rule.max) &&
      (rule.above === undefined || v > rule.above) &&
      (rule.integer !== true || Number.isSafeInteger(v)) &&
      (rule.nonZero !== true || v !== 0);
    if (!ok) {
      const parts = [rule.integer === true ? 'an integer' : 'a number'];
      if (rule.min !== undefined) parts.push(`>= ${rule.min}`);
      if (rule.above !== undefined) parts.push(`> ${rule.above}`);
      if (rule.max !== undefined) parts.push(`<= ${rule.max}`);
      if (rule.nonZero === true) parts.push('not 0');
      throw new InputError(this.at(key), v, parts.join(' '));
    }
    return v;
  }

  /** A non-empty string (one of `choices` when given); `fallback` when the field is absent. */
  text(key: string, choices?: readonly string[], fallback?: string): string {
    const v = this.data[key] ?? fallback;
    if (typeof v !== 'string' || v === '' || (choices !== undefined && !choices.includes(v))) {
      throw new InputError(
        this.at(key),
        v,
        choices === undefined ? 'a non-empty string' : `one of ${choices.join(', ')}`,
      );
    }
    return v;
  }

  child(key: string, allowed: readonly string[]): Fields {
    return Fields.of(this.at(key), this.data[key], allowed);
  }
}
