import type { ClusterCredentials } from '../db/index.js';
import { checkCluster } from '../jobs/index.js';
import { PveConfigError } from '../pve/index.js';
import { CliError, ExitCode } from './errors.js';

/** Connects with the cluster's stored token and pinned CA (the admin page's check): the PVE version, or a one-line reason. */
export async function testCluster(cluster: ClusterCredentials): Promise<string> {
  try {
    return await checkCluster(cluster);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(message, err instanceof Error && err.cause instanceof PveConfigError ? ExitCode.Config : ExitCode.Unavailable);
  }
}
