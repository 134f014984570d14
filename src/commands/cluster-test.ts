import type { ClusterCredentials } from '../db/index.js';
import { createPveClient, describePveError } from '../pve/index.js';
import { CliError, ExitCode } from './errors.js';

/** Connects with the cluster's stored token and pinned CA; the PVE version on success, a one-line reason otherwise. */
export async function testCluster(cluster: ClusterCredentials): Promise<string> {
  const client = createPveClient({
    apiUrl: cluster.apiUrl,
    tokenId: cluster.tokenId,
    tokenSecret: cluster.tokenSecret,
    caPem: cluster.caPem,
  });
  try {
    const version = await client.version();
    return `${cluster.name}: Proxmox VE ${version.version} (release ${version.release}), token ${cluster.tokenId} accepted`;
  } catch (err) {
    throw new CliError(`${cluster.name}: ${describePveError(err)}`, ExitCode.Unavailable);
  } finally {
    await client.close();
  }
}
