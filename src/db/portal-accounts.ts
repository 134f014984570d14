import type { DataSource } from 'typeorm';
import type { AccountState } from './identities.js';
import { hashPassword } from './identities.js';

/** What a login needs to know about an account. */
export interface LoginAccount {
  entityId: number;
  name: string;
  passwordHash: string | null;
  state: AccountState;
  email: string | null;
  emailVerifiedAt: Date | null;
  failedLogins: number;
  lockedUntil: Date | null;
}

/** Who is behind a session, read on every request (a disabled account or a removed admin right takes effect at once). */
export interface Principal {
  entityId: number;
  name: string;
  admin: boolean;
  state: AccountState;
}

export type TokenPurpose = 'verify_email' | 'reset_password';

/**
 * Guacamole's own rule for an account that may not be used now: disabled, or outside valid_from / valid_until
 * (the console's admission applies the same rule, so the portal never shows what the tunnel would refuse).
 */
const UNUSABLE_NOW = `(u.disabled = 1 OR (u.valid_until IS NOT NULL AND u.valid_until < CURDATE())
  OR (u.valid_from IS NOT NULL AND u.valid_from > CURDATE()))`;

/** Portal accounts: login bookkeeping (failures, lockout), passwords, states and the tokens sent by mail. */
export class PortalAccountRepository {
  constructor(private readonly db: DataSource) {}

  async findLogin(name: string): Promise<LoginAccount | undefined> {
    const rows = (await this.db.query(
      `SELECT e.entity_id AS entityId, e.name, a.password_hash AS passwordHash,
              IF(${UNUSABLE_NOW}, 'disabled', a.state) AS state, a.email, a.email_verified_at AS emailVerifiedAt,
              a.failed_logins AS failedLogins, a.locked_until AS lockedUntil
         FROM guacamole_entity e
         JOIN guacamole_user u ON u.entity_id = e.entity_id
         JOIN portal_account a ON a.entity_id = e.entity_id
        WHERE e.type = 'USER' AND e.name = ?`,
      [name],
    )) as LoginAccount[];
    return rows[0];
  }

  async findByEmail(email: string): Promise<LoginAccount | undefined> {
    const rows = (await this.db.query(
      "SELECT e.name FROM portal_account a JOIN guacamole_entity e ON e.entity_id = a.entity_id WHERE a.email = ? AND e.type = 'USER'",
      [email],
    )) as { name: string }[];
    return rows[0] ? this.findLogin(rows[0].name) : undefined;
  }

  async principal(entityId: number): Promise<Principal | undefined> {
    const rows = (await this.db.query(
      `SELECT e.entity_id AS entityId, e.name, IF(${UNUSABLE_NOW}, 'disabled', COALESCE(a.state, 'active')) AS state,
              EXISTS (SELECT 1 FROM guacamole_system_permission p WHERE p.entity_id = e.entity_id AND p.permission = 'ADMINISTER') AS admin
         FROM guacamole_entity e
         JOIN guacamole_user u ON u.entity_id = e.entity_id
         LEFT JOIN portal_account a ON a.entity_id = e.entity_id
        WHERE e.entity_id = ? AND e.type = 'USER'`,
      [entityId],
    )) as (Omit<Principal, 'admin'> & { admin: number | string })[];
    const r = rows[0];
    return r && { entityId: r.entityId, name: r.name, state: r.state, admin: Number(r.admin) === 1 };
  }

  /** Counts a failed login; locks the account until `lockUntil` once `maxFailures` is reached. */
  async recordFailure(entityId: number, maxFailures: number, lockUntil: Date): Promise<{ failedLogins: number; locked: boolean }> {
    return this.db.transaction(async (tx) => {
      await tx.query('UPDATE portal_account SET failed_logins = failed_logins + 1 WHERE entity_id = ?', [entityId]);
      const rows = (await tx.query('SELECT failed_logins AS n FROM portal_account WHERE entity_id = ?', [entityId])) as { n: number }[];
      const n = rows[0]?.n ?? 0;
      if (n >= maxFailures) {
        await tx.query('UPDATE portal_account SET failed_logins = 0, locked_until = ? WHERE entity_id = ?', [lockUntil, entityId]);
        return { failedLogins: n, locked: true };
      }
      return { failedLogins: n, locked: false };
    });
  }

  async recordSuccess(entityId: number, at: Date): Promise<void> {
    await this.db.query('UPDATE portal_account SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE entity_id = ?', [at, entityId]);
  }

  async setPassword(entityId: number, password: string): Promise<void> {
    const hash = await hashPassword(password);
    await this.db.query('UPDATE portal_account SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE entity_id = ?', [hash, entityId]);
  }

  /** Sets the account state; the Guacamole user row is disabled with it, so no door lets a disabled user in. */
  async setState(entityId: number, state: AccountState): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE portal_account SET state = ? WHERE entity_id = ?', [state, entityId]);
      await tx.query('UPDATE guacamole_user SET disabled = ? WHERE entity_id = ?', [state === 'disabled' ? 1 : 0, entityId]);
    });
  }

  async markEmailVerified(entityId: number, at: Date): Promise<void> {
    await this.db.query('UPDATE portal_account SET email_verified_at = COALESCE(email_verified_at, ?) WHERE entity_id = ?', [at, entityId]);
  }

  /** Pending accounts waiting for an admin, with whether their address is confirmed. */
  async pending(): Promise<{ entityId: number; name: string; email: string | null; emailVerified: boolean }[]> {
    const rows = (await this.db.query(
      `SELECT e.entity_id AS entityId, e.name, a.email, a.email_verified_at IS NOT NULL AS emailVerified
         FROM portal_account a JOIN guacamole_entity e ON e.entity_id = a.entity_id WHERE a.state = 'pending' ORDER BY a.created_at`,
    )) as { entityId: number; name: string; email: string | null; emailVerified: number }[];
    return rows.map((r) => ({ ...r, emailVerified: Number(r.emailVerified) === 1 }));
  }

  /** Stores a mail token by its SHA-256; the token itself never reaches the database. */
  async createToken(entityId: number, purpose: TokenPurpose, tokenHash: Buffer, expiresAt: Date): Promise<void> {
    await this.db.query('INSERT INTO account_token (token_hash, entity_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
      tokenHash,
      entityId,
      purpose,
      new Date(),
      expiresAt,
    ]);
  }

  /** Uses a token once: the entity it was for, or undefined when unknown, used, expired or for another purpose. */
  async consumeToken(tokenHash: Buffer, purpose: TokenPurpose, now: Date): Promise<number | undefined> {
    return this.db.transaction(async (tx) => {
      const rows = (await tx.query(
        'SELECT entity_id AS entityId FROM account_token WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? FOR UPDATE',
        [tokenHash, purpose, now],
      )) as { entityId: number }[];
      const row = rows[0];
      if (!row) return undefined;
      await tx.query('UPDATE account_token SET used_at = ? WHERE token_hash = ?', [now, tokenHash]);
      return row.entityId;
    });
  }

  /** The account a token would be accepted for now, without using it (the reset form checks first). */
  async tokenEntity(tokenHash: Buffer, purpose: TokenPurpose, now: Date): Promise<number | undefined> {
    const rows = (await this.db.query(
      'SELECT entity_id AS entityId FROM account_token WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?',
      [tokenHash, purpose, now],
    )) as { entityId: number }[];
    return rows[0]?.entityId;
  }
}
