import type { ClusterVmResource, NodeVm, PveClient, PveTask } from '../pve/index.js';
import type { DbVm, Inventory, ObservedVm } from './types.js';

const MIB = 1024 * 1024;

/** What the database already knows, so unchanged configs are not read again. */
export type KnownVms = ReadonlyMap<number, Pick<DbVm, 'name' | 'node' | 'status' | 'qmpstatus' | 'cores' | 'memoryMib' | 'diskBytes' | 'tags' | 'template' | 'ipv4' | 'agent' | 'configDigest' | 'macs'>>;

export interface InventoryOptions {
  /** Tasks that started at or after this (epoch seconds) are read. */
  tasksSince: number;
  /** Progress lines (node by node). */
  progress?: (line: string) => void;
}

/** The pool of a guest as /cluster/resources says (the node lists do not carry it). */
function observed(n: NodeVm, r: ClusterVmResource): ObservedVm {
  return {
    vmid: n.vmid,
    type: n.type,
    node: n.node,
    name: n.name || r.name,
    status: n.status,
    qmpstatus: n.type === 'qemu' ? (n.status === 'running' ? (n.qmpstatus ?? 'running') : 'stopped') : null,
    template: n.template || r.template,
    cores: n.cpus ?? r.maxcpu,
    memoryMib: n.maxmem !== null ? Math.round(n.maxmem / MIB) : r.maxmem !== null ? Math.round(r.maxmem / MIB) : null,
    diskBytes: n.maxdisk ?? r.maxdisk,
    tags: n.tags.length > 0 ? n.tags : r.tags,
    pool: r.pool,
    lock: n.lock,
    config: null,
    agentIpv4: undefined,
  };
}

/** True when the cheap listing differs from the row, so the config may have changed too. */
function looksChanged(o: ObservedVm, k: KnownVms extends ReadonlyMap<number, infer V> ? V : never): boolean {
  return (
    k.name !== o.name ||
    k.cores !== o.cores ||
    k.memoryMib !== o.memoryMib ||
    k.diskBytes !== o.diskBytes ||
    k.template !== o.template ||
    k.tags.join(',') !== o.tags.join(',') ||
    k.configDigest === null
  );
}

/**
 * Reads one cluster: /cluster/resources (type=vm), then each node's own lists (qemu?full=1 + lxc) for the
 * fresh run state, the config of guests that are new or look changed (MACs, agent, digest), the guest
 * agent's address of running guests that have one, and the nodes' recent tasks (for actors).
 * A node that does not answer is unreadable: its guests are left alone. Throws when /cluster/resources fails.
 */
export async function readInventory(pve: PveClient, known: KnownVms, options: InventoryOptions): Promise<Inventory> {
  const resources = await pve.clusterResources();
  const nodeNames = [...new Set([...(await pve.clusterNodes().catch(() => [])).map((n) => n.node), ...resources.map((r) => r.node)])].sort();
  const byVmid = new Map(resources.map((r) => [r.vmid, r]));
  const unreadable: string[] = [];
  const vms: ObservedVm[] = [];
  const uncertain = new Set<number>();
  const tasks: PveTask[] = [];
  const lists = await Promise.all(nodeNames.map((node) => pve.nodeVms(node).then((l) => ({ node, list: l }), () => ({ node, list: null }))));
  for (const { node, list } of lists) {
    if (list === null) {
      unreadable.push(node);
      options.progress?.(`node ${node}: unreadable, its guests are left as they are`);
      continue;
    }
    for (const n of list) {
      const r = byVmid.get(n.vmid);
      if (!r) uncertain.add(n.vmid); // created after the cluster listing: next time
      else vms.push(observed(n, r));
    }
  }
  const unreadableSet = new Set(unreadable);
  const seen = new Set(vms.map((v) => v.vmid));
  for (const r of resources) if (!seen.has(r.vmid)) uncertain.add(r.vmid); // on an unreadable node, or moving
  const sure = vms.filter((v) => !uncertain.has(v.vmid));

  await Promise.all(
    sure.map(async (o) => {
      const k = known.get(o.vmid);
      if (k === undefined || looksChanged(o, k) || (o.type === 'qemu' && k.macs.length === 0 && k.configDigest === null)) {
        try {
          const c = await pve.vmConfig(o.node, o.vmid, o.type);
          o.config = { macs: c.macs, agent: c.agentEnabled, digest: c.digest };
        } catch {
          // unread: the row keeps what it has; a new VM waits for the next run
        }
      }
      const agent = o.config?.agent ?? k?.agent ?? false;
      const stateChanged = k === undefined || k.status !== o.status || k.node !== o.node || o.config !== null;
      if (o.type === 'qemu' && agent && o.status === 'running' && (k?.ipv4 == null || stateChanged)) {
        const macs = o.config?.macs ?? k?.macs ?? [];
        try {
          const addrs = await pve.guestAddresses(o.node, o.vmid);
          o.agentIpv4 = (addrs.find((a) => a.mac !== null && macs.includes(a.mac)) ?? addrs[0])?.ipv4 ?? null;
        } catch {
          // the agent is not up yet: keep the known address
        }
      }
    }),
  );

  await Promise.all(
    nodeNames
      .filter((n) => !unreadableSet.has(n))
      .map(async (node) => {
        try {
          tasks.push(...(await pve.nodeTasks(node, options.tasksSince)).filter((t) => t.starttime >= options.tasksSince));
        } catch {
          // tasks only name actors: without them events are recorded without one
        }
      }),
  );
  options.progress?.(`read ${sure.length} guests on ${nodeNames.length - unreadable.length}/${nodeNames.length} nodes, ${tasks.length} tasks`);
  return {
    resourcesOk: true,
    nodes: nodeNames,
    unreadableNodes: unreadable,
    vms: sure,
    listedVmids: resources.map((r) => r.vmid),
    uncertainVmids: [...uncertain],
    tasks,
  };
}
