import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createAll } from './create-all.js';

/**
 * EarCandle's own tables. Guacamole identities (guacamole_entity) are the accounts' keys, so a user deleted
 * the Guacamole way takes its portal account with it. History (VM events, audit, jobs) outlives what it mentions.
 */
const OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const EARCANDLE_TABLES = [
  'portal_account',
  'account_token',
  'pve_cluster',
  'vm',
  'vm_event',
  'job',
  'audit_log',
  'http_session',
  'dhcp_reservation',
  'console_token_use',
] as const;

const CREATE = [
  `CREATE TABLE portal_account (
  entity_id         int(11)      NOT NULL,
  password_hash     varchar(255) NULL COMMENT 'argon2id, PHC string format',
  email             varchar(254) NULL,
  state             enum('pending','active','disabled') NOT NULL DEFAULT 'active',
  email_verified_at datetime(3)  NULL,
  created_at        datetime(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_login_at     datetime(3)  NULL,
  failed_logins     int          NOT NULL DEFAULT 0,
  locked_until      datetime(3)  NULL,
  PRIMARY KEY (entity_id),
  UNIQUE KEY portal_account_email (email),
  CONSTRAINT portal_account_entity FOREIGN KEY (entity_id) REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE
) ${OPTIONS}`,

  `CREATE TABLE account_token (
  token_hash binary(32)  NOT NULL COMMENT 'SHA-256 of the token sent by mail; the token itself is never stored',
  entity_id  int(11)     NOT NULL,
  purpose    enum('verify_email','reset_password') NOT NULL,
  created_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at datetime(3) NOT NULL,
  used_at    datetime(3) NULL,
  PRIMARY KEY (token_hash),
  KEY account_token_entity (entity_id, purpose),
  CONSTRAINT account_token_entity FOREIGN KEY (entity_id) REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE
) ${OPTIONS}`,

  `CREATE TABLE pve_cluster (
  id               int(11)        NOT NULL AUTO_INCREMENT,
  name             varchar(64)    NOT NULL,
  api_url          varchar(512)   NOT NULL,
  token_id         varchar(255)   NOT NULL,
  token_secret_enc varbinary(512) NOT NULL COMMENT 'AES-256-GCM: version(1) | iv(12) | tag(16) | ciphertext',
  ca_pem           text           NULL COMMENT 'pinned CA; NULL trusts the system store',
  enabled          boolean        NOT NULL DEFAULT 1,
  dhcp_subnet      varchar(43)    NULL COMMENT 'CIDR whose addresses sync reserves for VM MACs',
  kea_subnet_id    int unsigned   NULL,
  guest_protocols  varchar(64)    NOT NULL DEFAULT '' COMMENT 'ways into a guest at its address: ssh,rdp,vnc',
  owner_rule       varchar(128)   NOT NULL DEFAULT 'pool' COMMENT 'how sync finds a VM owner: pool | tag:<prefix> | none',
  created_at       datetime(3)    NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       datetime(3)    NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  last_sync_at     datetime(3)    NULL,
  last_sync_ok_at  datetime(3)    NULL,
  last_sync_error  varchar(1024)  NULL,
  PRIMARY KEY (id),
  UNIQUE KEY pve_cluster_name (name)
) ${OPTIONS}`,

  `CREATE TABLE vm (
  id              int(11)       NOT NULL AUTO_INCREMENT COMMENT 'stable EarCandle id: survives migration, rename and resync',
  cluster_id      int(11)       NOT NULL,
  node            varchar(64)   NOT NULL,
  vmid            int unsigned  NOT NULL,
  name            varchar(128)  NOT NULL,
  type            enum('qemu','lxc') NOT NULL,
  status          varchar(16)   NOT NULL COMMENT 'PVE status: running | stopped | unknown',
  qmpstatus       varchar(32)   NULL COMMENT 'running | paused | suspended | prelaunch | ...',
  template        boolean       NOT NULL DEFAULT 0,
  cores           int           NULL,
  memory_mib      int           NULL,
  disk_bytes      bigint        NULL,
  macs            varchar(512)  NOT NULL DEFAULT '' COMMENT 'upper-case, comma separated, in netN order',
  ipv4            varchar(15)   NULL,
  tags            varchar(512)  NOT NULL DEFAULT '',
  pool            varchar(64)   NULL,
  lock_state      varchar(32)   NULL,
  owner_entity_id int(11)       NULL,
  expires_at      datetime(3)   NULL,
  first_seen_at   datetime(3)   NOT NULL,
  last_seen_at    datetime(3)   NOT NULL,
  gone_at         datetime(3)   NULL,
  live_vmid       int unsigned  AS (IF(gone_at IS NULL, vmid, NULL)) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY vm_live_vmid (cluster_id, live_vmid),
  KEY vm_cluster_vmid (cluster_id, vmid),
  KEY vm_owner (owner_entity_id),
  CONSTRAINT vm_cluster FOREIGN KEY (cluster_id) REFERENCES pve_cluster (id),
  CONSTRAINT vm_owner FOREIGN KEY (owner_entity_id) REFERENCES guacamole_entity (entity_id) ON DELETE SET NULL
) ${OPTIONS}`,

  `CREATE TABLE vm_event (
  id         bigint        NOT NULL AUTO_INCREMENT,
  vm_id      int(11)       NOT NULL,
  at         datetime(3)   NOT NULL,
  kind       varchar(32)   NOT NULL COMMENT 'appeared started stopped paused resumed rebooted reset migrated renamed config-changed vanished returned ...',
  actor      varchar(128)  NULL COMMENT 'PVE user (user@realm or token) or portal user name',
  detail     varchar(1024) NULL,
  upid       varchar(255)  NULL COMMENT 'the PVE task this event comes from, if any',
  PRIMARY KEY (id),
  KEY vm_event_vm_at (vm_id, at),
  UNIQUE KEY vm_event_task (vm_id, upid),
  CONSTRAINT vm_event_vm FOREIGN KEY (vm_id) REFERENCES vm (id) ON DELETE CASCADE
) ${OPTIONS}`,

  `CREATE TABLE job (
  id              bigint        NOT NULL AUTO_INCREMENT,
  kind            varchar(32)   NOT NULL,
  args            text          NOT NULL COMMENT 'JSON',
  state           enum('queued','running','succeeded','failed','cancelled') NOT NULL DEFAULT 'queued',
  attempts        int           NOT NULL DEFAULT 0,
  max_attempts    int           NOT NULL DEFAULT 3,
  vm_id           int(11)       NULL,
  actor_entity_id int(11)       NULL,
  actor           varchar(128)  NULL,
  upid            varchar(255)  NULL,
  result          text          NULL COMMENT 'JSON',
  error           varchar(1024) NULL,
  dedupe_key      varchar(191)  NULL COMMENT 'one active job per key: a double click does not start two',
  live_dedupe_key varchar(191)  AS (IF(state IN ('queued','running'), dedupe_key, NULL)) STORED,
  run_after       datetime(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  locked_by       varchar(64)   NULL,
  locked_until    datetime(3)   NULL,
  created_at      datetime(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  started_at      datetime(3)   NULL,
  finished_at     datetime(3)   NULL,
  PRIMARY KEY (id),
  UNIQUE KEY job_live_dedupe (live_dedupe_key),
  KEY job_runnable (state, run_after),
  KEY job_vm (vm_id, created_at),
  CONSTRAINT job_vm FOREIGN KEY (vm_id) REFERENCES vm (id) ON DELETE SET NULL
) ${OPTIONS}`,

  `CREATE TABLE audit_log (
  id              bigint        NOT NULL AUTO_INCREMENT,
  at              datetime(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  actor           varchar(128)  NULL,
  actor_entity_id int(11)       NULL COMMENT 'no foreign key: the record outlives the account',
  action          varchar(64)   NOT NULL,
  target          varchar(255)  NULL,
  source_address  varchar(64)   NULL,
  result          enum('success','failure','denied') NOT NULL,
  detail          varchar(1024) NULL,
  PRIMARY KEY (id),
  KEY audit_log_at (at),
  KEY audit_log_actor (actor_entity_id, at)
) ${OPTIONS}`,

  `CREATE TABLE http_session (
  session_id varchar(128) NOT NULL,
  expires    int unsigned NOT NULL,
  data       mediumtext,
  PRIMARY KEY (session_id),
  KEY http_session_expires (expires)
) ${OPTIONS}`,

  `CREATE TABLE dhcp_reservation (
  id            int(11)       NOT NULL AUTO_INCREMENT,
  cluster_id    int(11)       NOT NULL,
  vm_id         int(11)       NULL,
  mac           varchar(17)   NOT NULL COMMENT 'upper-case AA:BB:CC:DD:EE:FF',
  ipv4          int unsigned  NOT NULL,
  kea_subnet_id int unsigned  NOT NULL,
  hostname      varchar(255)  NULL,
  created_at    datetime(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  released_at   datetime(3)   NULL,
  live_mac      varchar(17)   AS (IF(released_at IS NULL, mac, NULL)) STORED,
  live_ipv4     int unsigned  AS (IF(released_at IS NULL, ipv4, NULL)) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY dhcp_reservation_live_mac (cluster_id, live_mac),
  UNIQUE KEY dhcp_reservation_live_ipv4 (kea_subnet_id, live_ipv4),
  KEY dhcp_reservation_vm (vm_id),
  CONSTRAINT dhcp_reservation_cluster FOREIGN KEY (cluster_id) REFERENCES pve_cluster (id),
  CONSTRAINT dhcp_reservation_vm FOREIGN KEY (vm_id) REFERENCES vm (id) ON DELETE SET NULL
) ${OPTIONS}`,

  `CREATE TABLE console_token_use (
  token_id   binary(16)  NOT NULL COMMENT 'the single-use id inside a console token; a second use is a replay',
  entity_id  int(11)     NOT NULL,
  used_at    datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at datetime(3) NOT NULL,
  PRIMARY KEY (token_id),
  KEY console_token_use_expires (expires_at)
) ${OPTIONS}`,
];

export class EarCandleSchema1763700000001 implements MigrationInterface {
  name = 'EarCandleSchema1763700000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createAll(queryRunner, CREATE, EARCANDLE_TABLES);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [...EARCANDLE_TABLES].reverse()) await queryRunner.query(`DROP TABLE ${table}`);
  }
}
