import { Column, Entity, PrimaryColumn } from 'typeorm';

import { SoftDeleteColumns } from './base-columns';

/**
 * One attachment of a volume (Cinder `volume_attachment`), written by the legacy attach flow: `attaching`
 * when os-attach begins, `attached` once done, `detached` (and soft-deleted) by os-detach.
 */
@Entity({ name: 'volume_attachment' })
export class VolumeAttachmentEntity extends SoftDeleteColumns {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'volume_id', type: 'varchar', length: 36 })
  volumeId!: string;

  @Column({ name: 'instance_uuid', type: 'varchar', length: 36, nullable: true })
  instanceUuid!: string | null;

  @Column({ name: 'attached_host', type: 'varchar', length: 255, nullable: true })
  attachedHost!: string | null;

  @Column({ name: 'mountpoint', type: 'varchar', length: 255, nullable: true })
  mountpoint!: string | null;

  @Column({ name: 'attach_time', type: 'datetime', precision: 6, nullable: true })
  attachTime!: Date | null;

  @Column({ name: 'detach_time', type: 'datetime', precision: 6, nullable: true })
  detachTime!: Date | null;

  /** `rw` or `ro`. */
  @Column({ name: 'attach_mode', type: 'varchar', length: 36, nullable: true })
  attachMode!: string | null;

  @Column({ name: 'attach_status', type: 'varchar', length: 255, nullable: true })
  attachStatus!: string | null;

  /** The connector JSON of os-initialize_connection. */
  @Column({ name: 'connector', type: 'text', nullable: true })
  connector!: string | null;

  /** The connection info the volume service answered for the connector (attachments API). */
  @Column({ name: 'connection_info', type: 'text', nullable: true })
  connectionInfo!: string | null;
}
