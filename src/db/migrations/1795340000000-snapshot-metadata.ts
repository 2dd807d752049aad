import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Cinder's `snapshot_metadata`: the `metadata` a snapshot is created with (POST /snapshots) and shows in
 * every snapshot view. Same shape as `volume_metadata`.
 */
export class SnapshotMetadata1795340000000 implements MigrationInterface {
  name = 'SnapshotMetadata1795340000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'snapshot_metadata',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'snapshot_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'key', type: 'varchar', length: '255', isNullable: false },
          { name: 'value', type: 'varchar', length: '255', isNullable: true },
          { name: 'created_at', type: 'datetime', precision: 6, isNullable: false },
          { name: 'updated_at', type: 'datetime', precision: 6, isNullable: true },
          { name: 'deleted_at', type: 'datetime', precision: 6, isNullable: true },
          { name: 'deleted', type: 'boolean', default: 0 },
        ],
        indices: [
          new TableIndex({
            name: 'ix_snapshot_metadata_snapshot_id_key',
            columnNames: ['snapshot_id', 'key'],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_snapshot_metadata_snapshot_id',
            columnNames: ['snapshot_id'],
            referencedTableName: 'snapshots',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('snapshot_metadata', true, true, true);
  }
}
