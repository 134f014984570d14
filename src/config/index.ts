export { loadConfig, configKeys, requireSecret, ConfigError, type Config, type LoadConfigOptions } from './load.js';
export { decodeKey, LOG_LEVELS } from './schema.js';
export { Secret } from './secret.js';
