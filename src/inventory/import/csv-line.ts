/**
 * One CSV record on one line (RFC 4180 quoting: a field in double quotes may hold commas and
 * doubled quotes `""`; a record never spans lines in the import format).
 */
import { ParseError } from '../../model/errors.js';

/** Splits one line into its fields; throws `ParseError` for an unterminated or stray quote. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const end = line.indexOf('"', i);
        if (end < 0) throw new ParseError('CSV line', line, 'a quoted field is not closed');
        value += line.slice(i, end);
        i = end + 1;
        if (line[i] !== '"') break;
        value += '"';
        i += 1;
      }
      if (i < line.length && line[i] !== ',') {
        throw new ParseError('CSV line', line, `unexpected text after a closing quote at column ${i + 1}`);
      }
      fields.push(value);
    } else {
      const end = line.indexOf(',', i);
      const value = end < 0 ? line.slice(i) : line.slice(i, end);
      if (value.includes('"')) throw new ParseError('CSV line', line, 'a quote inside an unquoted field');
      fields.push(value);
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return fields;
    i += 1; // the comma
    if (i === line.length) {
      fields.push('');
      return fields;
    }
  }
}
