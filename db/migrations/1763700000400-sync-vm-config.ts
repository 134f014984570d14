import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What sync remembers of a guest's config between runs, so a resync can skip reading configs that did not
 * change: whether the guest agent is configured, and PVE's config digest.
 */
export class SyncVmConfig1763700000400 implements MigrationInterface {
  name = 'SyncVmConfig1763700000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE vm
         ADD COLUMN agent boolean NOT NULL DEFAULT 0 COMMENT 'QEMU guest agent configured (config agent=1)' AFTER lock_state,
         ADD COLUMN config_digest varchar(40) NULL COMMENT 'PVE config digest when sync last read the config' AFTER agent`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE vm DROP COLUMN config_digest, DROP COLUMN agent');
  }
}
