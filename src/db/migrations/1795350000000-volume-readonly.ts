import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `volumes.readonly`: the one admin-metadata key this API sets (os-update_readonly_flag). Cinder keeps it
 * as a `volume_admin_metadata` row; a nullable column holds the same three states (never set, True,
 * False) without a table and a join on every volume read. NULL means never set, so the volume views
 * show no `readonly` key, as Cinder's for a volume without that admin metadata.
 */
export class VolumeReadonly1795350000000 implements MigrationInterface {
  name = 'VolumeReadonly1795350000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('volumes', new TableColumn({ name: 'readonly', type: 'boolean', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('volumes', 'readonly');
  }
}
