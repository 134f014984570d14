import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** The server tests run against: CI's MariaDB at 127.0.0.1:3306 as root, unless EARCANDLE_TEST_DB_ADMIN_URL says otherwise. */
export const ADMIN_URL = process.env.EARCANDLE_TEST_DB_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql';

export interface TestDatabase {
  name: string;
  /** mysql://…/<name> for EARCANDLE_DB_URL. */
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty, uniquely named database; `drop()` removes it. */
export async function createTestDatabase(prefix = 'ectest'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = await mysql.createConnection(ADMIN_URL);
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const conn = await mysql.createConnection(ADMIN_URL);
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}
