import { DataSource } from 'typeorm';
import { migrations } from '../../db/migrations/index.js';
import type { Config } from '../config/index.js';
import { explainConnectError } from './errors.js';

/** host:port/database of a mysql:// URL, for messages (never the credentials). */
export function describeDbUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 3306}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** A DataSource over mysql2 for the one EarCandle database; nothing is connected until `openDatabase`. */
export function createDataSource(config: Pick<Config, 'db'>): DataSource {
  const url = config.db.url.reveal();
  return new DataSource({
    type: 'mysql',
    url,
    poolSize: config.db.poolSize,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    connectTimeout: 5000,
    migrations,
    migrationsTableName: 'earcandle_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  });
}

/** Connects, or throws a DatabaseUnavailableError that says why in one line. */
export async function openDatabase(config: Pick<Config, 'db'>): Promise<DataSource> {
  const dataSource = createDataSource(config);
  try {
    await dataSource.initialize();
  } catch (err) {
    if (dataSource.isInitialized) await dataSource.destroy();
    throw explainConnectError(err, describeDbUrl(config.db.url.reveal()));
  }
  return dataSource;
}
