import type { ClusterCredentials } from '../db/index.js';
import { createPveClient, describePveError } from '../pve/index.js';

/** Connects with a cluster's stored token and pinned CA: one sentence on success; throws with a plain reason otherwise. */
export async function checkCluster(cluster: ClusterCredentials): Promise<string> {
  let client;
  try {
    client = createPveClient({ apiUrl: cluster.apiUrl, tokenId: cluster.tokenId, tokenSecret: cluster.tokenSecret, caPem: cluster.caPem });
    const version = await client.version();
    return `${cluster.name}: Proxmox VE ${version.version} answers, token accepted.`;
  } catch (err) {
    throw new Error(`${cluster.name}: ${describePveError(err)}`, { cause: err });
  } finally {
    await client?.close();
  }
}
