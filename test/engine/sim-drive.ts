/** The engine on the simulated venue in fast mode, as the engine tests drive it: second by second. */
import type { CoreConfig } from '../../src/engine/core.js';
import { Engine } from '../../src/engine/loop.js';
import type { JournalStore } from '../../src/store/journal.js';
import type { SimVenue } from '../../src/venues/sim/adapter.js';

/** An engine on `journal` and `venue`, no timer of its own, its clock the venue's. */
export function openOnSim(core: CoreConfig, journal: JournalStore, venue: SimVenue, runId: string): Engine {
  return Engine.open({ core, journal, venue, timerMs: 0, clock: () => venue.nowMs(), runId });
}

/** Runs `seconds` of simulated time, a timer each second, the loop flushed after each step. */
export function drive(engine: Engine, venue: SimVenue, seconds: number): void {
  for (let i = 0; i < seconds; i++) {
    venue.stepFor(1000);
    engine.push({ kind: 'timer', timestampMs: venue.nowMs() });
    engine.flush();
    engine.flush();
  }
}
