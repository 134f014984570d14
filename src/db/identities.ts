import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type { DataSource, EntityManager } from 'typeorm';
import { ConflictError, NotFoundError, isDuplicateKey } from './errors.js';
import { guacamolePasswordHash } from './guacamole-password.js';
import { assertGuacamoleName } from './names.js';

export type AccountState = 'pending' | 'active' | 'disabled';

export interface UserSummary {
  entityId: number;
  name: string;
  email: string | null;
  state: AccountState;
  admin: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface NewUser {
  name: string;
  /** Absent: the account has no usable password until one is set (e.g. by a reset mail). */
  password?: string | undefined;
  email?: string | undefined;
  admin?: boolean;
  state?: AccountState;
  /**
   * Also give the Guacamole user row the same password (Guacamole's salted SHA-256), so the stock Guacamole
   * web app accepts it. Off by default: that hash is far cheaper to attack than argon2id.
   */
  mirrorPasswordToGuacamole?: boolean;
}

/** argon2id with OWASP's memory-hard parameters. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return argon2.verify(hash, password).catch(() => false);
}

/**
 * Users and groups: Guacamole identities (entity + user / user_group, written as Guacamole writes them)
 * together with their EarCandle portal accounts.
 */
export class IdentityRepository {
  constructor(private readonly db: DataSource) {}

  async createUser(user: NewUser): Promise<UserSummary> {
    assertGuacamoleName('user', user.name);
    const portalHash = user.password === undefined ? null : await hashPassword(user.password);
    const guacSecret = user.password !== undefined && user.mirrorPasswordToGuacamole ? user.password : randomBytes(32).toString('base64');
    const { hash, salt } = guacamolePasswordHash(guacSecret);
    try {
      const entityId = await this.db.transaction(async (tx) => {
        const entity = (await tx.query("INSERT INTO guacamole_entity (name, type) VALUES (?, 'USER')", [user.name])) as {
          insertId: number;
        };
        await tx.query(
          'INSERT INTO guacamole_user (entity_id, password_hash, password_salt, password_date, email_address) VALUES (?, ?, ?, NOW(), ?)',
          [entity.insertId, hash, salt, user.email ?? null],
        );
        await tx.query('INSERT INTO portal_account (entity_id, password_hash, email, state, created_at) VALUES (?, ?, ?, ?, ?)', [
          entity.insertId,
          portalHash,
          user.email ?? null,
          user.state ?? 'active',
          new Date(),
        ]);
        if (user.admin) await grantAdmin(tx, entity.insertId);
        return entity.insertId;
      });
      return this.requireUser(entityId);
    } catch (err) {
      if (isDuplicateKey(err)) {
        const what = String((err as Error).message).includes('portal_account_email') ? `e-mail ${user.email}` : `name ${user.name}`;
        throw new ConflictError(`a user with the ${what} already exists`);
      }
      throw err;
    }
  }

  async listUsers(): Promise<UserSummary[]> {
    const rows = (await this.db.query(`${USER_SELECT} ORDER BY e.name`)) as UserRow[];
    return rows.map(toUserSummary);
  }

  async findUserByName(name: string): Promise<UserSummary | undefined> {
    const rows = (await this.db.query(`${USER_SELECT} WHERE e.name = ?`, [name])) as UserRow[];
    return rows[0] && toUserSummary(rows[0]);
  }

  async requireUser(entityId: number): Promise<UserSummary> {
    const rows = (await this.db.query(`${USER_SELECT} WHERE e.entity_id = ?`, [entityId])) as UserRow[];
    if (!rows[0]) throw new NotFoundError(`no user with id ${entityId}`);
    return toUserSummary(rows[0]);
  }

  /** Disables both the portal account and the Guacamole user, so neither door lets the user in. */
  async setUserDisabled(name: string, disabled: boolean): Promise<UserSummary> {
    const user = await this.findUserByName(name);
    if (!user) throw new NotFoundError(`no user named ${name}`);
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE guacamole_user SET disabled = ? WHERE entity_id = ?', [disabled ? 1 : 0, user.entityId]);
      await tx.query('UPDATE portal_account SET state = ? WHERE entity_id = ?', [disabled ? 'disabled' : 'active', user.entityId]);
    });
    return this.requireUser(user.entityId);
  }

  async setAdmin(name: string, admin: boolean): Promise<void> {
    const user = await this.findUserByName(name);
    if (!user) throw new NotFoundError(`no user named ${name}`);
    await this.db.transaction(async (tx) => {
      if (admin) await grantAdmin(tx, user.entityId);
      else await tx.query("DELETE FROM guacamole_system_permission WHERE entity_id = ? AND permission = 'ADMINISTER'", [user.entityId]);
    });
  }

  async createGroup(name: string): Promise<{ entityId: number; userGroupId: number; name: string }> {
    assertGuacamoleName('group', name);
    try {
      return await this.db.transaction(async (tx) => {
        const entity = (await tx.query("INSERT INTO guacamole_entity (name, type) VALUES (?, 'USER_GROUP')", [name])) as { insertId: number };
        const group = (await tx.query('INSERT INTO guacamole_user_group (entity_id) VALUES (?)', [entity.insertId])) as { insertId: number };
        return { entityId: entity.insertId, userGroupId: group.insertId, name };
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError(`a group named ${name} already exists`);
      throw err;
    }
  }

  async listGroups(): Promise<{ name: string; entityId: number; members: string[] }[]> {
    const rows = (await this.db.query(
      `SELECT e.name, e.entity_id AS entityId, GROUP_CONCAT(m.name ORDER BY m.name SEPARATOR '\\n') AS members
         FROM guacamole_user_group g
         JOIN guacamole_entity e ON e.entity_id = g.entity_id
         LEFT JOIN guacamole_user_group_member gm ON gm.user_group_id = g.user_group_id
         LEFT JOIN guacamole_entity m ON m.entity_id = gm.member_entity_id
        GROUP BY e.entity_id, e.name ORDER BY e.name`,
    )) as { name: string; entityId: number; members: string | null }[];
    return rows.map((r) => ({ name: r.name, entityId: r.entityId, members: r.members ? r.members.split('\n') : [] }));
  }

  /** Adds a user (or a group, by its name) to a group; adding twice is a no-op. */
  async addGroupMember(groupName: string, memberName: string, memberType: 'USER' | 'USER_GROUP' = 'USER'): Promise<void> {
    const group = (await this.db.query(
      `SELECT g.user_group_id AS id FROM guacamole_user_group g JOIN guacamole_entity e ON e.entity_id = g.entity_id
        WHERE e.type = 'USER_GROUP' AND e.name = ?`,
      [groupName],
    )) as { id: number }[];
    if (!group[0]) throw new NotFoundError(`no group named ${groupName}`);
    const member = (await this.db.query('SELECT entity_id AS id FROM guacamole_entity WHERE type = ? AND name = ?', [
      memberType,
      memberName,
    ])) as { id: number }[];
    if (!member[0]) throw new NotFoundError(`no ${memberType === 'USER' ? 'user' : 'group'} named ${memberName}`);
    await this.db.query('INSERT IGNORE INTO guacamole_user_group_member (user_group_id, member_entity_id) VALUES (?, ?)', [
      group[0].id,
      member[0].id,
    ]);
  }

  async removeGroupMember(groupName: string, memberName: string): Promise<void> {
    await this.db.query(
      `DELETE gm FROM guacamole_user_group_member gm
         JOIN guacamole_user_group g ON g.user_group_id = gm.user_group_id
         JOIN guacamole_entity ge ON ge.entity_id = g.entity_id AND ge.type = 'USER_GROUP'
         JOIN guacamole_entity me ON me.entity_id = gm.member_entity_id
        WHERE ge.name = ? AND me.name = ?`,
      [groupName, memberName],
    );
  }
}

/** ADMINISTER is Guacamole's system-wide wildcard; a Guacamole admin also holds the CREATE_* permissions. */
async function grantAdmin(tx: EntityManager, entityId: number): Promise<void> {
  await tx.query(
    `INSERT IGNORE INTO guacamole_system_permission (entity_id, permission) VALUES
      (?, 'CREATE_CONNECTION'), (?, 'CREATE_CONNECTION_GROUP'), (?, 'CREATE_SHARING_PROFILE'),
      (?, 'CREATE_USER'), (?, 'CREATE_USER_GROUP'), (?, 'ADMINISTER')`,
    Array(6).fill(entityId),
  );
}

const USER_SELECT = `
  SELECT e.entity_id AS entityId, e.name, COALESCE(a.email, u.email_address) AS email, COALESCE(a.state, 'active') AS state,
         a.created_at AS createdAt, a.last_login_at AS lastLoginAt,
         u.disabled,
         EXISTS (SELECT 1 FROM guacamole_system_permission p WHERE p.entity_id = e.entity_id AND p.permission = 'ADMINISTER') AS admin
    FROM guacamole_entity e
    JOIN guacamole_user u ON u.entity_id = e.entity_id
    LEFT JOIN portal_account a ON a.entity_id = e.entity_id`;

interface UserRow {
  entityId: number;
  name: string;
  email: string | null;
  state: AccountState;
  createdAt: Date;
  lastLoginAt: Date | null;
  disabled: number;
  admin: number | string;
}

function toUserSummary(r: UserRow): UserSummary {
  return {
    entityId: r.entityId,
    name: r.name,
    email: r.email,
    state: r.disabled ? 'disabled' : r.state,
    admin: Number(r.admin) === 1,
    createdAt: r.createdAt,
    lastLoginAt: r.lastLoginAt,
  };
}
