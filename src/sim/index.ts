/**
 * The simulator: the simulated exchange, seeded random streams, market generators (spot paths,
 * option chains, order flow), queue-position and latency models, and the Avellaneda-Stoikov
 * 2008 study. Exported from the package as the `sim` namespace (names such as `Fill`, `Side`
 * and `midAt` mean other things elsewhere in the library).
 */
export * from './exchange/index.js';
export * from './random.js';
export * from './generators/index.js';
export * from './queue.js';
export * from './latency.js';
export * from './as2008.js';
export * from './delivery.js';
