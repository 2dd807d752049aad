import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Cinder's `volumes.use_quota`: whether the volume's size and count are in the project's quota usage.
 * A volume whose create failed after its quota was committed (the cast to the scheduler failed) gets its
 * quota back at once and keeps its row in `error`; the flag, cleared when the quota goes back, is what
 * stops the later delete of that row from giving it back a second time. Every existing row counted.
 */
export class VolumeUseQuota1795330000000 implements MigrationInterface {
  name = 'VolumeUseQuota1795330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'volumes',
      new TableColumn({ name: 'use_quota', type: 'boolean', isNullable: false, default: 1 }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('volumes', 'use_quota');
  }
}
