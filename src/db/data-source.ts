import { DataSource } from 'typeorm';
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver.js';
import type { Pool, QueryValues } from 'mysql2';
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

/**
 * A read straight on the DataSource's own mysql2 pool, past TypeORM's query runner, for the query run on every
 * page view ("my machines"): the runner (a checkout per query, a promise wrapper that captures a stack, the
 * result copied) cost about 0.4 ms of CPU per query in bench/portal.ts (docs/BENCHMARKS.md, Portal), more
 * than parsing the 200 rows. Same pool, same connection options (UTC, utf8mb4, big numbers), so the rows are
 * those `db.query` returns; a failed query rejects with mysql2's error (code, sqlMessage) instead of
 * TypeORM's QueryFailedError around it.
 */
export function readRows<T>(db: DataSource, sql: string, params: (string | number | boolean | Date | null | readonly (string | number)[])[] = []): Promise<T[]> {
  const pool = db.isInitialized ? ((db.driver as MysqlDriver).pool as Pool | undefined) : undefined;
  if (!pool) return db.query(sql, params);
  return new Promise((resolve, reject) => {
    pool.query(sql, params as QueryValues, (err, rows) => (err ? reject(err) : resolve(rows as T[])));
  });
}
