/** Readers of recorded market data: Tardis CSV datasets (plain or gzipped). */
export {
  parseTardisCsvText,
  readTardisCsv,
  readTardisCsvBatches,
  TARDIS_DATA_TYPES,
  TARDIS_HEADERS,
  TardisCsvParser,
  tardisDataTypeFromFileName,
  tardisDataTypeFromHeader,
  type TardisDataType,
  type TardisReadOptions,
} from './tardis.js';
export {
  CSV_CHUNK_BYTES,
  CsvLineSplitter,
  isGzipFile,
  openCsvByteStream,
  parseDecimal,
  parseUnsignedInteger,
  QUOTED_FIELD_MESSAGE,
  type CsvLineSink,
} from './csv-rows.js';
