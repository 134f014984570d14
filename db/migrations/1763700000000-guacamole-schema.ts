import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createAll } from './create-all.js';

/**
 * The Apache Guacamole 1.5.x MySQL schema (guacamole-auth-jdbc-mysql 001-create-schema.sql), table for table,
 * with Guacamole's own key and constraint names, so the stock Guacamole web app can run on the same database.
 * Written from shared/reference/guacamole-schema.md; test/integration/db/guacamole-schema.test.ts checks it.
 */
const PERMISSION = "enum('READ','UPDATE','DELETE','ADMINISTER')";
const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8';

function attributeTable(owner: string, ownerId: string): string {
  return `CREATE TABLE \`guacamole_${owner}_attribute\` (
  \`${ownerId}\`       int(11)       NOT NULL,
  \`attribute_name\`  varchar(128)  NOT NULL,
  \`attribute_value\` varchar(4096) NOT NULL,
  PRIMARY KEY (\`${ownerId}\`, \`attribute_name\`),
  KEY \`${ownerId}\` (\`${ownerId}\`),
  CONSTRAINT \`guacamole_${owner}_attribute_ibfk_1\`
    FOREIGN KEY (\`${ownerId}\`) REFERENCES \`guacamole_${owner}\` (\`${ownerId}\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`;
}

function permissionTable(table: string, target: string, targetTable: string, targetPk: string, targetFk: string): string {
  return `CREATE TABLE \`${table}\` (
  \`entity_id\`  int(11) NOT NULL,
  \`${target}\`  int(11) NOT NULL,
  \`permission\` ${PERMISSION} NOT NULL,
  PRIMARY KEY (\`entity_id\`, \`${target}\`, \`permission\`),
  CONSTRAINT \`${targetFk}\`
    FOREIGN KEY (\`${target}\`) REFERENCES \`${targetTable}\` (\`${targetPk}\`) ON DELETE CASCADE,
  CONSTRAINT \`${table}_entity\`
    FOREIGN KEY (\`entity_id\`) REFERENCES \`guacamole_entity\` (\`entity_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`;
}

export const GUACAMOLE_TABLES = [
  'guacamole_connection_group',
  'guacamole_connection',
  'guacamole_entity',
  'guacamole_user',
  'guacamole_user_group',
  'guacamole_user_group_member',
  'guacamole_sharing_profile',
  'guacamole_connection_parameter',
  'guacamole_sharing_profile_parameter',
  'guacamole_user_attribute',
  'guacamole_user_group_attribute',
  'guacamole_connection_attribute',
  'guacamole_connection_group_attribute',
  'guacamole_sharing_profile_attribute',
  'guacamole_connection_permission',
  'guacamole_connection_group_permission',
  'guacamole_sharing_profile_permission',
  'guacamole_system_permission',
  'guacamole_user_permission',
  'guacamole_user_group_permission',
  'guacamole_connection_history',
  'guacamole_user_history',
  'guacamole_user_password_history',
] as const;

const CREATE = [
  `CREATE TABLE \`guacamole_connection_group\` (
  \`connection_group_id\`      int(11)      NOT NULL AUTO_INCREMENT,
  \`parent_id\`                int(11),
  \`connection_group_name\`    varchar(128) NOT NULL,
  \`type\`                     enum('ORGANIZATIONAL','BALANCING') NOT NULL DEFAULT 'ORGANIZATIONAL',
  \`max_connections\`          int(11),
  \`max_connections_per_user\` int(11),
  \`enable_session_affinity\`  boolean NOT NULL DEFAULT 0,
  PRIMARY KEY (\`connection_group_id\`),
  UNIQUE KEY \`connection_group_name_parent\` (\`connection_group_name\`, \`parent_id\`),
  CONSTRAINT \`guacamole_connection_group_ibfk_1\`
    FOREIGN KEY (\`parent_id\`) REFERENCES \`guacamole_connection_group\` (\`connection_group_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_connection\` (
  \`connection_id\`            int(11)      NOT NULL AUTO_INCREMENT,
  \`connection_name\`          varchar(128) NOT NULL,
  \`parent_id\`                int(11),
  \`protocol\`                 varchar(32)  NOT NULL,
  \`proxy_port\`               integer,
  \`proxy_hostname\`           varchar(512),
  \`proxy_encryption_method\`  enum('NONE','SSL'),
  \`max_connections\`          int(11),
  \`max_connections_per_user\` int(11),
  \`connection_weight\`        int(11),
  \`failover_only\`            boolean NOT NULL DEFAULT 0,
  PRIMARY KEY (\`connection_id\`),
  UNIQUE KEY \`connection_name_parent\` (\`connection_name\`, \`parent_id\`),
  CONSTRAINT \`guacamole_connection_ibfk_1\`
    FOREIGN KEY (\`parent_id\`) REFERENCES \`guacamole_connection_group\` (\`connection_group_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_entity\` (
  \`entity_id\` int(11)      NOT NULL AUTO_INCREMENT,
  \`name\`      varchar(128) NOT NULL,
  \`type\`      enum('USER','USER_GROUP') NOT NULL,
  PRIMARY KEY (\`entity_id\`),
  UNIQUE KEY \`guacamole_entity_name_scope\` (\`type\`, \`name\`)
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_user\` (
  \`user_id\`             int(11)      NOT NULL AUTO_INCREMENT,
  \`entity_id\`           int(11)      NOT NULL,
  \`password_hash\`       binary(32)   NOT NULL,
  \`password_salt\`       binary(32),
  \`password_date\`       datetime     NOT NULL,
  \`disabled\`            boolean      NOT NULL DEFAULT 0,
  \`expired\`             boolean      NOT NULL DEFAULT 0,
  \`access_window_start\` TIME,
  \`access_window_end\`   TIME,
  \`valid_from\`          DATE,
  \`valid_until\`         DATE,
  \`timezone\`            VARCHAR(64),
  \`full_name\`           VARCHAR(256),
  \`email_address\`       VARCHAR(256),
  \`organization\`        VARCHAR(256),
  \`organizational_role\` VARCHAR(256),
  PRIMARY KEY (\`user_id\`),
  UNIQUE KEY \`guacamole_user_single_entity\` (\`entity_id\`),
  CONSTRAINT \`guacamole_user_entity\`
    FOREIGN KEY (\`entity_id\`) REFERENCES \`guacamole_entity\` (\`entity_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_user_group\` (
  \`user_group_id\` int(11) NOT NULL AUTO_INCREMENT,
  \`entity_id\`     int(11) NOT NULL,
  \`disabled\`      boolean NOT NULL DEFAULT 0,
  PRIMARY KEY (\`user_group_id\`),
  UNIQUE KEY \`guacamole_user_group_single_entity\` (\`entity_id\`),
  CONSTRAINT \`guacamole_user_group_entity\`
    FOREIGN KEY (\`entity_id\`) REFERENCES \`guacamole_entity\` (\`entity_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_user_group_member\` (
  \`user_group_id\`    int(11) NOT NULL,
  \`member_entity_id\` int(11) NOT NULL,
  PRIMARY KEY (\`user_group_id\`, \`member_entity_id\`),
  CONSTRAINT \`guacamole_user_group_member_parent_id\`
    FOREIGN KEY (\`user_group_id\`) REFERENCES \`guacamole_user_group\` (\`user_group_id\`) ON DELETE CASCADE,
  CONSTRAINT \`guacamole_user_group_member_entity_id\`
    FOREIGN KEY (\`member_entity_id\`) REFERENCES \`guacamole_entity\` (\`entity_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_sharing_profile\` (
  \`sharing_profile_id\`    int(11)      NOT NULL AUTO_INCREMENT,
  \`sharing_profile_name\`  varchar(128) NOT NULL,
  \`primary_connection_id\` int(11)      NOT NULL,
  PRIMARY KEY (\`sharing_profile_id\`),
  UNIQUE KEY \`sharing_profile_name_primary\` (\`sharing_profile_name\`, \`primary_connection_id\`),
  CONSTRAINT \`guacamole_sharing_profile_ibfk_1\`
    FOREIGN KEY (\`primary_connection_id\`) REFERENCES \`guacamole_connection\` (\`connection_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_connection_parameter\` (
  \`connection_id\`   int(11)       NOT NULL,
  \`parameter_name\`  varchar(128)  NOT NULL,
  \`parameter_value\` varchar(4096) NOT NULL,
  PRIMARY KEY (\`connection_id\`, \`parameter_name\`),
  CONSTRAINT \`guacamole_connection_parameter_ibfk_1\`
    FOREIGN KEY (\`connection_id\`) REFERENCES \`guacamole_connection\` (\`connection_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_sharing_profile_parameter\` (
  \`sharing_profile_id\` integer       NOT NULL,
  \`parameter_name\`     varchar(128)  NOT NULL,
  \`parameter_value\`    varchar(4096) NOT NULL,
  PRIMARY KEY (\`sharing_profile_id\`, \`parameter_name\`),
  CONSTRAINT \`guacamole_sharing_profile_parameter_ibfk_1\`
    FOREIGN KEY (\`sharing_profile_id\`) REFERENCES \`guacamole_sharing_profile\` (\`sharing_profile_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  attributeTable('user', 'user_id'),
  attributeTable('user_group', 'user_group_id'),
  attributeTable('connection', 'connection_id'),
  attributeTable('connection_group', 'connection_group_id'),
  attributeTable('sharing_profile', 'sharing_profile_id'),

  permissionTable('guacamole_connection_permission', 'connection_id', 'guacamole_connection', 'connection_id',
    'guacamole_connection_permission_ibfk_1'),
  permissionTable('guacamole_connection_group_permission', 'connection_group_id', 'guacamole_connection_group',
    'connection_group_id', 'guacamole_connection_group_permission_ibfk_1'),
  permissionTable('guacamole_sharing_profile_permission', 'sharing_profile_id', 'guacamole_sharing_profile',
    'sharing_profile_id', 'guacamole_sharing_profile_permission_ibfk_1'),

  `CREATE TABLE \`guacamole_system_permission\` (
  \`entity_id\`  int(11) NOT NULL,
  \`permission\` enum('CREATE_CONNECTION','CREATE_CONNECTION_GROUP','CREATE_SHARING_PROFILE',
                      'CREATE_USER','CREATE_USER_GROUP','ADMINISTER') NOT NULL,
  PRIMARY KEY (\`entity_id\`, \`permission\`),
  CONSTRAINT \`guacamole_system_permission_entity\`
    FOREIGN KEY (\`entity_id\`) REFERENCES \`guacamole_entity\` (\`entity_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,

  permissionTable('guacamole_user_permission', 'affected_user_id', 'guacamole_user', 'user_id',
    'guacamole_user_permission_ibfk_1'),
  permissionTable('guacamole_user_group_permission', 'affected_user_group_id', 'guacamole_user_group', 'user_group_id',
    'guacamole_user_group_permission_affected_user_group'),

  `CREATE TABLE \`guacamole_connection_history\` (
  \`history_id\`           int(11)      NOT NULL AUTO_INCREMENT,
  \`user_id\`              int(11)      DEFAULT NULL,
  \`username\`             varchar(128) NOT NULL,
  \`remote_host\`          varchar(256) DEFAULT NULL,
  \`connection_id\`        int(11)      DEFAULT NULL,
  \`connection_name\`      varchar(128) NOT NULL,
  \`sharing_profile_id\`   int(11)      DEFAULT NULL,
  \`sharing_profile_name\` varchar(128) DEFAULT NULL,
  \`start_date\`           datetime     NOT NULL,
  \`end_date\`             datetime     DEFAULT NULL,
  PRIMARY KEY (\`history_id\`),
  KEY \`user_id\` (\`user_id\`),
  KEY \`connection_id\` (\`connection_id\`),
  KEY \`sharing_profile_id\` (\`sharing_profile_id\`),
  KEY \`start_date\` (\`start_date\`),
  KEY \`end_date\` (\`end_date\`),
  KEY \`connection_start_date\` (\`connection_id\`, \`start_date\`),
  CONSTRAINT \`guacamole_connection_history_ibfk_1\`
    FOREIGN KEY (\`user_id\`) REFERENCES \`guacamole_user\` (\`user_id\`) ON DELETE SET NULL,
  CONSTRAINT \`guacamole_connection_history_ibfk_2\`
    FOREIGN KEY (\`connection_id\`) REFERENCES \`guacamole_connection\` (\`connection_id\`) ON DELETE SET NULL,
  CONSTRAINT \`guacamole_connection_history_ibfk_3\`
    FOREIGN KEY (\`sharing_profile_id\`) REFERENCES \`guacamole_sharing_profile\` (\`sharing_profile_id\`) ON DELETE SET NULL
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_user_history\` (
  \`history_id\`  int(11)      NOT NULL AUTO_INCREMENT,
  \`user_id\`     int(11)      DEFAULT NULL,
  \`username\`    varchar(128) NOT NULL,
  \`remote_host\` varchar(256) DEFAULT NULL,
  \`start_date\`  datetime     NOT NULL,
  \`end_date\`    datetime     DEFAULT NULL,
  PRIMARY KEY (\`history_id\`),
  KEY \`user_id\` (\`user_id\`),
  KEY \`start_date\` (\`start_date\`),
  KEY \`end_date\` (\`end_date\`),
  KEY \`user_start_date\` (\`user_id\`, \`start_date\`),
  CONSTRAINT \`guacamole_user_history_ibfk_1\`
    FOREIGN KEY (\`user_id\`) REFERENCES \`guacamole_user\` (\`user_id\`) ON DELETE SET NULL
) ${TABLE_OPTIONS}`,

  `CREATE TABLE \`guacamole_user_password_history\` (
  \`password_history_id\` int(11)    NOT NULL AUTO_INCREMENT,
  \`user_id\`             int(11)    NOT NULL,
  \`password_hash\`       binary(32) NOT NULL,
  \`password_salt\`       binary(32),
  \`password_date\`       datetime   NOT NULL,
  PRIMARY KEY (\`password_history_id\`),
  KEY \`user_id\` (\`user_id\`),
  CONSTRAINT \`guacamole_user_password_history_ibfk_1\`
    FOREIGN KEY (\`user_id\`) REFERENCES \`guacamole_user\` (\`user_id\`) ON DELETE CASCADE
) ${TABLE_OPTIONS}`,
];

export class GuacamoleSchema1763700000000 implements MigrationInterface {
  name = 'GuacamoleSchema1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createAll(queryRunner, CREATE, GUACAMOLE_TABLES);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [...GUACAMOLE_TABLES].reverse()) await queryRunner.query(`DROP TABLE \`${table}\``);
  }
}
