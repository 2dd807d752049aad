import { Column, Entity, PrimaryColumn } from 'typeorm';

import { SoftDeleteColumns } from './base-columns';

/** A volume snapshot (Cinder `snapshots`). */
@Entity({ name: 'snapshots' })
export class SnapshotEntity extends SoftDeleteColumns {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'volume_id', type: 'varchar', length: 36 })
  volumeId!: string;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId!: string;

  @Column({ name: 'status', type: 'varchar', length: 255 })
  status!: string;

  @Column({ name: 'progress', type: 'varchar', length: 255, nullable: true })
  progress!: string | null;

  /** Size in GiB of the volume when the snapshot was taken; counts towards `gigabytes`. */
  @Column({ name: 'volume_size', type: 'integer' })
  volumeSize!: number;

  @Column({ name: 'volume_type_id', type: 'varchar', length: 36, nullable: true })
  volumeTypeId!: string | null;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName!: string | null;

  @Column({ name: 'display_description', type: 'varchar', length: 255, nullable: true })
  displayDescription!: string | null;
}
