import type { JobRecord } from '../db/jobs.js';
import type { PowerAction } from './power-actions.js';
import { POWER_JOB, type JobStore, type PowerJobArgs } from './types.js';

export interface PowerRequest {
  vmId: number;
  action: PowerAction;
  actorEntityId: number;
  actor: string;
  timeoutS?: number;
  forceStop?: boolean;
}

/** Adds power jobs; a second request for the same VM and action while one is active returns that one. */
export class JobQueue {
  constructor(
    private readonly deps: { jobs: Pick<JobStore, 'enqueue'>; wake?: () => void },
  ) {}

  async enqueuePower(req: PowerRequest): Promise<{ job: JobRecord; created: boolean }> {
    const args: PowerJobArgs = { action: req.action };
    if (req.timeoutS !== undefined) args.timeoutS = req.timeoutS;
    if (req.forceStop !== undefined) args.forceStop = req.forceStop;
    const res = await this.deps.jobs.enqueue({
      kind: POWER_JOB,
      args: { ...args },
      vmId: req.vmId,
      actorEntityId: req.actorEntityId,
      actor: req.actor,
      dedupeKey: powerDedupeKey(req.vmId, req.action),
    });
    if (res.created) this.deps.wake?.();
    return res;
  }
}

function powerDedupeKey(vmId: number, action: PowerAction): string {
  return `power:${vmId}:${action}`;
}
