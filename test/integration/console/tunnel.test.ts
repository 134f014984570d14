import assert from 'node:assert/strict';
import type { PerMessageDeflateOptions } from 'ws';
import { ConsoleMetrics, mintConsoleToken } from '../../../src/console/index.js';
import { qemuAvailable } from '../../../src/pvesim/index.js';
import { GuacWsClient } from '../../helpers/console/guac-ws-client.js';
import { startConsoleFixture, type ConsoleFixture } from '../../helpers/console/fixture.js';

interface AuditRow {
  action: string;
  result: string;
  detail: string | null;
  actor_entity_id: number | null;
}

describe('console tunnel: guacamole-lite on /tunnel, built-in guacd, PVE simulator with QEMU', function () {
  this.timeout(60_000);
  let fx: ConsoleFixture;
  let vm: { vmId: number; connectionId: number };
  const metrics = new ConsoleMetrics();
  /** A metric's value from the registry /metrics serves, summed over the series that carry `labels`. */
  async function metric(name: string, labels: Record<string, string> = {}, series = name): Promise<number> {
    const { values } = await metrics.registry.getSingleMetric(name)!.get();
    // histograms name their series (`_count`, `_sum`, `_bucket`); prom-client's MetricValue type leaves that out
    const seriesOf = (v: object): string => ('metricName' in v && typeof v.metricName === 'string' ? v.metricName : name);
    return values.filter((v) => seriesOf(v) === series && Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  }
  const crashes: unknown[] = [];
  const onCrash = (err: unknown): void => {
    crashes.push(err);
  };

  before(async function () {
    if (!qemuAvailable()) throw new Error('qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    fx = await startConsoleFixture({ qemu: true, tunnel: { metrics } });
    vm = fx.vms.get(100)!;
  });
  after(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await fx?.stop();
  });

  const audits = async (): Promise<AuditRow[]> => (await fx.db.query('SELECT action, result, detail, actor_entity_id FROM audit_log ORDER BY id')) as AuditRow[];
  const mint = (entityId: number, vmId = vm.vmId, ttlMs?: number, now?: number) =>
    mintConsoleToken(fx.tokenKey, { entityId, vmId, kind: 'console', ...(ttlMs ? { ttlMs } : {}) }, now).token;

  /** Opens the tunnel with a bad token; asserts the Guacamole error and close reason; returns the status. */
  async function refused(url: string): Promise<number> {
    const c = await GuacWsClient.open(url);
    const err = await c.waitFor((i) => i.opcode === 'error').catch(() => undefined);
    const close = await c.closed();
    assert.ok(err, 'an error instruction arrives before the close');
    assert.equal(close.reason, err.args[1], 'the close reason is the status, in decimal');
    return Number(err.args[1]);
  }

  it('shows the VM screen through the bridge, then writes a history row with start and end', async () => {
    const c = await GuacWsClient.open(fx.tunnelUrl(mint(fx.users.alice)));
    const ready = await c.waitFor((i) => i.opcode === '');
    assert.match(ready.args[0]!, /^\$/);
    const size = await c.waitFor((i) => i.opcode === 'size' && i.args[0] === '0');
    assert.ok(Number(size.args[1]) > 0 && Number(size.args[2]) > 0);
    await c.waitFor((i) => i.opcode === 'img');
    await c.waitFor((i) => i.opcode === 'sync');
    assert.equal(fx.guacd.sessions(), 1);
    assert.equal(fx.tunnel.sessions(), 1);
    assert.equal(await metric('earcandle_console_sessions'), 1);
    assert.equal(await metric('earcandle_console_sessions_opened_total', { way: 'console' }), 1);
    c.end();
    await c.closed();
    // history: the row exists with start and end once the tunnel has torn down
    let rows: { username: string; connection_id: number; connection_name: string; start_date: Date; end_date: Date | null; remote_host: string }[] = [];
    for (let i = 0; i < 100; i++) {
      rows = (await fx.db.query('SELECT username, connection_id, connection_name, start_date, end_date, remote_host FROM guacamole_connection_history')) as typeof rows;
      if (rows[0]?.end_date && fx.tunnel.sessions() === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.username, 'alice');
    assert.equal(rows[0]!.connection_id, vm.connectionId);
    assert.equal(rows[0]!.connection_name, 'vm-100 (100)');
    assert.equal(rows[0]!.remote_host, '127.0.0.1');
    assert.ok(rows[0]!.end_date instanceof Date && rows[0]!.end_date >= rows[0]!.start_date);
    const a = await audits();
    assert.deepEqual(a.map((r) => [r.action, r.result]), [['console.open', 'success']]);
    assert.equal(await metric('earcandle_console_sessions'), 0);
    const duration = 'earcandle_console_session_duration_seconds';
    assert.equal(await metric(duration, { way: 'console' }, `${duration}_count`), 1);
    const seconds = await metric(duration, { way: 'console' }, `${duration}_sum`);
    assert.ok(seconds > 0 && seconds < 30, `${seconds} s`);
  });

  describe('token abuse: refused before guacd, a Guacamole status, an audit row, no crash', () => {
    let auditBefore = 0;
    beforeEach(async () => {
      auditBefore = (await audits()).length;
      // the previous test's guacd session must be gone
      for (let i = 0; i < 100 && fx.guacd.sessions() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(fx.guacd.sessions(), 0);
    });
    afterEach(async () => {
      assert.equal(fx.guacd.sessions(), 0, 'no guacd session');
      assert.equal(fx.tunnel.sessions(), 0, 'no tunnel session');
      const rows = (await audits()).slice(auditBefore);
      assert.equal(rows.length, 1, 'one audit row');
      assert.equal(rows[0]!.action, 'console.refused');
      assert.deepEqual(crashes, []);
    });

    it('expired → 0x0308', async () => {
      const token = mint(fx.users.alice, vm.vmId, 1000, Date.now() - 5000);
      assert.equal(await refused(fx.tunnelUrl(token)), 0x0308);
      assert.match((await audits()).at(-1)!.detail!, /^TOKEN_EXPIRED/);
    });

    it('replayed → 0x0301 (the first use opened a session)', async () => {
      const token = mint(fx.users.alice);
      const first = await GuacWsClient.open(fx.tunnelUrl(token));
      await first.waitFor((i) => i.opcode === 'sync');
      first.end();
      await first.closed();
      for (let i = 0; i < 100 && (fx.guacd.sessions() > 0 || fx.tunnel.sessions() > 0); i++) await new Promise((r) => setTimeout(r, 50));
      auditBefore = (await audits()).length;
      assert.equal(await refused(fx.tunnelUrl(token)), 0x0301);
      assert.match((await audits()).at(-1)!.detail!, /^TOKEN_REPLAYED/);
    });

    it('tampered (one bit of the ciphertext) → 0x0301', async () => {
      const outer = JSON.parse(Buffer.from(mint(fx.users.alice), 'base64').toString()) as { iv: string; value: string; mac: string };
      const v = Buffer.from(outer.value, 'base64');
      v[5]! ^= 0x04;
      const forged = Buffer.from(JSON.stringify({ ...outer, value: v.toString('base64') })).toString('base64');
      assert.equal(await refused(fx.tunnelUrl(forged)), 0x0301);
      assert.match((await audits()).at(-1)!.detail!, /^TOKEN_TAMPERED/);
    });

    it("someone else's token: bob's token for alice's VM → 0x0303", async () => {
      assert.equal(await refused(fx.tunnelUrl(mint(fx.users.bob))), 0x0303);
      const row = (await audits()).at(-1)!;
      assert.match(row.detail!, /^ACCESS_REVOKED/);
      assert.equal(row.actor_entity_id, fx.users.bob);
    });

    it('access revoked between minting and connecting → 0x0303', async () => {
      const token = mint(fx.users.alice);
      await fx.db.query('DELETE FROM guacamole_connection_permission WHERE entity_id = ?', [fx.users.alice]);
      try {
        assert.equal(await refused(fx.tunnelUrl(token)), 0x0303);
      } finally {
        await fx.db.query("INSERT INTO guacamole_connection_permission (entity_id, connection_id, permission) VALUES (?, ?, 'READ')", [fx.users.alice, vm.connectionId]);
      }
    });

    it('garbage and a missing token → 0x0301', async () => {
      assert.equal(await refused(fx.tunnelUrl('bm90IGEgdG9rZW4=')), 0x0301);
      auditBefore = (await audits()).length;
      assert.equal(await refused(`ws://127.0.0.1:${fx.port}/tunnel?width=800`), 0x0301);
    });

    it('a VM that is gone → 0x0204', async () => {
      await fx.db.query('UPDATE vm SET gone_at = NOW(3) WHERE id = ?', [vm.vmId]);
      try {
        assert.equal(await refused(fx.tunnelUrl(mint(fx.users.alice))), 0x0204);
      } finally {
        await fx.db.query('UPDATE vm SET gone_at = NULL WHERE id = ?', [vm.vmId]);
      }
    });
  });

  describe('permessage-deflate (TUNNEL_WEBSOCKET_OPTIONS)', () => {
    beforeEach(async () => {
      for (let i = 0; i < 100 && (fx.guacd.sessions() > 0 || fx.tunnel.sessions() > 0); i++) await new Promise((r) => setTimeout(r, 50));
    });

    /** Opens a console, waits for the first frame with the daemon's session up, ends it; returns the client. */
    async function firstFrame(perMessageDeflate: boolean | PerMessageDeflateOptions): Promise<GuacWsClient> {
      const c = await GuacWsClient.open(fx.tunnelUrl(mint(fx.users.alice)), {}, perMessageDeflate);
      await c.waitFor((i) => i.opcode === 'img');
      await c.waitFor((i) => i.opcode === 'sync');
      assert.equal(fx.guacd.sessions(), 1, 'the session reached the daemon');
      c.end();
      await c.closed();
      return c;
    }

    it('is negotiated when the client offers it (as Chromium does), and the frames cross the wire compressed', async () => {
      const c = await firstFrame(true);
      assert.match(String(c.upgradeHeaders['sec-websocket-extensions']), /^permessage-deflate\b/);
      assert.ok(c.bytes > 1000, `a first screen arrived (${c.bytes} B)`);
      assert.ok(c.wireBytesIn() < c.bytes * 0.9, `on the wire ${c.wireBytesIn()} B for ${c.bytes} B of instructions`);
    });

    it('is negotiated for an offer without client_max_window_bits (as Firefox and Safari send it)', async () => {
      // ws offers client_max_window_bits unless told `false`, which its types do not list
      const c = await firstFrame({ clientMaxWindowBits: false } as unknown as PerMessageDeflateOptions);
      assert.match(String(c.upgradeHeaders['sec-websocket-extensions']), /^permessage-deflate\b/);
    });

    it('is left out when the client does not offer it, and the console works as before', async () => {
      const c = await firstFrame(false);
      assert.equal(c.upgradeHeaders['sec-websocket-extensions'], undefined);
      assert.ok(c.wireBytesIn() > c.bytes, `uncompressed: ${c.wireBytesIn()} B on the wire, framing included, for ${c.bytes} B`);
    });

    it('also carries a refusal: the error instruction arrives through the compressed socket', async () => {
      const c = await GuacWsClient.open(fx.tunnelUrl('bm90IGEgdG9rZW4='), {}, true);
      assert.match(String(c.upgradeHeaders['sec-websocket-extensions']), /^permessage-deflate\b/);
      const err = await c.waitFor((i) => i.opcode === 'error');
      assert.equal(err.args[1], String(0x0301));
      assert.equal((await c.closed()).reason, String(0x0301));
      assert.equal(fx.guacd.sessions(), 0);
    });
  });

  describe('metrics', () => {
    it('counts every refusal by reason, as the tunnel saw it', async () => {
      assert.ok(fx.tunnel.refusals.size >= 5, 'the token abuse tests ran before');
      for (const [code, n] of fx.tunnel.refusals) assert.equal(await metric('earcandle_console_refused_total', { reason: code.toLowerCase() }), n, code);
      assert.equal(await metric('earcandle_console_refused_total', { reason: 'token_expired' }), 1);
      const text = await metrics.registry.metrics();
      assert.match(text, /^earcandle_console_refused_total\{reason="token_replayed"\} 1$/m);
    });
  });

  it('leaves other WebSocket paths to other listeners', async () => {
    let seen = '';
    const other = (req: { url?: string }, socket: { destroy(): void }): void => {
      if (req.url?.startsWith('/other')) {
        seen = req.url;
        socket.destroy();
      }
    };
    fx.http.on('upgrade', other);
    const before = [...fx.tunnel.refusals.values()].reduce((a, b) => a + b, 0);
    try {
      await assert.rejects(GuacWsClient.open(`ws://127.0.0.1:${fx.port}/other?token=x`));
      assert.equal(seen, '/other?token=x');
      assert.equal([...fx.tunnel.refusals.values()].reduce((a, b) => a + b, 0), before, 'the tunnel did not touch it');
    } finally {
      fx.http.off('upgrade', other);
    }
  });
});
