export { JobRunner, type JobRunnerDeps, type JobRunnerOptions } from './runner.js';
export { JobQueue, type PowerRequest } from './queue.js';
export { PveClients } from './pve-clients.js';
export { plainPveError } from './plain-errors.js';
export {
  POWER_ACTIONS,
  PLAIN_STATES,
  ACTION_LABEL,
  DESTRUCTIVE,
  actionsFor,
  isPowerAction,
  plainState,
  refusalFor,
  type PowerAction,
  type PlainState,
} from './power-actions.js';
export { POWER_JOB, systemClock, type Clock, type JobStore, type PowerPve, type PveForCluster, type VmLookup, type PowerJobArgs } from './types.js';
export { checkCluster } from './cluster-check.js';
