import { PveError, PveHttpError, PveTaskFailedError, PveTaskTimeoutError } from '../pve/index.js';

/**
 * A PVE failure in words a person understands ("This machine is not running", not "500 VM 101 not running").
 * Never includes secrets: PVE messages are matched, not echoed, except the task's own exit status.
 */
export function plainPveError(err: unknown): string {
  const text = err instanceof PveTaskFailedError ? err.exitstatus : err instanceof Error ? err.message : String(err);
  if (/not running/i.test(text)) return 'This machine is not running.';
  if (/already running/i.test(text)) return 'This machine is already running.';
  if (/is paused/i.test(text)) return 'This machine is paused: resume it first.';
  if (/locked|lock/i.test(text)) return 'This machine is busy with another operation (it is locked). Try again in a minute.';
  if (/timeout|got timeout/i.test(text) && err instanceof PveTaskFailedError) return 'The machine did not shut down in time. Use "Stop (force)" if it hangs.';
  if (/does not exist|not exist/i.test(text)) return 'This machine no longer exists on the cluster.';
  if (err instanceof PveTaskTimeoutError) return 'The cluster is still working on it; check again in a minute.';
  if (err instanceof PveHttpError) {
    if (err.status === 401 || err.status === 403) return 'The gateway is not allowed to do this on the cluster (ask an administrator).';
    return 'The cluster refused the action.';
  }
  if (err instanceof PveError && err.code === 'PVE_UNREACHABLE') return 'The cluster cannot be reached right now. Try again later.';
  if (err instanceof PveTaskFailedError) return 'The action failed on the cluster.';
  return 'The action failed.';
}
