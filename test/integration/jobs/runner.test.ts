import assert from 'node:assert/strict';
import { ClusterRepository, migrateUp, openDatabase, type DataSource } from '../../../src/db/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { JobRepository } from '../../../src/db/jobs.js';
import { PortalVmRepository } from '../../../src/db/portal-vms.js';
import { JobQueue, JobRunner, PveClients, systemClock } from '../../../src/jobs/index.js';
import type { PveSim } from '../../../src/pvesim/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { addVm } from '../../helpers/portal/fixtures.js';
import { ENCRYPTION_KEY } from '../../helpers/portal/harness.js';
import { eventually, simCluster } from '../../helpers/portal/sim-cluster.js';

describe('JobRunner against the PVE simulator', function () {
  this.timeout(90_000);
  let testDb: TestDatabase;
  let db: DataSource;
  let sim: PveSim;
  let clusterId: number;
  let jobs: JobRepository;
  let clients: PveClients;
  let queue: JobQueue;
  const runners: JobRunner[] = [];
  const vmIds = new Map<number, number>();

  const newRunner = (id: string): JobRunner => {
    const r = new JobRunner(
      { jobs, vms: new PortalVmRepository(db), pve: (cid) => clients.get(cid), clock: systemClock },
      { id, leaseMs: 1500, pollMs: 100, taskPollMs: 100, retryDelayMs: 200 },
    );
    runners.push(r);
    return r;
  };
  const sentTasks = (type: string, vmid: number): number => sim.tasks.list('pve1').filter((t) => t.type === type && t.id === String(vmid)).length;

  before(async () => {
    testDb = await createTestDatabase('ecjobs');
    const config = loadConfig({ env: { EARCANDLE_DB_URL: testDb.url, EARCANDLE_SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY } });
    db = await openDatabase(config);
    await migrateUp(db);
    jobs = new JobRepository(db);
    const clusters = new ClusterRepository(db, () => config.secrets.encryptionKey!);
    ({ sim, clusterId } = await simCluster(clusters, {
      qemu: false,
      scenario: {
        nodes: 1,
        vms: [
          { vmid: 100, node: 'pve1', name: 'stubborn', status: 'running', acpi: 'ignore', backend: 'sim' },
          { vmid: 101, node: 'pve1', name: 'quick', status: 'stopped', backend: 'sim' },
          { vmid: 102, node: 'pve1', name: 'idle', status: 'stopped', backend: 'sim' },
        ],
      },
    }));
    clients = new PveClients(clusters);
    queue = new JobQueue({ jobs });
    for (const [vmid, status] of [[100, 'running'], [101, 'stopped'], [102, 'stopped']] as const) {
      vmIds.set(vmid, await addVm(db, { clusterId, vmid, status, name: `vm${vmid}` }));
    }
  });
  after(async () => {
    for (const r of runners) await r.stop();
    await clients?.close();
    await sim?.stop();
    if (db?.isInitialized) await db.destroy();
    await testDb?.drop();
  });

  it('a double click returns the job already queued', async () => {
    const vmId = vmIds.get(102)!;
    const all = await Promise.all(Array.from({ length: 5 }, () => queue.enqueuePower({ vmId, action: 'start', actor: 'alice', actorEntityId: 1 })));
    assert.equal(new Set(all.map((r) => r.job.id)).size, 1);
    assert.equal(all.filter((r) => r.created).length, 1);
    const rows = (await db.query("SELECT COUNT(*) AS n FROM job WHERE vm_id = ? AND state IN ('queued','running')", [vmId])) as { n: number }[];
    assert.equal(Number(rows[0]!.n), 1);
    await db.query('DELETE FROM job WHERE vm_id = ?', [vmId]);
  });

  it('a gateway restart mid-task loses nothing: the new runner polls the stored UPID and records the job once', async () => {
    const vmId = vmIds.get(100)!;
    // ACPI ignored: PVE waits the 3 s timeout, then forces the stop — a slow task.
    const { job } = await queue.enqueuePower({ vmId, action: 'shutdown', actor: 'alice', actorEntityId: 1, timeoutS: 3, forceStop: true });
    const first = newRunner('gateway-1');
    first.start();
    const upid = await eventually(async () => (await jobs.get(job.id))?.upid ?? undefined);
    await first.stop();

    const mid = (await jobs.get(job.id))!;
    assert.equal(mid.state, 'running', 'the stopped runner leaves the job running, not finished');
    assert.equal(mid.upid, upid);
    assert.equal(sim.tasks.get(upid)?.status, 'running', 'the task is still going in PVE');

    const second = newRunner('gateway-2');
    second.start();
    const done = await eventually(async () => {
      const j = await jobs.get(job.id);
      return j && j.state !== 'running' && j.state !== 'queued' ? j : undefined;
    });
    assert.equal(done.state, 'succeeded', done.error ?? '');
    assert.equal(done.upid, upid);
    assert.equal(done.attempts, 2);
    assert.equal(sentTasks('qmshutdown', 100), 1, 'the action was sent once');
    const events = (await db.query('SELECT kind, actor, upid FROM vm_event WHERE vm_id = ?', [vmId])) as { kind: string; actor: string; upid: string }[];
    assert.deepEqual(events, [{ kind: 'shut-down', actor: 'alice', upid }]);
    const vm = (await db.query('SELECT status FROM vm WHERE id = ?', [vmId])) as { status: string }[];
    assert.equal(vm[0]!.status, 'stopped');
    assert.equal(sim.state.vms.get(100)!.status, 'stopped');
    await second.stop();
  });

  it('a job whose runner died after sending but before storing the UPID finds its task instead of sending again', async () => {
    const vmId = vmIds.get(101)!;
    const { job } = await queue.enqueuePower({ vmId, action: 'start', actor: 'bob', actorEntityId: 2 });
    // What a crashed gateway leaves: claimed once, lease run out, no UPID — but the start did reach PVE.
    const past = new Date(Date.now() - 60_000);
    await db.query("UPDATE job SET state = 'running', attempts = 1, started_at = ?, locked_by = 'dead', locked_until = ? WHERE id = ?", [new Date(Date.now() - 2000), past, job.id]);
    const pve = await clients.get(clusterId);
    const sentUpid = await pve.power('pve1', 101, 'start');

    const runner = newRunner('gateway-3');
    runner.start();
    const done = await eventually(async () => {
      const j = await jobs.get(job.id);
      return j && (j.state === 'succeeded' || j.state === 'failed') ? j : undefined;
    });
    assert.equal(done.state, 'succeeded', done.error ?? '');
    assert.equal(done.upid, sentUpid);
    assert.equal(sentTasks('qmstart', 101), 1, 'not resent');
    await runner.stop();
  });

  it('a refused action ends in plain words and changes nothing', async () => {
    const vmId = vmIds.get(102)!;
    const { job } = await queue.enqueuePower({ vmId, action: 'reboot', actor: 'carol', actorEntityId: 3 });
    const runner = newRunner('gateway-4');
    runner.start();
    const done = await eventually(async () => {
      const j = await jobs.get(job.id);
      return j && (j.state === 'succeeded' || j.state === 'failed') ? j : undefined;
    });
    await runner.stop();
    assert.equal(done.state, 'failed');
    assert.equal(done.error, 'This machine is not running.');
    assert.equal(sim.state.vms.get(102)!.status, 'stopped');
  });
});
