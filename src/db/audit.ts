import type { DataSource, EntityManager } from 'typeorm';

export type AuditResult = 'success' | 'failure' | 'denied';

export interface AuditEntry {
  actor?: string | null;
  actorEntityId?: number | null;
  action: string;
  target?: string | null;
  sourceAddress?: string | null;
  result: AuditResult;
  detail?: string | null;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: number;
  at: Date;
}

/** The audit log: who did what to what, from where, and how it ended. Rows are only ever added. */
export class AuditRepository {
  constructor(private readonly db: DataSource) {}

  /** Records an entry; pass the transaction's manager to make the record part of the change it describes. */
  async record(entry: AuditEntry, tx?: EntityManager): Promise<void> {
    await (tx ?? this.db).query(
      'INSERT INTO audit_log (at, actor, actor_entity_id, action, target, source_address, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        new Date(),
        entry.actor ?? null,
        entry.actorEntityId ?? null,
        entry.action,
        entry.target?.slice(0, 255) ?? null,
        entry.sourceAddress ?? null,
        entry.result,
        entry.detail?.slice(0, 1024) ?? null,
      ],
    );
  }

  async recent(limit = 100, beforeId?: number): Promise<AuditRecord[]> {
    return (await this.db.query(
      `SELECT id, at, actor, actor_entity_id AS actorEntityId, action, target, source_address AS sourceAddress, result, detail
         FROM audit_log ${beforeId ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?`,
      beforeId ? [beforeId, limit] : [limit],
    )) as AuditRecord[];
  }
}
