/** Automated delta hedging: target, policies, instrument choice, executor and tracker. */
export * from './target.js';
export * from './policies.js';
export * from './instrument-choice.js';
export * from './executor.js';
export * from './tracker.js';
