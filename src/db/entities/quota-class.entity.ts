import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A quota class limit (Cinder `quota_classes`); class `default` holds the defaults every project starts with. */
@Entity({ name: 'quota_classes' })
export class QuotaClassEntity {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'class_name', type: 'varchar', length: 255 })
  className!: string;

  @Column({ name: 'resource', type: 'varchar', length: 255 })
  resource!: string;

  @Column({ name: 'hard_limit', type: 'integer' })
  hardLimit!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6, nullable: true })
  updatedAt!: Date | null;
}
