import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A project's hard limit for one resource (Cinder `quotas`); -1 is unlimited. Hard-deleted when reset. */
@Entity({ name: 'quotas' })
export class QuotaEntity {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId!: string;

  @Column({ name: 'resource', type: 'varchar', length: 255 })
  resource!: string;

  @Column({ name: 'hard_limit', type: 'integer' })
  hardLimit!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6, nullable: true })
  updatedAt!: Date | null;
}
