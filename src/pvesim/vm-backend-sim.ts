import { RfbServer } from './rfb-server.js';
import type { ClusterState, SimVm } from './state.js';
import type { VmBackend, VncTarget } from './vm-runtime.js';

/**
 * An in-process VM: power changes are instant and its console is the built-in RFB server drawing the
 * VM's name and state. Cheap enough for 10,000 VMs (a console server exists only once asked for).
 */
export class SimBackend implements VmBackend {
  private readonly consoles = new Map<number, RfbServer>();
  private pidCounter = 200000;

  constructor(private readonly state: ClusterState) {}

  async start(vm: SimVm): Promise<void> {
    vm.pid = this.pidCounter++;
  }

  async kill(vm: SimVm): Promise<void> {
    vm.pid = undefined;
  }

  async pause(): Promise<void> {}

  async resume(): Promise<void> {}

  async reset(): Promise<void> {}

  async powerdown(): Promise<void> {}

  async console(vm: SimVm, password: string, validS: number): Promise<VncTarget> {
    let server = this.consoles.get(vm.vmid);
    if (!server) {
      const vmid = vm.vmid;
      server = new RfbServer(() => {
        const live = this.state.vms.get(vmid);
        const status = live ? (live.status === 'running' && live.qmpstatus === 'paused' ? 'paused' : live.status) : 'gone';
        return { lines: [live?.config.name ?? `vm-${vmid}`, `vmid ${vmid}`, `status ${status}`], running: status === 'running' };
      }, `VM ${vm.vmid}`);
      this.consoles.set(vm.vmid, server);
    }
    server.setPassword(password, validS);
    return { host: '127.0.0.1', port: await server.listen() };
  }

  async shutdownAll(): Promise<void> {
    const all = [...this.consoles.values()];
    this.consoles.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
