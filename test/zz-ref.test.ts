import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { coreConfigOf, DEFAULT_RUN_CONFIG } from '../src/engine/config.js';
import { Engine } from '../src/engine/loop.js';
import { SqliteJournal } from '../src/store/sqlite/journal.js';
import { prepareChain } from '../src/venues/sim/market.js';
import { defaultChainFile, SimVenue } from '../src/venues/sim/adapter.js';
it('dump', async () => {
  const chain = await prepareChain(defaultChainFile());
  const journal = SqliteJournal.open(':memory:');
  const venue = new SimVenue({ seed: 3, speed: 'fast', chain });
  const engine = Engine.open({ core: coreConfigOf(DEFAULT_RUN_CONFIG, 'sim'), journal, venue, timerMs: 0, clock: () => venue.nowMs(), runId: 'a' });
  await engine.start();
  const out: string[] = [];
  for (let i = 0; i < 900; i++) {
    venue.stepFor(1000);
    engine.push({ kind: 'timer', timestampMs: venue.nowMs() });
    engine.flush(); engine.flush();
    if (i % 100 === 99) out.push(JSON.stringify({ d: engine.details(), m: engine.state().margin, g: engine.state().greeks }));
  }
  writeFileSync(process.env.OUT as string, out.join('\n'));
  await engine.stop();
}, 120000);
