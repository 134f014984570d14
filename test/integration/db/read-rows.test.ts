/**
 * readRows (the portal's list query on the DataSource's mysql2 pool, past TypeORM's runner) answers exactly
 * what db.query answers, types included, and fails like a query does.
 */
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/index.js';
import { openDatabase, readRows, type DataSource } from '../../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

describe('readRows (MariaDB)', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let db: DataSource;

  before(async () => {
    testDb = await createTestDatabase('ecreadrows');
    db = await openDatabase(loadConfig({ env: { EARCANDLE_DB_URL: testDb.url } }));
    await db.query(`CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(64) CHARACTER SET utf8mb4, flag TINYINT(1), big BIGINT UNSIGNED,
      at DATETIME(3), maybe VARCHAR(8) NULL, blob_col VARBINARY(8))`);
    await db.query('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)', [
      1, 'Grüße 🖥️ <x>', 1, '18446744073709551615', new Date('2024-05-06T07:08:09.123Z'), null, Buffer.from([0, 255]),
      2, 'plain', 0, 42, new Date('2000-01-01T00:00:00.000Z'), 'set', null,
    ]);
  });
  after(async () => {
    if (db?.isInitialized) await db.destroy();
    await testDb?.drop();
  });

  it('gives the rows db.query gives: numbers, big numbers, UTC dates, text, NULL, bytes', async () => {
    const sql = 'SELECT id, name, flag, big, at, maybe, blob_col, COUNT(*) OVER () AS n FROM t WHERE id IN (?) ORDER BY id';
    const viaTypeorm = (await db.query(sql, [[1, 2]])) as Record<string, unknown>[];
    const direct = await readRows<Record<string, unknown>>(db, sql, [[1, 2]]);
    assert.deepEqual(direct.map((r) => ({ ...r })), viaTypeorm.map((r) => ({ ...r })));
    assert.equal(direct.length, 2);
    assert.deepEqual((direct[0]!.at as Date).toISOString(), '2024-05-06T07:08:09.123Z');
    assert.equal(direct[0]!.name, 'Grüße 🖥️ <x>');
    assert.equal(direct[0]!.big, '18446744073709551615');
    assert.equal(direct[1]!.big, 42);
    assert.equal(direct[0]!.maybe, null);
  });

  it('rejects a failing query with the driver error and leaves the pool usable', async () => {
    await assert.rejects(readRows(db, 'SELECT nope FROM t'), (err: { code?: string }) => err.code === 'ER_BAD_FIELD_ERROR');
    assert.deepEqual(await readRows(db, 'SELECT 1 AS one'), [{ one: 1 }]);
  });

  it('escapes its parameters (a name is data, never SQL)', async () => {
    const rows = await readRows<{ id: number }>(db, 'SELECT id FROM t WHERE name = ?', ["plain' OR '1'='1"]);
    assert.deepEqual(rows, []);
  });
});
