export { openNodeDriver, type NodeDriverOptions } from './driver.ts';
export { fileTokenStore } from './token-store.ts';
