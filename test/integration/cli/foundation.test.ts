import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { migrations } from '../../../db/migrations/index.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { freePort } from '../../helpers/free-port.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

const KEY = 'b'.repeat(64);
const OTHER_KEY = 'c'.repeat(64);
const TOKEN_SECRET = '3f0a5c1e-8d2b-4c6a-9e7f-1a2b3c4d5e6f';

function oneLineError(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0] as string, pattern);
}

describe('earcandle foundation commands (real MariaDB)', function () {
  this.timeout(120_000);
  let testDb: TestDatabase;
  let env: Record<string, string>;
  let sql: mysql.Connection;

  before(async () => {
    testDb = await createTestDatabase();
    env = { EARCANDLE_DB_URL: testDb.url, EARCANDLE_SECRETS_ENCRYPTION_KEY: KEY };
    sql = await mysql.createConnection(testDb.url);
  });

  after(async () => {
    await sql?.end();
    await testDb?.drop();
  });

  const count = async (query: string, params: unknown[] = []) => {
    const [rows] = await sql.query(query, params);
    return Number((rows as { n: number }[])[0]?.n);
  };

  describe('migrate', () => {
    it('creates the schema on an empty database', async () => {
      const r = await runCli(['migrate'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `applied ${migrations.map((m) => new m().name).join(', ')}`);
      assert.equal(await count("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'guacamole\\_%'"), 23);
    });

    it('is a no-op on a migrated database', async () => {
      const r = await runCli(['migrate'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /database is up to date/);
    });

    it('reverts every migration cleanly and applies them again', async () => {
      const down = await runCli(['migrate', '--revert', 'all'], { env });
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stdout, new RegExp(`reverted ${migrations.length} migration`));
      assert.equal(await count('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> ?', ['earcandle_migrations']), 0);
      const up = await runCli(['migrate'], { env });
      assert.equal(up.code, 0, up.stderr);
      const status = await runCli(['migrate', '--status'], { env });
      assert.deepEqual(status.stdout.trim().split('\n'), migrations.map((m) => `applied  ${new m().name}`));
    });
  });

  describe('user and group', () => {
    it('user add makes a Guacamole entity + user and an account with an argon2id hash', async () => {
      const r = await runCli(['user', 'add', 'alice', '--admin', '--email', 'alice@example.test', '--password-stdin'], {
        env,
        stdin: 'correct horse battery\n',
      });
      assert.equal(r.code, 0, r.stderr);
      const [rows] = await sql.query(
        `SELECT e.type, u.password_hash, u.password_salt, u.password_date, a.password_hash AS argon, a.email, a.state
           FROM guacamole_entity e JOIN guacamole_user u USING (entity_id) JOIN portal_account a USING (entity_id) WHERE e.name = 'alice'`,
      );
      const row = (rows as Record<string, unknown>[])[0] as Record<string, unknown>;
      assert.equal(row.type, 'USER');
      assert.equal((row.password_hash as Buffer).length, 32);
      assert.equal((row.password_salt as Buffer).length, 32);
      assert.ok(row.password_date instanceof Date);
      assert.match(row.argon as string, /^\$argon2id\$v=19\$(?=[^$]*m=\d+)(?=[^$]*t=\d+)(?=[^$]*p=\d+)[^$]+\$[^$]+\$[^$]+$/);
      assert.equal(row.email, 'alice@example.test');
      assert.equal(row.state, 'active');
      assert.equal(await count("SELECT COUNT(*) AS n FROM guacamole_system_permission p JOIN guacamole_entity e USING (entity_id) WHERE e.name = 'alice' AND p.permission = 'ADMINISTER'"), 1);
      // The portal password is not usable on the stock Guacamole web app unless asked for.
      assert.equal(await count("SELECT COUNT(*) AS n FROM guacamole_user u JOIN guacamole_entity e USING (entity_id) WHERE e.name = 'alice' AND u.password_hash = UNHEX(SHA2(CONCAT('correct horse battery', HEX(u.password_salt)), 256))"), 0);
    });

    it('--guacamole-password lets the Guacamole web app accept the same password', async () => {
      const r = await runCli(['user', 'add', 'gwen', '--guacamole-password', '--password-stdin'], { env, stdin: 'Another-Passw0rd' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await count("SELECT COUNT(*) AS n FROM guacamole_user u JOIN guacamole_entity e USING (entity_id) WHERE e.name = 'gwen' AND u.password_hash = UNHEX(SHA2(CONCAT('Another-Passw0rd', HEX(u.password_salt)), 256))"), 1);
    });

    it('refuses a duplicate name case-insensitively, a weak password and a bad e-mail, each in one line', async () => {
      oneLineError(await runCli(['user', 'add', 'ALICE'], { env }), 1, /^earcandle: a user with the name ALICE already exists$/);
      oneLineError(await runCli(['user', 'add', 'bob', '--password-stdin'], { env, stdin: 'short' }), 65, /at least 10 characters/);
      oneLineError(await runCli(['user', 'add', 'bob', '--email', 'nope'], { env }), 64, /--email: "nope" is not an e-mail address/);
      oneLineError(await runCli(['user', 'add', 'bob😀'], { env }), 65, /outside the Basic Multilingual Plane/);
    });

    it('lists, disables and groups users', async () => {
      assert.equal((await runCli(['user', 'add', 'bob'], { env })).code, 0);
      assert.equal((await runCli(['user', 'disable', 'bob'], { env })).code, 0);
      const list = await runCli(['user', 'list', '--json'], { env });
      const users = JSON.parse(list.stdout) as { name: string; state: string; admin: boolean }[];
      assert.deepEqual(users.map((u) => [u.name, u.state, u.admin]), [['alice', 'active', true], ['bob', 'disabled', false], ['gwen', 'active', false]]);
      assert.equal(await count("SELECT COUNT(*) AS n FROM guacamole_user u JOIN guacamole_entity e USING (entity_id) WHERE e.name = 'bob' AND u.disabled = 1"), 1);

      assert.equal((await runCli(['group', 'add', 'students'], { env })).code, 0);
      assert.equal((await runCli(['group', 'member', 'add', 'students', 'bob'], { env })).code, 0);
      assert.equal((await runCli(['group', 'member', 'add', 'students', 'bob'], { env })).code, 0, 'adding twice is a no-op');
      assert.equal(await count(
        `SELECT COUNT(*) AS n FROM guacamole_user_group_member m JOIN guacamole_user_group g USING (user_group_id)
           JOIN guacamole_entity ge ON ge.entity_id = g.entity_id JOIN guacamole_entity me ON me.entity_id = m.member_entity_id
          WHERE ge.name = 'students' AND ge.type = 'USER_GROUP' AND me.name = 'bob'`), 1);
      oneLineError(await runCli(['group', 'member', 'add', 'students', 'nobody'], { env }), 1, /no user named nobody/);
      oneLineError(await runCli(['user', 'disable', 'nobody'], { env }), 1, /no user named nobody/);
    });
  });

  describe('cluster secrets', () => {
    it('stores the token secret encrypted and decrypts it with the key', async () => {
      const r = await runCli(['cluster', 'add', 'lab', '--url', 'https://127.0.0.1:8006', '--token-id', 'gw@pve!sync', '--token-secret-stdin'], {
        env,
        stdin: `${TOKEN_SECRET}\n`,
      });
      assert.equal(r.code, 0, r.stderr);
      const [rows] = await sql.query("SELECT * FROM pve_cluster WHERE name = 'lab'");
      const dump = JSON.stringify(rows, (_k, v: unknown) => (v && typeof v === 'object' && 'type' in v && (v as { type: string }).type === 'Buffer' ? Buffer.from((v as unknown as { data: number[] }).data).toString('latin1') : v));
      assert.ok(!dump.includes(TOKEN_SECRET), 'the plaintext secret is not in the table');
      assert.ok(!dump.includes(TOKEN_SECRET.replace(/-/g, '')), 'nor its hex form');

      const { loadConfig } = await import('../../../src/config/index.js');
      const { openDatabase, ClusterRepository } = await import('../../../src/db/index.js');
      const config = loadConfig({ env });
      const db = await openDatabase(config);
      try {
        const right = await new ClusterRepository(db, () => config.secrets.encryptionKey!).credentials('lab');
        assert.equal(right.tokenSecret.reveal(), TOKEN_SECRET);
        const wrongConfig = loadConfig({ env: { ...env, EARCANDLE_SECRETS_ENCRYPTION_KEY: OTHER_KEY } });
        await assert.rejects(new ClusterRepository(db, () => wrongConfig.secrets.encryptionKey!).credentials('lab'), /does not decrypt/);
      } finally {
        await db.destroy();
      }
      const list = await runCli(['cluster', 'list'], { env });
      assert.match(list.stdout, /lab\s+https:\/\/127\.0\.0\.1:8006\s+gw@pve!sync\s+enabled/);
      assert.ok(!list.stdout.includes(TOKEN_SECRET));
    });

    it('refuses a bad URL, token id, secret or missing key in one line each', async () => {
      const add = (extra: string[], stdin = TOKEN_SECRET, e = env) =>
        runCli(['cluster', 'add', 'x', '--token-secret-stdin', ...extra], { env: e, stdin });
      oneLineError(await add(['--url', 'http://h:8006', '--token-id', 'a@pve!b']), 64, /only spoken over https/);
      oneLineError(await add(['--url', 'https://h:8006', '--token-id', 'root']), 64, /is not USER@REALM!TOKENID/);
      oneLineError(await add(['--url', 'https://h:8006', '--token-id', 'a@pve!b'], 'NOT-A-UUID'), 65, /lower-case UUID/);
      oneLineError(
        await add(['--url', 'https://h:8006', '--token-id', 'a@pve!b'], TOKEN_SECRET, { EARCANDLE_DB_URL: testDb.url }),
        78,
        /EARCANDLE_SECRETS_ENCRYPTION_KEY.*missing/,
      );
    });
  });

  describe('failures', () => {
    it('a malformed database URL: one line, exit 78', async () => {
      oneLineError(await runCli(['user', 'list'], { env: { EARCANDLE_DB_URL: 'mysql//nope' } }), 78, /db\.url \(EARCANDLE_DB_URL\): expected mysql:\/\//);
    });

    it('a database that is down: one line, exit 69, no password shown', async () => {
      const port = await freePort();
      const r = await runCli(['user', 'list'], { env: { EARCANDLE_DB_URL: `mysql://root:s3cret-pw@127.0.0.1:${port}/earcandle` } });
      oneLineError(r, 69, new RegExp(`cannot connect to the database at 127\\.0\\.0\\.1:${port}/earcandle: connection refused`));
      assert.ok(!r.stderr.includes('s3cret-pw'));
    });

    it('a database that does not exist: one line, exit 69', async () => {
      const url = new URL(testDb.url);
      url.pathname = '/earcandle_no_such_db';
      oneLineError(await runCli(['migrate'], { env: { EARCANDLE_DB_URL: url.toString() } }), 69, /database does not exist/);
    });

    it('a bad configuration key: one line, exit 78', async () => {
      oneLineError(await runCli(['user', 'list'], { env: { ...env, EARCANDLE_HTTP_PROT: '80' } }), 78, /unknown configuration variable EARCANDLE_HTTP_PROT/);
      oneLineError(await runCli(['user', 'list'], { env: { ...env, EARCANDLE_HTTP_PORT: 'x' } }), 78, /http\.port \(EARCANDLE_HTTP_PORT\)/);
    });

    it('an unknown command or option: exit 64', async () => {
      const r = await runCli(['frobnicate'], { env });
      assert.equal(r.code, 64);
      assert.match(r.stderr, /unknown command 'frobnicate'/);
    });
  });
});
