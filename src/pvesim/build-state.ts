import { randomUUID } from 'node:crypto';
import type { ParsedScenario, ScenarioVm } from './scenario.js';
import { ClusterState, type SimVm } from './state.js';

export interface BuildOptions {
  readonly nodes: number;
  readonly vms: number;
  readonly password: string;
  readonly tokens: readonly { tokenid: string; secret: string }[];
  readonly backend: 'qemu' | 'sim';
}

const DEFAULT_ISOS = ['debian-12.9.0-amd64-netinst.iso', 'ubuntu-24.04.1-live-server-amd64.iso', 'virtio-win-0.1.266.iso'];

/** Builds the cluster model from command-line options and an optional scenario (the scenario wins). */
export function buildState(opts: BuildOptions, scenario: ParsedScenario | undefined): { state: ClusterState; paused: number[]; running: number[] } {
  const state = new ClusterState();
  if (scenario?.clusterName) state.clusterName = scenario.clusterName;
  const nodeSpec = scenario?.nodes ?? opts.nodes;
  const nodes = typeof nodeSpec === 'number' ? Array.from({ length: nodeSpec }, (_, i) => ({ name: `pve${i + 1}`, online: true })) : nodeSpec;
  for (const n of nodes) state.nodes.set(n.name, { name: n.name, online: n.online, maxcpu: 16, maxmem: 64 * 1024 ** 3 });

  const storages = scenario?.storages ?? [
    { id: 'local', type: 'dir', content: ['iso', 'vztmpl', 'backup'], shared: false, isos: DEFAULT_ISOS },
    { id: 'local-lvm', type: 'lvmthin', content: ['images', 'rootdir'], shared: false, isos: [] },
    { id: 'ceph', type: 'rbd', content: ['images', 'rootdir'], shared: true, isos: [] },
  ];
  const ctime = Math.floor(Date.now() / 1000) - 86400;
  for (const s of storages) {
    state.storages.set(s.id, { id: s.id, type: s.type, content: s.content, shared: s.shared, isos: s.isos.map((f, i) => ({ volid: `${s.id}:iso/${f}`, size: 650 * 1024 * 1024 + i * 1024, ctime })) });
  }
  const diskStorage = [...state.storages.values()].find((s) => s.shared && s.content.includes('images'))?.id ?? [...state.storages.values()].find((s) => s.content.includes('images'))?.id ?? 'local';

  state.users.set('root@pam', { userid: 'root@pam', password: opts.password, enable: true });
  for (const u of scenario?.users ?? []) state.users.set(u.userid, { userid: u.userid, password: u.password, enable: u.enable });
  const addToken = (tokenid: string, secret: string, privsep: boolean): void => {
    const userid = tokenid.split('!')[0]!;
    if (!state.users.has(userid)) state.users.set(userid, { userid, enable: true });
    state.tokens.set(tokenid, { tokenid, secret, privsep });
  };
  for (const t of opts.tokens) addToken(t.tokenid, t.secret, false);
  for (const t of scenario?.tokens ?? []) addToken(t.tokenid, t.secret, t.privsep);
  for (const p of scenario?.pools ?? []) state.pools.set(p.poolid, { poolid: p.poolid, comment: p.comment });
  for (const a of scenario?.acls ?? []) state.acls.push({ path: a.path, ugid: a.ugid, roleid: a.role, propagate: a.propagate });

  const vmSpec = scenario?.vms ?? opts.vms;
  const nodeNames = [...state.nodes.keys()];
  const vms: ScenarioVm[] =
    typeof vmSpec === 'number'
      ? Array.from({ length: vmSpec }, (_, i) => ({
          vmid: 100 + i,
          node: nodeNames[i % nodeNames.length]!,
          type: 'qemu' as const,
          status: 'stopped' as const,
          template: false,
          memory: 2048,
          cores: 2,
          acpi: 'honour' as const,
          agent: true,
          agentRunning: true,
          ips: [`10.10.${Math.floor(i / 250)}.${(i % 250) + 2}`],
        }))
      : vmSpec;
  const running: number[] = [];
  const paused: number[] = [];
  for (const v of vms) {
    if (!state.nodes.has(v.node)) throw new Error(`invalid scenario: VM ${v.vmid} is on unknown node '${v.node}'`);
    if (state.vms.has(v.vmid)) throw new Error(`invalid scenario: VM ${v.vmid} is defined twice`);
    if (v.pool && !state.pools.has(v.pool)) state.pools.set(v.pool, { poolid: v.pool, comment: '' });
    state.vms.set(v.vmid, makeVm(state, v, diskStorage, opts.backend));
    if (v.status !== 'stopped') running.push(v.vmid);
    if (v.status === 'paused') paused.push(v.vmid);
  }
  return { state, running, paused };
}

function makeVm(state: ClusterState, v: ScenarioVm, diskStorage: string, backend: 'qemu' | 'sim'): SimVm {
  const config: Record<string, string> = {};
  const name = v.name ?? (v.type === 'lxc' ? `ct-${v.vmid}` : `vm-${v.vmid}`);
  const macs = v.macs ?? [state.newMac()];
  if (v.type === 'qemu') {
    Object.assign(config, {
      name,
      memory: String(v.memory),
      cores: String(v.cores),
      sockets: '1',
      ostype: 'l26',
      scsihw: 'virtio-scsi-single',
      boot: 'order=scsi0;ide2;net0',
      scsi0: `${diskStorage}:vm-${v.vmid}-disk-0,iothread=1,size=32G`,
      ide2: 'none,media=cdrom',
      smbios1: `uuid=${randomUUID()}`,
      vmgenid: randomUUID(),
    });
    macs.forEach((mac, i) => (config[`net${i}`] = `virtio=${mac.toUpperCase()},bridge=vmbr0,firewall=1`));
    if (v.agent) config.agent = '1';
  } else {
    Object.assign(config, { hostname: name, memory: String(v.memory), cores: String(v.cores), ostype: 'debian', rootfs: `${diskStorage}:vm-${v.vmid}-disk-0,size=8G` });
    macs.forEach((mac, i) => (config[`net${i}`] = `name=eth${i},bridge=vmbr0,hwaddr=${mac.toUpperCase()},ip=dhcp,type=veth`));
  }
  if (v.tags?.length) config.tags = v.tags.join(';');
  if (v.description !== undefined) config.description = v.description;
  if (v.onboot !== undefined) config.onboot = v.onboot ? '1' : '0';
  const vm: SimVm = {
    vmid: v.vmid,
    type: v.type,
    node: v.node,
    status: 'stopped',
    qmpstatus: 'stopped',
    template: v.template,
    config,
    acpi: v.acpi,
    agentRunning: v.agentRunning,
    ips: v.ips,
    backend: v.type === 'lxc' ? 'sim' : (v.backend ?? backend),
  };
  if (v.pool) vm.pool = v.pool;
  return vm;
}
