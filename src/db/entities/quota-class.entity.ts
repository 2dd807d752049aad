import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { TimestampColumns } from './base-columns';

/** A quota class limit (Cinder `quota_classes`); class `default` holds the defaults every project starts with. */
@Entity({ name: 'quota_classes' })
export class QuotaClassEntity extends TimestampColumns {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'class_name', type: 'varchar', length: 255 })
  className!: string;

  @Column({ name: 'resource', type: 'varchar', length: 255 })
  resource!: string;

  @Column({ name: 'hard_limit', type: 'integer' })
  hardLimit!: number;
}
