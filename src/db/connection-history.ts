/**
 * guacamole_connection_history, written the way the Guacamole web app writes it (guacamole-schema.md §7):
 * one row when a connection starts (end_date NULL), end_date set when it ends; username, connection name and
 * the client address are copies taken at that time.
 */
import type { DataSource } from 'typeorm';

export interface HistoryStart {
  userId: number;
  username: string;
  remoteHost: string | null;
  connectionId: number;
  connectionName: string;
  startDate?: Date;
}

export class ConnectionHistory {
  constructor(private readonly db: DataSource) {}

  /** Inserts the row; returns its history_id. */
  async start(entry: HistoryStart): Promise<number> {
    const res = (await this.db.query(
      `INSERT INTO guacamole_connection_history (user_id, username, remote_host, connection_id, connection_name, start_date)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [entry.userId, entry.username.slice(0, 128), entry.remoteHost?.slice(0, 256) ?? null, entry.connectionId, entry.connectionName.slice(0, 128), entry.startDate ?? new Date()],
    )) as { insertId: number };
    return res.insertId;
  }

  /** Sets end_date once; repeated calls leave the first end. */
  async end(historyId: number, endDate: Date = new Date()): Promise<void> {
    await this.db.query('UPDATE guacamole_connection_history SET end_date = ? WHERE history_id = ? AND end_date IS NULL', [endDate, historyId]);
  }
}
