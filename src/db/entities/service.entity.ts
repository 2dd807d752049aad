import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { SoftDeleteByIdColumns } from './base-columns';

/**
 * A running service record (Cinder/Nova `services`). `deleted` follows Nova: 0 while live, the row id
 * once soft-deleted, so UNIQUE(host, binary, deleted) allows one live row per host+binary on every database.
 */
@Entity({ name: 'services' })
export class ServiceEntity extends SoftDeleteByIdColumns {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'host', type: 'varchar', length: 255 })
  host!: string;

  @Column({ name: 'binary', type: 'varchar', length: 255 })
  binary!: string;

  @Column({ name: 'topic', type: 'varchar', length: 255 })
  topic!: string;

  @Column({ name: 'report_count', type: 'integer', default: 0 })
  reportCount!: number;

  @Column({ name: 'disabled', type: 'boolean', default: false })
  disabled!: boolean;

  @Column({ name: 'disabled_reason', type: 'varchar', length: 255, nullable: true })
  disabledReason!: string | null;

  @Column({ name: 'availability_zone', type: 'varchar', length: 255, default: 'nova' })
  availabilityZone!: string;

  @Column({ name: 'forced_down', type: 'boolean', default: false })
  forcedDown!: boolean;
}
