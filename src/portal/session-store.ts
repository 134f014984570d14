import session, { type Store } from 'express-session';
import MySQLStoreFactory from 'express-mysql-session';

export interface ClosableStore extends Store {
  close(): Promise<void>;
}

type MySQLStoreCtor = new (options: Record<string, unknown>) => ClosableStore;

/**
 * Sessions in the EarCandle database's http_session table (made by the migrations, so the store does not
 * create it). Its own small pool; touch is off: a session lives `maxAgeMs` from login, whatever happens.
 */
export function createSessionStore(dbUrl: string, maxAgeMs: number, poolSize = 10): ClosableStore {
  const u = new URL(dbUrl);
  const MySQLStore = (MySQLStoreFactory as unknown as (s: typeof session) => MySQLStoreCtor)(session);
  return new MySQLStore({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    connectionLimit: poolSize,
    createDatabaseTable: false,
    clearExpired: true,
    checkExpirationInterval: 15 * 60_000,
    expiration: maxAgeMs,
    disableTouch: true,
    schema: { tableName: 'http_session', columnNames: { session_id: 'session_id', expires: 'expires', data: 'data' } },
  });
}
