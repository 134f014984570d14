/**
 * guacamole_connection_history, written the way the Guacamole web app writes it (guacamole-schema.md §7):
 * one row when a connection starts (end_date NULL), end_date set when it ends; username, connection name and
 * the client address are copies taken at that time.
 */
import type { DataSource } from 'typeorm';
import { ATTR_KIND, ATTR_VM_ID } from './connection-attributes.js';

export interface HistoryStart {
  userId: number;
  username: string;
  remoteHost: string | null;
  connectionId: number;
  connectionName: string;
  startDate?: Date;
}

/** One session of a machine, as guacamole_connection_history recorded it. */
export interface MachineSession {
  username: string;
  /** The connection's way in (console, ssh, rdp, vnc); null for a connection without EarCandle's kind. */
  way: string | null;
  remoteHost: string | null;
  start: Date;
  /** null while the session is open (or when the gateway stopped without ending it). */
  end: Date | null;
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

  /**
   * A machine's sessions over all its ways in, newest first. Rows whose connection was deleted since (the schema
   * sets their connection_id to NULL) no longer name the machine and are not listed.
   */
  async forVm(vmId: number, limit = 100): Promise<MachineSession[]> {
    return (await this.db.query(
      `SELECT h.username, k.attribute_value AS way, h.remote_host AS remoteHost, h.start_date AS start, h.end_date AS end
         FROM guacamole_connection_history h
         JOIN guacamole_connection_attribute a ON a.connection_id = h.connection_id AND a.attribute_name = ? AND a.attribute_value = ?
         LEFT JOIN guacamole_connection_attribute k ON k.connection_id = h.connection_id AND k.attribute_name = ?
        ORDER BY h.start_date DESC, h.history_id DESC
        LIMIT ?`,
      [ATTR_VM_ID, String(vmId), ATTR_KIND, limit],
    )) as MachineSession[];
  }
}
