import { Column, Entity, PrimaryColumn } from 'typeorm';

import { SoftDeleteColumns } from './base-columns';

/** A block-storage volume (Cinder `volumes`). `id` is a time-ordered uuid v7. */
@Entity({ name: 'volumes' })
export class VolumeEntity extends SoftDeleteColumns {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId!: string;

  /** Size in GiB. */
  @Column({ name: 'size', type: 'integer' })
  size!: number;

  @Column({ name: 'status', type: 'varchar', length: 255 })
  status!: string;

  @Column({ name: 'attach_status', type: 'varchar', length: 255, default: 'detached' })
  attachStatus!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName!: string | null;

  @Column({ name: 'display_description', type: 'varchar', length: 255, nullable: true })
  displayDescription!: string | null;

  @Column({ name: 'availability_zone', type: 'varchar', length: 255, nullable: true })
  availabilityZone!: string | null;

  @Column({ name: 'volume_type_id', type: 'varchar', length: 36, nullable: true })
  volumeTypeId!: string | null;

  @Column({ name: 'snapshot_id', type: 'varchar', length: 36, nullable: true })
  snapshotId!: string | null;

  @Column({ name: 'source_volid', type: 'varchar', length: 36, nullable: true })
  sourceVolid!: string | null;

  /** Backend host, `host@backend#pool` as Cinder writes it. */
  @Column({ name: 'host', type: 'varchar', length: 255, nullable: true })
  host!: string | null;

  @Column({ name: 'bootable', type: 'boolean', default: false })
  bootable!: boolean;

  @Column({ name: 'encryption_key_id', type: 'varchar', length: 36, nullable: true })
  encryptionKeyId!: string | null;

  @Column({ name: 'multiattach', type: 'boolean', default: false })
  multiattach!: boolean;

  @Column({ name: 'migration_status', type: 'varchar', length: 255, nullable: true })
  migrationStatus!: string | null;

  /**
   * Cinder's `use_quota`: the volume counts in its project's quota usage. Cleared when a failed create
   * gives its quota back (the row stays in `error`), so its delete does not give it back again.
   */
  @Column({ name: 'use_quota', type: 'boolean', default: true })
  useQuota!: boolean;
}
