import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SSH host keys of guests, trusted on first use: the first console session to a VM's SSH server records the
 * key it presented (and who accepted it); later sessions pass it to guacd as `host-key`, so a changed key
 * is refused. One key per VM and port; an administrator forgets it after a legitimate reinstall.
 */
export class SshHostKey1763700000700 implements MigrationInterface {
  name = 'SshHostKey1763700000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE ssh_host_key (
  id                     int(11)       NOT NULL AUTO_INCREMENT,
  vm_id                  int(11)       NOT NULL,
  hostname               varchar(253)  NOT NULL COMMENT 'the address the key was first seen at',
  port                   int(11)       NOT NULL,
  algorithm              varchar(64)   NOT NULL COMMENT 'e.g. ssh-ed25519',
  key_blob               text          NOT NULL COMMENT 'base64 of the public key blob (what guacd host-key takes)',
  fingerprint            varchar(100)  NOT NULL COMMENT 'SHA256:… as ssh-keygen -l prints it',
  first_seen             datetime(3)   NOT NULL,
  accepted_by            varchar(128)  NULL COMMENT 'user name of the first session (a copy)',
  accepted_by_entity_id  int(11)       NULL,
  PRIMARY KEY (id),
  UNIQUE KEY ssh_host_key_vm_port (vm_id, port),
  CONSTRAINT ssh_host_key_vm FOREIGN KEY (vm_id) REFERENCES vm (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE ssh_host_key');
  }
}
