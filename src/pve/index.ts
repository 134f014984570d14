export { createPveClient, PveClient, type PveClientOptions, type CloneOptions } from './client.js';
export { PveConfigError } from './engine.js';
export {
  PveError,
  PveHttpError,
  PveAuthError,
  PvePermissionError,
  PveUnreachableError,
  PveBadResponseError,
  PveTaskFailedError,
  PveTaskTimeoutError,
  describePveError,
  type PveErrorCode,
} from './errors.js';
export { parseUpidString, type Upid } from './upid.js';
export { netMac, parseTags } from './parse.js';
export { Limiter } from './limiter.js';
export type * from './types.js';
