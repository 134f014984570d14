import type { ClusterCredentials } from '../db/index.js';
import { createPveClient, type PveClient } from '../pve/index.js';

/** One PVE client per cluster, made from the stored credentials on first use. */
export class PveClients {
  readonly #clients = new Map<number, Promise<PveClient>>();

  constructor(private readonly clusters: { require(id: number): Promise<{ name: string }>; credentials(name: string): Promise<ClusterCredentials> }) {}

  get(clusterId: number): Promise<PveClient> {
    let client = this.#clients.get(clusterId);
    if (!client) {
      client = this.#create(clusterId);
      client.catch(() => this.#clients.delete(clusterId));
      this.#clients.set(clusterId, client);
    }
    return client;
  }

  /** Forgets a cluster's client (its credentials changed, or it was disabled). */
  async forget(clusterId: number): Promise<void> {
    const client = this.#clients.get(clusterId);
    this.#clients.delete(clusterId);
    await client?.then((c) => c.close(), () => undefined);
  }

  async close(): Promise<void> {
    const all = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(all.map((c) => c.then((x) => x.close())));
  }

  async #create(clusterId: number): Promise<PveClient> {
    const { name } = await this.clusters.require(clusterId);
    const cred = await this.clusters.credentials(name);
    return createPveClient({ apiUrl: cred.apiUrl, tokenId: cred.tokenId, tokenSecret: cred.tokenSecret, caPem: cred.caPem });
  }
}
