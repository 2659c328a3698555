/** Seeded market generators: spot paths, option chains, order flow. */
export * from './spot.js';
export * from './chain.js';
export * from './flow.js';
