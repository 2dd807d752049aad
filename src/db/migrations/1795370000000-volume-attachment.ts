import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Cinder's `volume_attachment`: one row per attachment of a volume (the legacy os-reserve / os-attach /
 * os-detach flow writes them). `connector` is the JSON the host sent with os-initialize_connection
 * (LONGTEXT on MySQL, whose TEXT stops at 64 KiB).
 */
export class VolumeAttachment1795370000000 implements MigrationInterface {
  name = 'VolumeAttachment1795370000000';

  async up(q: QueryRunner): Promise<void> {
    const type = q.connection.options.type;
    const jsonText = type === 'mysql' || type === 'mariadb' ? 'longtext' : 'text';
    await q.createTable(
      new Table({
        name: 'volume_attachment',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'volume_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'instance_uuid', type: 'varchar', length: '36', isNullable: true },
          { name: 'attached_host', type: 'varchar', length: '255', isNullable: true },
          { name: 'mountpoint', type: 'varchar', length: '255', isNullable: true },
          { name: 'attach_time', type: 'datetime', precision: 6, isNullable: true },
          { name: 'detach_time', type: 'datetime', precision: 6, isNullable: true },
          { name: 'attach_mode', type: 'varchar', length: '36', isNullable: true },
          { name: 'attach_status', type: 'varchar', length: '255', isNullable: true },
          { name: 'connector', type: jsonText, isNullable: true },
          { name: 'created_at', type: 'datetime', precision: 6, isNullable: false },
          { name: 'updated_at', type: 'datetime', precision: 6, isNullable: true },
          { name: 'deleted_at', type: 'datetime', precision: 6, isNullable: true },
          { name: 'deleted', type: 'boolean', default: 0 },
        ],
        indices: [new TableIndex({ name: 'ix_volume_attachment_volume_id', columnNames: ['volume_id'] })],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_volume_attachment_volume_id',
            columnNames: ['volume_id'],
            referencedTableName: 'volumes',
            referencedColumnNames: ['id'],
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('volume_attachment', true, true, true);
  }
}
