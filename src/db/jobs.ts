import type { DataSource } from 'typeorm';
import { isDuplicateKey } from './errors.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobRecord {
  id: number;
  kind: string;
  args: Record<string, unknown>;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  vmId: number | null;
  actorEntityId: number | null;
  actor: string | null;
  upid: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  dedupeKey: string | null;
  runAfter: Date;
  lockedBy: string | null;
  lockedUntil: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NewJob {
  kind: string;
  args: Record<string, unknown>;
  vmId?: number | null;
  actorEntityId?: number | null;
  actor?: string | null;
  dedupeKey?: string | null;
  maxAttempts?: number;
  runAfter?: Date;
}

/** The event a finished job leaves in its VM's history (vm_event), written in the same transaction. */
export interface JobEvent {
  vmId: number;
  at: Date;
  kind: string;
  actor: string | null;
  detail: string | null;
  upid: string | null;
}

/** The VM state a finished power job leaves behind, until sync reads the truth. */
export interface VmPowerState {
  vmId: number;
  status: string;
  qmpstatus: string | null;
}

export interface JobFinish {
  state: 'succeeded' | 'failed';
  at: Date;
  result?: Record<string, unknown> | null;
  error?: string | null;
  event?: JobEvent | null;
  vmState?: VmPowerState | null;
}

const SELECT = `SELECT id, kind, args, state, attempts, max_attempts AS maxAttempts, vm_id AS vmId, actor_entity_id AS actorEntityId,
  actor, upid, result, error, dedupe_key AS dedupeKey, run_after AS runAfter, locked_by AS lockedBy, locked_until AS lockedUntil,
  created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt FROM job`;

type JobRow = Omit<JobRecord, 'args' | 'result'> & { args: string; result: string | null };

/**
 * The job table as a queue. A job is claimed under a lease (locked_by / locked_until) with FOR UPDATE SKIP
 * LOCKED, so several runners never take the same job; a lease that ran out (its runner died or was stopped)
 * is claimed again and the job resumes from what was stored (its UPID). One active job per dedupe key.
 */
export class JobRepository {
  constructor(private readonly db: DataSource) {}

  /** Adds a job, or returns the active one with the same dedupe key (`created` false). */
  async enqueue(job: NewJob): Promise<{ job: JobRecord; created: boolean }> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const res = (await this.db.query(
          `INSERT INTO job (kind, args, state, max_attempts, vm_id, actor_entity_id, actor, dedupe_key, run_after, created_at)
           VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
          [
            job.kind,
            JSON.stringify(job.args),
            job.maxAttempts ?? 3,
            job.vmId ?? null,
            job.actorEntityId ?? null,
            job.actor ?? null,
            job.dedupeKey ?? null,
            job.runAfter ?? new Date(),
            new Date(),
          ],
        )) as { insertId: number };
        return { job: await this.require(res.insertId), created: true };
      } catch (err) {
        if (!isDuplicateKey(err) || job.dedupeKey == null) throw err;
        const active = await this.activeByDedupeKey(job.dedupeKey);
        if (active) return { job: active, created: false };
        // The active job finished between our insert and our look-up: try again.
      }
    }
    throw new Error(`could not enqueue job with key ${job.dedupeKey}`);
  }

  async get(id: number): Promise<JobRecord | undefined> {
    const rows = (await this.db.query(`${SELECT} WHERE id = ?`, [id])) as JobRow[];
    return rows[0] && toRecord(rows[0]);
  }

  async require(id: number): Promise<JobRecord> {
    const job = await this.get(id);
    if (!job) throw new Error(`no job with id ${id}`);
    return job;
  }

  async activeByDedupeKey(key: string): Promise<JobRecord | undefined> {
    const rows = (await this.db.query(`${SELECT} WHERE live_dedupe_key = ?`, [key])) as JobRow[];
    return rows[0] && toRecord(rows[0]);
  }

  /** Queued and running jobs of these VMs (for the pages' progress). */
  async activeForVms(vmIds: readonly number[]): Promise<JobRecord[]> {
    if (vmIds.length === 0) return [];
    const rows = (await this.db.query(`${SELECT} WHERE state IN ('queued','running') AND vm_id IN (?) ORDER BY id`, [vmIds])) as JobRow[];
    return rows.map(toRecord);
  }

  async recentForVm(vmId: number, limit = 20): Promise<JobRecord[]> {
    const rows = (await this.db.query(`${SELECT} WHERE vm_id = ? ORDER BY id DESC LIMIT ?`, [vmId, limit])) as JobRow[];
    return rows.map(toRecord);
  }

  /** Jobs created, started or finished at or after `since` (the live feed's poll). */
  async changedSince(since: Date): Promise<JobRecord[]> {
    const rows = (await this.db.query(
      `${SELECT} WHERE created_at >= ? OR started_at >= ? OR finished_at >= ? ORDER BY id LIMIT 1000`,
      [since, since, since],
    )) as JobRow[];
    return rows.map(toRecord);
  }

  /**
   * Takes one job that is due, or whose lease has run out, for `runner` until `leaseUntil`; never one whose VM
   * already has another job under a live lease. Counts the attempt.
   */
  async claim(runner: string, now: Date, leaseUntil: Date, kinds: readonly string[]): Promise<JobRecord | undefined> {
    const id = await this.db.transaction(async (tx) => {
      const rows = (await tx.query(
        `SELECT j.id FROM job j
          WHERE j.kind IN (?)
            AND ((j.state = 'queued' AND j.run_after <= ?) OR (j.state = 'running' AND (j.locked_until IS NULL OR j.locked_until < ?)))
            AND NOT EXISTS (SELECT 1 FROM job o WHERE o.vm_id = j.vm_id AND o.id <> j.id AND o.state = 'running' AND o.locked_until >= ?)
          ORDER BY j.id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [kinds, now, now, now],
      )) as { id: number }[];
      const row = rows[0];
      if (!row) return undefined;
      await tx.query(
        `UPDATE job SET state = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, started_at = COALESCE(started_at, ?)
          WHERE id = ?`,
        [runner, leaseUntil, now, row.id],
      );
      return row.id;
    });
    return id === undefined ? undefined : this.require(id);
  }

  /** Extends the lease; false when the job is no longer ours (taken over or finished). */
  async renew(id: number, runner: string, leaseUntil: Date): Promise<boolean> {
    const res = (await this.db.query("UPDATE job SET locked_until = ? WHERE id = ? AND locked_by = ? AND state = 'running'", [
      leaseUntil,
      id,
      runner,
    ])) as { affectedRows: number };
    return res.affectedRows === 1;
  }

  /** Stores the PVE task id before waiting for it, so a restarted gateway polls it instead of sending again. */
  async setUpid(id: number, runner: string, upid: string): Promise<boolean> {
    const res = (await this.db.query("UPDATE job SET upid = ? WHERE id = ? AND locked_by = ? AND state = 'running'", [upid, id, runner])) as {
      affectedRows: number;
    };
    return res.affectedRows === 1;
  }

  /** Gives the job up without finishing it (runner stopping): another runner may take it at once. */
  async release(id: number, runner: string, now: Date): Promise<void> {
    await this.db.query("UPDATE job SET locked_until = ? WHERE id = ? AND locked_by = ? AND state = 'running'", [now, id, runner]);
  }

  /** Puts the job back in the queue for a later attempt. */
  async retryLater(id: number, runner: string, runAfter: Date, error: string): Promise<void> {
    await this.db.query(
      "UPDATE job SET state = 'queued', run_after = ?, error = ?, locked_by = NULL, locked_until = NULL WHERE id = ? AND locked_by = ? AND state = 'running'",
      [runAfter, error.slice(0, 1024), id, runner],
    );
  }

  /**
   * Finishes the job, its VM event and the VM's expected state in one transaction. Only the runner holding the
   * lease can finish it, and only once: false when someone else did.
   */
  async finish(id: number, runner: string, finish: JobFinish): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const res = (await tx.query(
        `UPDATE job SET state = ?, result = ?, error = ?, finished_at = ?, locked_by = NULL, locked_until = NULL
          WHERE id = ? AND locked_by = ? AND state = 'running'`,
        [
          finish.state,
          finish.result == null ? null : JSON.stringify(finish.result),
          finish.error?.slice(0, 1024) ?? null,
          finish.at,
          id,
          runner,
        ],
      )) as { affectedRows: number };
      if (res.affectedRows !== 1) return false;
      const e = finish.event;
      if (e) {
        // Sync may have recorded the same task first (without knowing the portal user): the portal user wins.
        await tx.query(
          `INSERT INTO vm_event (vm_id, at, kind, actor, detail, upid) VALUES (?, ?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE actor = VALUES(actor), detail = VALUES(detail)`,
          [e.vmId, e.at, e.kind, e.actor?.slice(0, 128) ?? null, e.detail?.slice(0, 1024) ?? null, e.upid],
        );
      }
      const s = finish.vmState;
      if (s) await tx.query('UPDATE vm SET status = ?, qmpstatus = ? WHERE id = ? AND gone_at IS NULL', [s.status, s.qmpstatus, s.vmId]);
      return true;
    });
  }
}

function parseJson(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toRecord(r: JobRow): JobRecord {
  return { ...r, id: Number(r.id), args: parseJson(r.args) ?? {}, result: parseJson(r.result) };
}
