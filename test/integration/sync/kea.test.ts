import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { syncCluster } from '../../../src/sync/index.js';
import { ADMIN_URL } from '../../helpers/mariadb.js';
import { createSyncFixture, type SyncFixture } from '../../helpers/sync-fixture.js';

const run = promisify(execFile);
const MAC = `52:54:00:${randomBytes(3).toString('hex').match(/../g)!.join(':')}`.toUpperCase();
const SOCKET = '/run/mysqld/mysqld.sock';
const usable = process.getuid?.() === 0 && existsSync(SOCKET) && existsSync('/usr/sbin/kea-dhcp4') && existsSync('/usr/sbin/dhclient');

(usable ? describe : describe.skip)('Kea leases the address sync reserved', function () {
  this.timeout(60_000);
  const id = randomBytes(3).toString('hex');
  const keaDb = `eckea_${id}`;
  const keaUser = `eckea${id}`;
  const keaPass = randomBytes(12).toString('hex');
  const serverNs = `ecs-${id}`;
  const clientNs = `ecc-${id}`;
  const subnetId = 4000 + (parseInt(id, 16) % 1000);
  const T = mkdtempSync(path.join(tmpdir(), 'eckea-'));
  let f: SyncFixture | undefined;
  let kea: ChildProcess | undefined;

  const admin = async (sql: string): Promise<void> => {
    const c = await mysql.createConnection(ADMIN_URL);
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  before(async () => {
    chmodSync(T, 0o755);
    await admin(`CREATE DATABASE ${keaDb}`);
    await admin(`CREATE USER '${keaUser}'@'localhost' IDENTIFIED BY '${keaPass}'`);
    await admin(`GRANT ALL ON ${keaDb}.* TO '${keaUser}'@'localhost'`);
    await run('kea-admin', ['db-init', 'mysql', '-u', keaUser, '-p', keaPass, '-n', keaDb]);
    f = await createSyncFixture(
      { nodes: 1, vms: [{ vmid: 100, node: 'pve1', name: 'leased', macs: [MAC], status: 'running' }] },
      { cluster: { dhcpSubnet: '10.99.0.0/24', keaSubnetId: subnetId }, config: { dhcp: { keaDatabase: keaDb } } },
    );
    await run('ip', ['netns', 'add', serverNs]);
    await run('ip', ['netns', 'add', clientNs]);
    await run('ip', ['link', 'add', `eks${id}`, 'type', 'veth', 'peer', 'name', `ekc${id}`]);
    await run('ip', ['link', 'set', `eks${id}`, 'netns', serverNs]);
    await run('ip', ['link', 'set', `ekc${id}`, 'netns', clientNs]);
    await run('ip', ['-n', serverNs, 'addr', 'add', '10.99.0.1/24', 'dev', `eks${id}`]);
    await run('ip', ['-n', serverNs, 'link', 'set', `eks${id}`, 'up']);
    await run('ip', ['-n', clientNs, 'link', 'set', `ekc${id}`, 'address', MAC.toLowerCase()]);
    await run('ip', ['-n', clientNs, 'link', 'set', `ekc${id}`, 'up']);
  });

  after(async () => {
    const pf = path.join(T, 'dhc.pid');
    if (existsSync(pf)) {
      const pid = Number(readFileSync(pf, 'utf8').trim());
      if (pid > 0) {
        try {
          process.kill(pid);
        } catch {
          // already gone
        }
      }
    }
    if (kea?.pid) kea.kill();
    await run('ip', ['netns', 'del', serverNs]).catch(() => {});
    await run('ip', ['netns', 'del', clientNs]).catch(() => {});
    await f?.close();
    await admin(`DROP DATABASE IF EXISTS ${keaDb}`).catch(() => {});
    await admin(`DROP USER IF EXISTS '${keaUser}'@'localhost'`).catch(() => {});
    rmSync(T, { recursive: true, force: true });
  });

  it('a synced VM MAC gets exactly its reserved address over DHCP', async () => {
    const r = await syncCluster(f!.deps, 'lab');
    assert.equal(r.outcome, 'ok', r.error);
    const res = (await f!.db.query('SELECT INET_NTOA(ipv4) AS ip FROM dhcp_reservation WHERE mac = ? AND released_at IS NULL', [MAC])) as { ip: string }[];
    assert.equal(res[0]?.ip, '10.99.0.2', 'lowest free address after network and gateway');
    const hosts = (await f!.db.query(`SELECT INET_NTOA(ipv4_address) AS ip, hostname FROM \`${keaDb}\`.hosts WHERE dhcp_identifier = UNHEX(?)`, [MAC.replace(/:/g, '')])) as {
      ip: string;
      hostname: string;
    }[];
    assert.deepEqual(hosts, [{ ip: '10.99.0.2', hostname: 'leased' }]);

    writeFileSync(
      path.join(T, 'kea-dhcp4.json'),
      JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: [`eks${id}`] },
          'hosts-database': { type: 'mysql', name: keaDb, user: keaUser, password: keaPass, host: 'localhost' },
          'lease-database': { type: 'memfile', persist: true, name: path.join(T, 'leases4.csv'), 'lfc-interval': 0 },
          'valid-lifetime': 600,
          subnet4: [{ id: subnetId, subnet: '10.99.0.0/24', pools: [{ pool: '10.99.0.100 - 10.99.0.200' }] }],
          loggers: [{ name: 'kea-dhcp4', output_options: [{ output: path.join(T, 'kea.log') }], severity: 'INFO' }],
        },
      }),
    );
    kea = spawn('ip', ['netns', 'exec', serverNs, 'kea-dhcp4', '-c', path.join(T, 'kea-dhcp4.json')], {
      env: { ...process.env, KEA_LOCKFILE_DIR: T, KEA_PIDFILE_DIR: T },
      stdio: 'ignore',
    });
    const script = path.join(T, 'dhclient-script.sh');
    writeFileSync(script, `#!/bin/sh\necho "$reason $new_ip_address $new_host_name" >> ${T}/dhc.log\ncase "$reason" in BOUND|RENEW|REBIND|REBOOT) ip addr add "$new_ip_address/24" dev "$interface";; esac\nexit 0\n`);
    chmodSync(script, 0o755);
    // dhclient -1 tries once (about a minute at most) and daemonises after binding
    let bound = '';
    for (let attempt = 0; attempt < 5 && !bound; attempt++) {
      await run('ip', ['netns', 'exec', clientNs, 'dhclient', '-1', '-sf', script, '-pf', path.join(T, 'dhc.pid'), '-lf', path.join(T, 'dhc.leases'), `ekc${id}`], { timeout: 20_000 }).catch(() => {});
      const log = existsSync(path.join(T, 'dhc.log')) ? readFileSync(path.join(T, 'dhc.log'), 'utf8') : '';
      bound = log.split('\n').find((l) => l.startsWith('BOUND')) ?? '';
    }
    assert.match(bound, /^BOUND 10\.99\.0\.2 leased$/);
  });
});
