import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Cinder's `volume_attachment.connection_info`: the JSON the volume service answered for the
 * attachment's connector (the attachments API, 3.27+, stores and shows it). LONGTEXT on MySQL, whose
 * TEXT stops at 64 KiB.
 */
export class VolumeAttachmentConnectionInfo1795380000000 implements MigrationInterface {
  name = 'VolumeAttachmentConnectionInfo1795380000000';

  async up(q: QueryRunner): Promise<void> {
    const type = q.connection.options.type;
    const jsonText = type === 'mysql' || type === 'mariadb' ? 'longtext' : 'text';
    await q.addColumn(
      'volume_attachment',
      new TableColumn({ name: 'connection_info', type: jsonText, isNullable: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('volume_attachment', 'connection_info');
  }
}
