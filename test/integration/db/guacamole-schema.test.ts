import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../../src/config/index.js';
import { openDatabase, migrateUp, guacamolePasswordHash, verifyGuacamolePassword } from '../../../src/db/index.js';
import { GUACAMOLE_15_SCHEMA } from '../../fixtures/guacamole-1.5-schema.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

interface ColumnRow { TABLE_NAME: string; COLUMN_NAME: string; COLUMN_TYPE: string; IS_NULLABLE: string; COLUMN_DEFAULT: string | null; EXTRA: string }
interface StatRow { TABLE_NAME: string; INDEX_NAME: string; NON_UNIQUE: number | string; COLUMN_NAME: string }
interface FkRow { TABLE_NAME: string; CONSTRAINT_NAME: string; COLUMN_NAME: string; REFERENCED_TABLE_NAME: string; REFERENCED_COLUMN_NAME: string; DELETE_RULE: string }

/** MySQL ≥ 8.0.19 drops integer display widths; MariaDB keeps them. Compare without. */
function normaliseType(type: string): string {
  return type.toLowerCase().replace(/^(int|bigint|smallint)\(\d+\)/, '$1').replace(/^integer/, 'int');
}

function normaliseDefault(value: string | null): string | null {
  if (value === null || value === 'NULL') return null;
  return value.replace(/^'(.*)'$/, '$1');
}

function renderColumn(c: ColumnRow): string {
  const parts = [c.COLUMN_NAME, normaliseType(c.COLUMN_TYPE)];
  if (c.IS_NULLABLE === 'YES') parts.push('NULL');
  const def = normaliseDefault(c.COLUMN_DEFAULT);
  if (def !== null) parts.push(`=${def}`);
  if (/auto_increment/i.test(c.EXTRA)) parts.push('AI');
  return parts.join(' ');
}

function expectedColumn(spec: string): string {
  const [name, type, ...rest] = spec.split(' ');
  return [name, normaliseType(type as string), ...rest].join(' ');
}

/** InnoDB adds an index named after the constraint for an FK column that leads no declared key. */
function implicitFkIndexes(keys: string[], fks: string[]): string[] {
  const leading = new Set(keys.map((k) => /\((\w+)/.exec(k)?.[1]));
  return fks.flatMap((fk) => {
    const m = /^(\w+): (\w+) ->/.exec(fk) as RegExpExecArray;
    return leading.has(m[2]) ? [] : [`KEY ${m[1]}(${m[2]})`];
  });
}

describe('Guacamole 1.5 schema (migrated database, real MariaDB)', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let db: DataSource;

  before(async () => {
    testDb = await createTestDatabase();
    db = await openDatabase(loadConfig({ env: { EARCANDLE_DB_URL: testDb.url } }));
    await migrateUp(db);
  });

  after(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  const q = <T>(sql: string, params: unknown[] = []) => db.query(sql, params) as Promise<T[]>;

  it('has the 23 Guacamole tables, InnoDB with utf8 (utf8mb3) collation', async () => {
    const rows = await q<{ TABLE_NAME: string; ENGINE: string; TABLE_COLLATION: string }>(
      "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'guacamole\\_%'",
    );
    assert.deepEqual(rows.map((r) => r.TABLE_NAME).sort(), Object.keys(GUACAMOLE_15_SCHEMA).sort());
    for (const r of rows) {
      assert.equal(r.ENGINE, 'InnoDB', r.TABLE_NAME);
      assert.match(r.TABLE_COLLATION, /^utf8(mb3)?_general_ci$/, r.TABLE_NAME);
    }
  });

  it('matches every column: order, type, nullability, default, auto-increment', async () => {
    const rows = await q<ColumnRow>(
      "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'guacamole\\_%' ORDER BY TABLE_NAME, ORDINAL_POSITION",
    );
    for (const [table, facts] of Object.entries(GUACAMOLE_15_SCHEMA)) {
      const actual = rows.filter((r) => r.TABLE_NAME === table).map(renderColumn);
      assert.deepEqual(actual, facts.columns.map(expectedColumn), table);
    }
  });

  it('matches every index and unique key by name and columns (79 index columns in all)', async () => {
    const rows = await q<StatRow>(
      "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'guacamole\\_%' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    );
    assert.equal(rows.length, 79);
    for (const [table, facts] of Object.entries(GUACAMOLE_15_SCHEMA)) {
      const byIndex = new Map<string, { unique: boolean; cols: string[] }>();
      for (const r of rows.filter((x) => x.TABLE_NAME === table)) {
        const entry = byIndex.get(r.INDEX_NAME) ?? { unique: Number(r.NON_UNIQUE) === 0, cols: [] };
        entry.cols.push(r.COLUMN_NAME);
        byIndex.set(r.INDEX_NAME, entry);
      }
      const actual = [...byIndex].map(([name, { unique, cols }]) =>
        name === 'PRIMARY' ? `PK(${cols.join(',')})` : `${unique ? 'UK' : 'KEY'} ${name}(${cols.join(',')})`,
      );
      const expected = [...facts.keys, ...implicitFkIndexes(facts.keys, facts.fks)];
      assert.deepEqual(actual.sort(), expected.sort(), table);
    }
  });

  it('matches all 30 foreign keys with their names, targets and delete rules', async () => {
    const rows = await q<FkRow>(
      `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE
         FROM information_schema.KEY_COLUMN_USAGE k
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
        WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME LIKE 'guacamole\\_%' AND k.REFERENCED_TABLE_NAME IS NOT NULL`,
    );
    assert.equal(rows.length, 30);
    for (const [table, facts] of Object.entries(GUACAMOLE_15_SCHEMA)) {
      const actual = rows
        .filter((r) => r.TABLE_NAME === table)
        .map((r) => `${r.CONSTRAINT_NAME}: ${r.COLUMN_NAME} -> ${r.REFERENCED_TABLE_NAME}(${r.REFERENCED_COLUMN_NAME}) ${r.DELETE_RULE}`);
      assert.deepEqual(actual.sort(), [...facts.fks].sort(), table);
    }
  });

  describe('Guacamole operations on it', () => {
    it('verifies the guacadmin test vector written the way Guacamole writes users', async () => {
      const salt = Buffer.from('FE24ADC5E11E2B25288D1704ABE67A79E342ECC26064CE69C5B3177795A82264', 'hex');
      const { hash } = guacamolePasswordHash('guacadmin', salt);
      assert.equal(hash.toString('hex').toUpperCase(), 'CA458A7D494E3BE824F5E1E175A1556C0F8EEF2C2D7DF3633BEC4A29C4411960');
      await db.query("INSERT INTO guacamole_entity (name, type) VALUES ('guacadmin', 'USER')");
      await db.query(
        'INSERT INTO guacamole_user (entity_id, password_hash, password_salt, password_date) VALUES (LAST_INSERT_ID(), ?, ?, NOW())',
        [hash, salt],
      );
      // The check the JDBC module performs, in SQL form from the manual.
      const ok = await q<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM guacamole_user u JOIN guacamole_entity e USING (entity_id)
          WHERE e.name = 'guacadmin' AND u.password_hash = UNHEX(SHA2(CONCAT(?, IFNULL(HEX(u.password_salt), '')), 256))`,
        ['guacadmin'],
      );
      assert.equal(Number(ok[0]?.n), 1);
      const [row] = await q<{ password_hash: Buffer; password_salt: Buffer }>(
        "SELECT password_hash, password_salt FROM guacamole_user u JOIN guacamole_entity e USING (entity_id) WHERE e.name = 'guacadmin'",
      );
      assert.ok(row && verifyGuacamolePassword('guacadmin', row.password_hash, row.password_salt));
      assert.ok(row && !verifyGuacamolePassword('guacadmiN', row.password_hash, row.password_salt));
    });

    it('stores a connection with parameters and a READ permission, and deleting the entity cascades', async () => {
      await db.query("INSERT INTO guacamole_entity (name, type) VALUES ('alice', 'USER')");
      const [{ id: alice }] = await q<{ id: number }>('SELECT LAST_INSERT_ID() AS id') as [{ id: number }];
      await db.query(
        'INSERT INTO guacamole_user (entity_id, password_hash, password_salt, password_date) VALUES (?, ?, ?, NOW())',
        [alice, Buffer.alloc(32), Buffer.alloc(32)],
      );
      const conn = (await db.query("INSERT INTO guacamole_connection (connection_name, protocol) VALUES ('vm-100', 'vnc')")) as { insertId: number };
      await db.query("INSERT INTO guacamole_connection_parameter VALUES (?, 'hostname', '127.0.0.1'), (?, 'port', '5901')", [conn.insertId, conn.insertId]);
      await db.query("INSERT IGNORE INTO guacamole_connection_permission (entity_id, connection_id, permission) VALUES (?, ?, 'READ')", [alice, conn.insertId]);
      await db.query("INSERT IGNORE INTO guacamole_connection_permission (entity_id, connection_id, permission) VALUES (?, ?, 'READ')", [alice, conn.insertId]);
      const readable = await q<{ connection_name: string; params: string }>(
        `SELECT c.connection_name, GROUP_CONCAT(CONCAT(p.parameter_name, '=', p.parameter_value) ORDER BY p.parameter_name) AS params
           FROM guacamole_connection c JOIN guacamole_connection_permission cp ON cp.connection_id = c.connection_id
           JOIN guacamole_connection_parameter p ON p.connection_id = c.connection_id
          WHERE cp.entity_id = ? AND cp.permission = 'READ' GROUP BY c.connection_id`,
        [alice],
      );
      assert.deepEqual(readable, [{ connection_name: 'vm-100', params: 'hostname=127.0.0.1,port=5901' }]);

      await db.query("INSERT INTO guacamole_connection_history (user_id, username, connection_id, connection_name, start_date) SELECT user_id, 'alice', ?, 'vm-100', NOW() FROM guacamole_user WHERE entity_id = ?", [conn.insertId, alice]);
      await db.query("DELETE FROM guacamole_entity WHERE type = 'USER' AND name = 'alice'");
      const left = await q<{ users: number | string; perms: number | string; history: number | string; orphaned: number | string }>(
        `SELECT (SELECT COUNT(*) FROM guacamole_user WHERE entity_id = ?) AS users,
                (SELECT COUNT(*) FROM guacamole_connection_permission WHERE entity_id = ?) AS perms,
                (SELECT COUNT(*) FROM guacamole_connection_history WHERE username = 'alice') AS history,
                (SELECT COUNT(*) FROM guacamole_connection_history WHERE username = 'alice' AND user_id IS NULL) AS orphaned`,
        [alice, alice],
      );
      assert.deepEqual(left.map((r) => Object.values(r).map(Number)), [[0, 0, 1, 1]]);

      await db.query('DELETE FROM guacamole_connection WHERE connection_id = ?', [conn.insertId]);
      const params = await q<{ n: number | string }>('SELECT COUNT(*) AS n FROM guacamole_connection_parameter WHERE connection_id = ?', [conn.insertId]);
      assert.equal(Number(params[0]?.n), 0);
    });

    it('treats names case-insensitively like Guacamole (Alice collides with alice)', async () => {
      await db.query("INSERT INTO guacamole_entity (name, type) VALUES ('bob', 'USER')");
      await assert.rejects(db.query("INSERT INTO guacamole_entity (name, type) VALUES ('BOB', 'USER')"), /Duplicate entry/);
      await db.query("INSERT INTO guacamole_entity (name, type) VALUES ('bob', 'USER_GROUP')");
    });
  });
});
