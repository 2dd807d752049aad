import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A pending quota change (Cinder `reservations`). Commit, rollback and expiry delete the row, so a
 * row that exists is outstanding; `deleted` is kept for Cinder schema parity and stays false.
 */
@Entity({ name: 'reservations' })
export class ReservationEntity {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'uuid', type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ name: 'usage_id', type: 'integer' })
  usageId!: number;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId!: string;

  @Column({ name: 'resource', type: 'varchar', length: 255 })
  resource!: string;

  @Column({ name: 'delta', type: 'integer' })
  delta!: number;

  @Column({ name: 'expire', type: 'datetime', precision: 6 })
  expire!: Date;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'deleted', type: 'boolean', default: false })
  deleted!: boolean;
}
