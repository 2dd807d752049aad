import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { TimestampColumns } from './base-columns';

/** A project's hard limit for one resource (Cinder `quotas`); -1 is unlimited. Hard-deleted when reset. */
@Entity({ name: 'quotas' })
export class QuotaEntity extends TimestampColumns {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId!: string;

  @Column({ name: 'resource', type: 'varchar', length: 255 })
  resource!: string;

  @Column({ name: 'hard_limit', type: 'integer' })
  hardLimit!: number;
}
