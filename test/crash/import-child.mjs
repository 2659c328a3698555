// The child of the crash test: imports a fill file into an SQLite journal with the BUILT code
// (dist/index.js), printing one line per step so the parent knows when to kill it.
// Usage: node import-child.mjs FILE DB
import { importFills, SqliteJournal } from '../../dist/index.js';

const [file, db] = process.argv.slice(2);
const journal = SqliteJournal.open(db);
let validated = false;
const result = await importFills(file, journal, {
  onProgress(progress) {
    if (progress.phase === 'validate' && progress.totalLines > 0 && !validated) {
      validated = true;
      process.stdout.write('validated\n');
    } else if (progress.phase === 'journal') {
      process.stdout.write(`journaled ${progress.appended} ${progress.duplicates}\n`);
    }
  },
});
journal.close();
process.stdout.write(`done ${JSON.stringify(result)}\n`);
