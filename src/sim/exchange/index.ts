export {
  Exchange,
  EXCHANGE_ACCOUNT,
  type ExchangeOptions,
  type ModifyResult,
  type BookLevelView,
} from './exchange.js';
export * from './types.js';
