/**
 * The events a ledger has applied, found by venue and id: how it tells a duplicate.
 *
 * An open-addressing hash table in typed arrays (linear probing, the table kept at most half
 * full) over a plain array of the events. A `Map` keyed by id held a million entries in hash
 * tables the garbage collector traces and that are copied on every growth: a third of the time
 * to rebuild a million-fill ledger (`bench/RESULTS.md`). Here the table is two integer arrays
 * the collector never looks into, and an id's hash is computed once per lookup.
 */
import type { InventoryEvent } from './events.js';

const EMPTY = -1;
const INITIAL_SLOTS = 1 << 12;

export class EventIndex {
  private readonly list: InventoryEvent[] = [];
  /** Position in `list` of the event in each slot, `EMPTY` for none. */
  private slots = new Int32Array(INITIAL_SLOTS).fill(EMPTY);
  /** Full hash of the event in each slot: most mismatches end here, without a string compare. */
  private hashes = new Int32Array(INITIAL_SLOTS);

  /** Number of events held. */
  get size(): number {
    return this.list.length;
  }

  /** The event with this venue and id, if held. */
  get(venue: string, id: string): InventoryEvent | undefined {
    const hash = hashKey(venue, id);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = this.slots[slot] as number;
      if (at === EMPTY) return undefined;
      if (this.hashes[slot] === hash) {
        const event = this.list[at] as InventoryEvent;
        if (event.id === id && event.venue === venue) return event;
      }
    }
  }

  /**
   * Adds `event` unless one with its venue and id is held; returns the one held then (and
   * changes nothing), undefined when added.
   */
  addIfAbsent(event: InventoryEvent): InventoryEvent | undefined {
    const hash = hashKey(event.venue, event.id);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const at = this.slots[slot] as number;
      if (at === EMPTY) break;
      if (this.hashes[slot] === hash) {
        const held = this.list[at] as InventoryEvent;
        if (held.id === event.id && held.venue === event.venue) return held;
      }
    }
    this.slots[slot] = this.list.length;
    this.hashes[slot] = hash;
    this.list.push(event);
    if (this.list.length * 2 > this.slots.length) this.grow();
    return undefined;
  }

  private grow(): void {
    const size = this.slots.length * 2;
    const mask = size - 1;
    const slots = new Int32Array(size).fill(EMPTY);
    const hashes = new Int32Array(size);
    for (let old = 0; old < this.slots.length; old++) {
      const at = this.slots[old] as number;
      if (at === EMPTY) continue;
      const hash = this.hashes[old] as number;
      let slot = hash & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = at;
      hashes[slot] = hash;
    }
    this.slots = slots;
    this.hashes = hashes;
  }
}

/** FNV-1a (32 bits) over the id's UTF-16 code units, a separator, then the venue's. */
function hashKey(venue: string, id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ 0xffff, 0x01000193);
  for (let i = 0; i < venue.length; i++) hash = Math.imul(hash ^ venue.charCodeAt(i), 0x01000193);
  return hash;
}
