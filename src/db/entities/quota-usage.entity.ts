import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { TimestampColumns } from './base-columns';

/**
 * Usage of one resource by one project (Cinder `quota_usages`). Unique on (project_id, resource);
 * rows are created on first use and never deleted by the quota engine.
 */
@Entity({ name: 'quota_usages' })
export class QuotaUsageEntity extends TimestampColumns {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId!: string;

  @Column({ name: 'resource', type: 'varchar', length: 255 })
  resource!: string;

  @Column({ name: 'in_use', type: 'integer', default: 0 })
  inUse!: number;

  @Column({ name: 'reserved', type: 'integer', default: 0 })
  reserved!: number;
}
