import { proxmoxApi, type Proxmox } from 'proxmox-api';
import { PinnedEngine, type EngineOptions } from './engine.js';
import { PveHttpError, PveTaskFailedError, PveTaskTimeoutError, PveBadResponseError } from './errors.js';
import {
  num,
  parseAgentInterfaces,
  parseClusterNodes,
  parseClusterVms,
  parseNodeVms,
  parseStorageContent,
  parseTaskStatus,
  parseTasks,
  parseUpid,
  parseVersion,
  parseVmConfig,
  parseVncProxy,
} from './parse.js';
import type {
  ClusterNodeResource,
  ClusterVmResource,
  GuestAddress,
  GuestType,
  NodeVm,
  PowerAction,
  PveTask,
  PveVersion,
  StorageVolume,
  TaskStatus,
  VmConfig,
  VncProxyTicket,
} from './types.js';
import { parseUpidString } from './upid.js';

export type PveClientOptions = EngineOptions;

export interface CloneOptions {
  newid: number;
  name?: string;
  full?: boolean;
  target?: string;
  pool?: string;
  storage?: string;
  description?: string;
}

const NODE = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?$/;
const STORAGE = /^[a-zA-Z][a-zA-Z0-9._-]*$/;

function node(name: string): string {
  if (!NODE.test(name)) throw new RangeError(`invalid PVE node name ${JSON.stringify(name)}`);
  return name;
}

function vmid(id: number): number {
  if (!Number.isInteger(id) || id < 100 || id > 999_999_999) throw new RangeError(`invalid VM id ${id}`);
  return id;
}

/** One PVE cluster, reached through one API origin with an API token. */
export class PveClient {
  readonly #engine: PinnedEngine;
  readonly #api: Proxmox.Api;

  constructor(options: PveClientOptions) {
    this.#engine = new PinnedEngine(options);
    this.#api = proxmoxApi(this.#engine);
  }

  /** https://host:port */
  get origin(): string {
    return this.#engine.origin;
  }

  async version(): Promise<PveVersion> {
    return parseVersion(await this.#api.version.$get());
  }

  /** Every guest of the cluster (one call; `status` lags and has no qmpstatus). */
  async clusterResources(): Promise<ClusterVmResource[]> {
    return parseClusterVms(await this.#api.cluster.resources.$get({ type: 'vm' }));
  }

  async clusterNodes(): Promise<ClusterNodeResource[]> {
    return parseClusterNodes(await this.#api.cluster.resources.$get({ type: 'node' }));
  }

  /** A node's own lists: qemu?full=1 (with qmpstatus) and lxc. */
  async nodeVms(nodeName: string): Promise<NodeVm[]> {
    const n = this.#api.nodes.$(node(nodeName));
    const [qemu, lxc] = await Promise.all([
      n.qemu.$get({ full: true }),
      n.lxc.$get().catch((err: unknown) => {
        // A node without the container API (501) has no containers to list.
        if (err instanceof PveHttpError && err.status === 501) return [];
        throw err;
      }),
    ]);
    return [...parseNodeVms(qemu, nodeName, 'qemu'), ...parseNodeVms(lxc, nodeName, 'lxc')];
  }

  async vmConfig(nodeName: string, id: number, type: GuestType = 'qemu'): Promise<VmConfig> {
    const n = this.#api.nodes.$(node(nodeName));
    const data: unknown = type === 'qemu' ? await n.qemu.$(vmid(id)).config.$get() : await n.lxc.$(vmid(id)).config.$get();
    return parseVmConfig(data);
  }

  /** The guest agent's IPv4 addresses (PVE answers 500 when no agent is configured or running). */
  async guestAddresses(nodeName: string, id: number): Promise<GuestAddress[]> {
    return parseAgentInterfaces(await this.#api.nodes.$(node(nodeName)).qemu.$(vmid(id)).agent['network-get-interfaces'].$get());
  }

  /** Tasks of a node that started at or after `since` (epoch seconds), newest first as PVE lists them. */
  async nodeTasks(nodeName: string, since: number, limit = 500): Promise<PveTask[]> {
    return parseTasks(await this.#api.nodes.$(node(nodeName)).tasks.$get({ since: Math.floor(since), limit, source: 'all' }), nodeName);
  }

  /** Starts a power action; resolves to its UPID as soon as PVE accepted it. */
  async power(nodeName: string, id: number, action: PowerAction, params: Record<string, string | number | boolean> = {}): Promise<string> {
    const status = this.#api.nodes.$(node(nodeName)).qemu.$(vmid(id)).status;
    const data: unknown = await (status[action] as { $post(p: object): Promise<unknown> }).$post(params);
    return parseUpid(data, `${action} ${id}`);
  }

  async taskStatus(upid: string): Promise<TaskStatus> {
    const parts = parseUpidString(upid);
    if (!parts) throw new RangeError(`not a UPID: ${upid}`);
    return parseTaskStatus(await this.#api.nodes.$(parts.node).tasks.$(upid).status.$get());
  }

  /** Polls the task on the node named in its UPID until it stops; throws PveTaskFailedError unless OK/WARNINGS. */
  async waitForTask(upid: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<TaskStatus> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const pollMs = options.pollMs ?? 500;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.taskStatus(upid);
      if (status.status === 'stopped') {
        const exit = status.exitstatus ?? '';
        if (exit === 'OK' || exit.startsWith('WARNINGS')) return status;
        throw new PveTaskFailedError(upid, exit || 'unknown exit status');
      }
      if (Date.now() + pollMs > deadline) throw new PveTaskTimeoutError(upid, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, pollMs).unref());
    }
  }

  /** POST vncproxy with websocket=1: a ticket and a port on the node that answered (use that same node for the socket). */
  async vncProxy(nodeName: string, id: number): Promise<VncProxyTicket> {
    return parseVncProxy(await this.#api.nodes.$(node(nodeName)).qemu.$(vmid(id)).vncproxy.$post({ websocket: true }));
  }

  /** wss://…/vncwebsocket for a vncProxy answer; open it with `authHeaders()`. */
  vncWebSocketUrl(nodeName: string, id: number, ticket: Pick<VncProxyTicket, 'port' | 'ticket'>): string {
    const url = new URL(`/api2/json/nodes/${node(nodeName)}/qemu/${vmid(id)}/vncwebsocket`, this.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('port', String(ticket.port));
    url.searchParams.set('vncticket', ticket.ticket);
    return url.toString();
  }

  /** The Authorization header for requests made outside this client (the console bridge's WebSocket). Secret-bearing. */
  authHeaders(): Record<string, string> {
    return this.#engine.authHeaders();
  }

  /** The undici dispatcher with the pinned CA, for a WebSocket to the same origin. */
  get dispatcher(): PinnedEngine['dispatcher'] {
    return this.#engine.dispatcher;
  }

  async nextId(): Promise<number> {
    const id = num(await this.#api.cluster.nextid.$get());
    if (id === null) throw new PveBadResponseError('cluster/nextid: not a number');
    return id;
  }

  async clone(nodeName: string, id: number, options: CloneOptions): Promise<string> {
    const params = { ...options, newid: vmid(options.newid) };
    return parseUpid(await this.#api.nodes.$(node(nodeName)).qemu.$(vmid(id)).clone.$post(params), `clone ${id}`);
  }

  /** Moves a guest to another node (`online` for a running one); resolves to the qmigrate UPID. */
  async migrate(nodeName: string, id: number, target: string, options: { online?: boolean } = {}): Promise<string> {
    const params = { target: node(target), ...(options.online ? { online: true } : {}) };
    return parseUpid(await this.#api.nodes.$(node(nodeName)).qemu.$(vmid(id)).migrate.$post(params), `migrate ${id}`);
  }

  /** PUT config (synchronous). Pass the digest read with the config to refuse lost updates. */
  async setConfig(nodeName: string, id: number, changes: Record<string, string | number | boolean>, options: { digest?: string; delete?: string[] } = {}): Promise<void> {
    const params: Record<string, string | number | boolean> = { ...changes };
    if (options.digest) params.digest = options.digest;
    if (options.delete?.length) params.delete = options.delete.join(',');
    await this.#api.nodes.$(node(nodeName)).qemu.$(vmid(id)).config.$put(params);
  }

  async deleteVm(nodeName: string, id: number, options: { purge?: boolean } = {}): Promise<string> {
    return parseUpid(await this.#api.nodes.$(node(nodeName)).qemu.$(vmid(id)).$delete(options), `delete ${id}`);
  }

  async storageContent(nodeName: string, storage: string, content = 'iso'): Promise<StorageVolume[]> {
    if (!STORAGE.test(storage)) throw new RangeError(`invalid storage id ${JSON.stringify(storage)}`);
    return parseStorageContent(await this.#api.nodes.$(node(nodeName)).storage.$(storage).content.$get({ content }));
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.#engine.close();
  }
}

export function createPveClient(options: PveClientOptions): PveClient {
  return new PveClient(options);
}
