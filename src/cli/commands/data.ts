/**
 * `ballast data inspect FILE [--json] [--format tardis-csv|deribit-jsonl]`: a summary of a
 * recorded market-data file (Tardis CSV or Deribit WebSocket notifications as JSON Lines, plain
 * or gzipped): records, events by type, instruments, time span, gaps in the book sequence, bad
 * records. With `--json` one object whose fields include
 * `{"events":N,"instruments":[...],"start_ms":t0,"end_ms":t1,"gaps":G}`. Exit status 1 when
 * the file has bad records (each is reported), 2 when it cannot be read.
 */
import { existsSync, statSync } from 'node:fs';

import { Option, type Command } from 'commander';

import {
  formatOfRecordedFile,
  inspectFile,
  type FileSummary,
  type RecordedFormat,
} from '../../market/recorded/inspect.js';
import { InputFileError } from '../jsonl.js';

/** `data inspect --json`. */
export interface InspectReport {
  file: string;
  format: RecordedFormat;
  events: number;
  event_types: Partial<Record<string, number>>;
  instruments: string[];
  start_ms: number | null;
  end_ms: number | null;
  start: string | null;
  end: string | null;
  gaps: number | null;
  bad_records: number;
  first_bad_records: { line: number; error: string }[];
}

export function registerData(program: Command, setExitCode: (code: number) => void): void {
  const data = program.command('data').summary('recorded market data: inspect a file');
  data
    .command('inspect <file>')
    .summary('summarize a Tardis CSV or Deribit JSON Lines file (plain or .gz)')
    .description(
      'Reads the whole file and prints its records, events by type, instruments, time span\n' +
        '(exchange timestamps), gaps in the book sequence (prev_change_id not the last change_id;\n' +
        'null for formats without sequence numbers) and bad records. With --json one object\n' +
        '{"events":N,"instruments":[...],"start_ms":t0,"end_ms":t1,"gaps":G,...}.',
    )
    .option('--json', 'print one JSON object')
    .addOption(
      new Option('--format <format>', 'the layout (default: from the file name)').choices([
        'tardis-csv',
        'deribit-jsonl',
      ]),
    )
    .action(async (file: string, options: { json?: boolean; format?: RecordedFormat }) => {
      if (!existsSync(file)) throw new InputFileError(file, 'no such file');
      if (statSync(file).isDirectory()) throw new InputFileError(file, 'is a directory');
      const format = options.format ?? formatOfRecordedFile(file);
      if (format === undefined) {
        throw new InputFileError(file, 'unknown layout: name it .csv[.gz] or .jsonl[.gz], or give --format');
      }
      const tty = process.stderr.isTTY;
      const summary = await inspectFile(file, {
        format,
        ...(tty
          ? { onProgress: (n: number) => process.stderr.write(`\r${n.toLocaleString('en-US')} records`) }
          : {}),
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const report = inspectReport(file, summary);
      process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : inspectText(report));
      for (const bad of report.first_bad_records) process.stderr.write(`line ${bad.line}: ${bad.error}\n`);
      if (report.bad_records > report.first_bad_records.length) {
        process.stderr.write(
          `... and ${report.bad_records - report.first_bad_records.length} more bad records\n`,
        );
      }
      setExitCode(report.bad_records > 0 ? 1 : 0);
    });
}

export function inspectReport(file: string, s: FileSummary): InspectReport {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    file,
    format: s.format,
    events: s.events,
    event_types: s.eventTypes,
    instruments: s.instruments,
    start_ms: s.startMs,
    end_ms: s.endMs,
    start: iso(s.startMs),
    end: iso(s.endMs),
    gaps: s.gaps,
    bad_records: s.badRecords,
    first_bad_records: s.firstBadRecords.map((b) => ({ line: b.lineNumber, error: b.message })),
  };
}

function inspectText(r: InspectReport): string {
  const types = Object.entries(r.event_types)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const shown =
    r.instruments.slice(0, 10).join(', ') +
    (r.instruments.length > 10 ? `, ... (${r.instruments.length})` : '');
  return [
    `${r.file} (${r.format})`,
    `records      ${r.events}`,
    `events       ${types === '' ? 'none' : types}`,
    `instruments  ${shown === '' ? 'none' : shown}`,
    `from         ${r.start ?? '-'}`,
    `to           ${r.end ?? '-'}`,
    `gaps         ${r.gaps === null ? 'n/a (no sequence numbers)' : r.gaps}`,
    `bad records  ${r.bad_records}`,
    '',
  ].join('\n');
}
