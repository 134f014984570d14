import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TicketSigner } from './auth.js';
import { buildState } from './build-state.js';
import { generateTls } from './ca.js';
import type { Route, SimContext } from './context.js';
import { Faults } from './faults.js';
import { bootGuest } from './power.js';
import { accessRoutes } from './routes/access.js';
import { agentRoutes } from './routes/agent.js';
import { clusterRoutes } from './routes/cluster.js';
import { lxcRoutes } from './routes/lxc.js';
import { nodeRoutes } from './routes/nodes.js';
import { poolRoutes } from './routes/pools.js';
import { qemuConfigRoutes } from './routes/qemu-config.js';
import { qemuLifecycleRoutes } from './routes/qemu-lifecycle.js';
import { qemuRoutes } from './routes/qemu.js';
import { simAdminRoutes } from './routes/sim-admin.js';
import { storageRoutes } from './routes/storage.js';
import { vncRoutes, vncUpgradeHandler } from './routes/vnc.js';
import { parseScenario, parseTokenSpec, type Scenario } from './scenario.js';
import { PveHttpServer } from './server.js';
import type { ClusterState } from './state.js';
import { TaskRegistry } from './tasks.js';
import { QEMU_BINARY, QemuBackend } from './vm-backend-qemu.js';
import { SimBackend } from './vm-backend-sim.js';
import type { VmRuntime } from './vm-runtime.js';
import { VncSessions } from './vnc-sessions.js';

export type { Scenario } from './scenario.js';
export { parseScenario } from './scenario.js';
export type { ClusterState, SimVm, SimNode, SimAcl, SimToken, SimUser } from './state.js';
export type { Faults, FaultsInput, FaultRule } from './faults.js';
export type { TaskRegistry, SimTask } from './tasks.js';
export { formatUpid, parseUpid } from './tasks.js';

export interface PveSimOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Nodes pve1..pveN (default 2) unless the scenario lists them. */
  nodes?: number;
  /** VMs from id 100 (default 4) unless the scenario lists them. */
  vms?: number;
  /** Run started VMs as real QEMU processes (default: when qemu-system-x86_64 is installed). */
  qemu?: boolean;
  /** root@pam's password (default: generated; read it from `PveSim.rootPassword`). */
  password?: string;
  /** API tokens `USER@REALM!ID=UUID`, not privilege-separated. */
  tokens?: string[];
  scenario?: Scenario;
  /** Delay before every 401 (PVE: 3000 ms; default 3000, use 0 in tests). */
  authFailDelayMs?: number;
}

export interface PveSim {
  /** `https://127.0.0.1:PORT` (paths under /api2/json). */
  readonly url: string;
  readonly port: number;
  /** The CA that signed the server certificate: pin it. */
  readonly caPem: string;
  readonly rootPassword: string;
  /** Ground truth, for tests. */
  readonly state: ClusterState;
  readonly faults: Faults;
  readonly tasks: TaskRegistry;
  /** PIDs of the QEMU processes running now. */
  qemuPids(): number[];
  /** The QMP events a QEMU-backed VM's QEMU reported (RESET, STOP, RESUME, POWERDOWN …), oldest first. */
  qemuEvents(vmid: number): readonly string[];
  /** Stops the server, every console and every QEMU it started. Idempotent. */
  stop(): Promise<void>;
}

/** Whether qemu-system-x86_64 is on PATH. */
export function qemuAvailable(): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      accessSync(path.join(dir, QEMU_BINARY), constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

const ROUTES: readonly Route[] = [
  ...accessRoutes,
  ...clusterRoutes,
  ...nodeRoutes,
  ...qemuRoutes,
  ...qemuConfigRoutes,
  ...qemuLifecycleRoutes,
  ...agentRoutes,
  ...storageRoutes,
  ...poolRoutes,
  ...vncRoutes,
  ...lxcRoutes,
  ...simAdminRoutes,
];

/** Starts a simulated Proxmox VE cluster on 127.0.0.1. */
export async function startPveSim(options: PveSimOptions = {}): Promise<PveSim> {
  const scenario = options.scenario === undefined ? undefined : parseScenario(options.scenario);
  const useQemu = options.qemu ?? qemuAvailable();
  const rootPassword = options.password ?? randomBytes(12).toString('base64url');
  const tokens = (options.tokens ?? []).map(parseTokenSpec);
  const { state, running, paused } = buildState({ nodes: options.nodes ?? 2, vms: options.vms ?? 4, password: rootPassword, tokens, backend: useQemu ? 'qemu' : 'sim' }, scenario);

  const sim = new SimBackend(state);
  const qemu = useQemu
    ? new QemuBackend((vmid) => {
        const vm = state.vms.get(vmid);
        if (vm) {
          vm.status = 'stopped';
          vm.qmpstatus = 'stopped';
          vm.pid = undefined;
          vm.startedAt = undefined;
        }
      })
    : undefined;
  const runtime: VmRuntime = {
    for: (vm) => (vm.backend === 'qemu' && qemu ? qemu : sim),
    shutdownAll: async () => {
      await Promise.all([sim.shutdownAll(), qemu?.shutdownAll()]);
    },
  };
  const faults = new Faults();
  if (scenario?.faults) faults.set(scenario.faults);
  const vnc = new VncSessions();
  const tls = await generateTls();
  const ctx: SimContext = {
    state,
    tasks: new TaskRegistry(),
    signer: new TicketSigner(),
    faults,
    runtime,
    vnc,
    caPem: tls.caPem,
    authFailDelayMs: options.authFailDelayMs ?? 3000,
    defaultBackend: useQemu ? 'qemu' : 'sim',
  };
  const server = new PveHttpServer(ctx, { port: options.port ?? 0, key: tls.key, cert: tls.cert, routes: ROUTES, onUpgrade: vncUpgradeHandler(ctx) });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    vnc.closeAll();
    await server.stop();
    await runtime.shutdownAll();
  };
  try {
    for (const vmid of running) {
      const vm = state.vms.get(vmid)!;
      await bootGuest({ sim: ctx, who: { authid: 'root@pam', userid: 'root@pam', privsep: false, viaTicket: true }, params: {} }, vm);
      if (paused.includes(vmid)) {
        await runtime.for(vm).pause(vm);
        vm.qmpstatus = 'paused';
      }
    }
    const port = await server.start();
    return { url: `https://127.0.0.1:${port}`, port, caPem: tls.caPem, rootPassword, state, faults, tasks: ctx.tasks, qemuPids: () => qemu?.pids() ?? [], qemuEvents: (vmid) => qemu?.eventsOf(vmid) ?? [], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
