/**
 * Fast synchronous line and field handling for the CSV files of recorded market data (Tardis
 * datasets): bytes come from a `node:fs` stream in large chunks, through `node:zlib` gunzip when
 * the file starts with the gzip magic bytes (whatever its name), and each chunk is cut into lines
 * synchronously, without a promise or a string per line: the sink gets the chunk's text and the
 * line's offsets, and reads its fields in place.
 *
 * The Tardis format has no quoting (comma delimiter, LF line ends, no commas inside values), so
 * a line holding a double quote is refused clearly rather than half-understood.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Bytes read (or gunzipped) per chunk. Small on purpose: Node makes the text of a chunk over
 * about 1 MB an external string, on which V8's indexOf and charCodeAt are several times slower,
 * and a 64 KB chunk's text stays in the CPU cache while its lines are parsed.
 */
export const CSV_CHUNK_BYTES = 1 << 16;

/** What a sink is told about a line holding a double quote. */
export const QUOTED_FIELD_MESSAGE =
  'quoted fields are not supported (the Tardis CSV format has no quoting): the line holds a double quote';

/** Whether the file starts with the gzip magic bytes 1f 8b. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * The file's bytes as a stream of Buffers, gunzipped when the file is gzip (detected by its magic
 * bytes, so a `.csv.gz` that is really plain text reads too). `gzip` tells which it was.
 */
export async function openCsvByteStream(path: string): Promise<{ stream: Readable; gzip: boolean }> {
  const gzip = await isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: CSV_CHUNK_BYTES });
  if (!gzip) return { stream: raw, gzip };
  const gunzip = createGunzip({ chunkSize: CSV_CHUNK_BYTES });
  // pipeline destroys both streams on an error of either; the error surfaces where the gunzip
  // stream is read.
  return { stream: pipeline(raw, gunzip, () => undefined), gzip };
}

/** Receives the lines of a CSV file, in order, one call per physical line. */
export interface CsvLineSink {
  /**
   * One line: its text is `text.slice(start, end)`, without the LF (nor a CR before it).
   * `lineNumber` is 1-based over physical lines (the header is line 1).
   */
  line(text: string, start: number, end: number, lineNumber: number): void;
  /** A line holding a double quote (see `QUOTED_FIELD_MESSAGE`), instead of `line`. */
  quotedLine(text: string, start: number, end: number, lineNumber: number): void;
}

/**
 * Cuts a byte stream into lines for a `CsvLineSink`: `push` each chunk, then `end`. A chunk is
 * decoded as UTF-8 up to its last LF (an LF byte never occurs inside a multi-byte UTF-8
 * sequence), the rest is kept for the next chunk. Exceptions of the sink propagate out of `push`
 * and `end`; the splitter is then left as it was after the throwing line.
 */
export class CsvLineSplitter {
  private carry: Buffer | null = null;
  private lineNumber = 0;

  constructor(private readonly sink: CsvLineSink) {}

  /** Physical lines handed to the sink so far. */
  get lines(): number {
    return this.lineNumber;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const last = buf.lastIndexOf(10);
    if (last < 0) {
      this.carry = Buffer.from(buf);
      return;
    }
    if (last + 1 < buf.length) this.carry = Buffer.from(buf.subarray(last + 1));
    // Looked for in the bytes: a String.prototype.indexOf('"') over the chunk's text made every
    // later indexOf('\n', start) on that text scan far (V8, Node 20: 100x slower splitting).
    const quoted = buf.indexOf(34) !== -1;
    this.split(buf.toString('utf8', 0, last + 1), quoted);
  }

  /** The last line, when the file does not end with an LF. */
  end(): void {
    const carry = this.carry;
    this.carry = null;
    if (carry !== null && carry.length > 0)
      this.split(carry.toString('utf8') + '\n', carry.indexOf(34) !== -1);
  }

  /** `text` ends with an LF; `quoted` says whether it may hold a double quote. */
  private split(text: string, quoted: boolean): void {
    const sink = this.sink;
    const n = text.length;
    let start = 0;
    while (start < n) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = n;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const lineNumber = ++this.lineNumber;
      if (quoted && hasQuote(text, start, end)) sink.quotedLine(text, start, end, lineNumber);
      else sink.line(text, start, end, lineNumber);
      start = nl + 1;
    }
  }
}

function hasQuote(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 34) return true;
  return false;
}

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The decimal number in `text.slice(start, end)`, exactly as `Number()` would read it, or NaN
 * when it is not a plain finite decimal (`-12.5`, `0.0001`, `1e-7`; not empty, not `Infinity`,
 * `0x1f`, ` 1`, `+1`, `1e400`). Fast path without allocation: at most 15 significant digits and
 * 22 decimals, where `mantissa / 10^k` is the correctly rounded value (both operands exact).
 */
export function parseDecimal(text: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end && text.charCodeAt(i) === 45) {
    negative = true;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (dot) decimals++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (i === end && digits > 0 && digits <= 15 && decimals <= 22) {
    const v = decimals === 0 ? mantissa : mantissa / POW10[decimals]!;
    return negative ? -v : v;
  }
  if (start === end) return NaN;
  const s = text.slice(start, end);
  if (!DECIMAL.test(s)) return NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * The non-negative integer in `text.slice(start, end)` (digits only, at most 2^53 - 1), or -1.
 */
export function parseUnsignedInteger(text: string, start: number, end: number): number {
  if (start >= end || end - start > 16) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : -1;
}
