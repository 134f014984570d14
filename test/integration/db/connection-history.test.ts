/**
 * guacamole_connection_history through ConnectionHistory on a real, migrated MariaDB database: a row starts open
 * and ends once; a machine's sessions are those of all its ways in, newest first, and no other machine's.
 */
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/index.js';
import { ATTR_KIND, ATTR_VM_ID, ConnectionHistory, IdentityRepository, migrateUp, openDatabase, type DataSource } from '../../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

describe('connection history: sessions of a machine (MariaDB)', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let db: DataSource;
  let history: ConnectionHistory;

  /** A connection carrying EarCandle's machine id and kind, as sync writes them. */
  async function connection(vmId: number, kind: string, protocol: string): Promise<{ id: number; name: string }> {
    const name = `vm-${vmId} ${kind}`;
    const { insertId } = (await db.query('INSERT INTO guacamole_connection (connection_name, protocol) VALUES (?, ?)', [name, protocol])) as { insertId: number };
    await db.query('INSERT INTO guacamole_connection_attribute (connection_id, attribute_name, attribute_value) VALUES (?, ?, ?), (?, ?, ?)', [
      insertId, ATTR_VM_ID, String(vmId), insertId, ATTR_KIND, kind,
    ]);
    return { id: insertId, name };
  }

  before(async () => {
    testDb = await createTestDatabase('echistory');
    db = await openDatabase(loadConfig({ env: { EARCANDLE_DB_URL: testDb.url } }));
    await migrateUp(db);
    history = new ConnectionHistory(db);
  });
  after(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  it("lists a machine's sessions over its ways in, newest first, open ones unended, and no other machine's", async () => {
    const screen = await connection(7, 'console', 'vnc');
    const ssh = await connection(7, 'ssh', 'ssh');
    const other = await connection(8, 'console', 'vnc');
    const at = (minute: number): Date => new Date(Date.UTC(2026, 10, 22, 9, minute, 0));
    const identities = new IdentityRepository(db);
    const userIds = new Map<string, number>();
    for (const name of ['alice', 'bob', 'carol']) {
      const { entityId } = await identities.createUser({ name, state: 'active' });
      userIds.set(name, ((await db.query('SELECT user_id FROM guacamole_user WHERE entity_id = ?', [entityId])) as { user_id: number }[])[0]!.user_id);
    }
    const start = (c: { id: number; name: string }, username: string, minute: number): Promise<number> =>
      history.start({ userId: userIds.get(username)!, username, remoteHost: '192.0.2.10', connectionId: c.id, connectionName: c.name, startDate: at(minute) });

    const first = await start(screen, 'alice', 1);
    await history.end(first, at(4));
    await history.end(first, at(30));
    await start(other, 'bob', 2);
    await start(ssh, 'carol', 3);

    const sessions = await history.forVm(7);
    assert.deepEqual(
      sessions.map((s) => [s.username, s.way, s.remoteHost, s.start.toISOString(), s.end?.toISOString() ?? null]),
      [
        ['carol', 'ssh', '192.0.2.10', at(3).toISOString(), null],
        ['alice', 'console', '192.0.2.10', at(1).toISOString(), at(4).toISOString()],
      ],
    );
    assert.deepEqual((await history.forVm(7, 1)).map((s) => s.username), ['carol']);
    assert.deepEqual((await history.forVm(8)).map((s) => s.username), ['bob']);
    assert.deepEqual(await history.forVm(9), []);
  });
});
