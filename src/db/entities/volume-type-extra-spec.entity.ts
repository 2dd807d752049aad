import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One extra spec of a volume type (Cinder `volume_type_extra_specs`). */
@Entity({ name: 'volume_type_extra_specs' })
export class VolumeTypeExtraSpecEntity {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'volume_type_id', type: 'varchar', length: 36 })
  volumeTypeId!: string;

  @Column({ name: 'key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ name: 'value', type: 'varchar', length: 255, nullable: true })
  value!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6, nullable: true })
  updatedAt!: Date | null;

  @Column({ name: 'deleted_at', type: 'datetime', precision: 6, nullable: true })
  deletedAt!: Date | null;

  @Column({ name: 'deleted', type: 'boolean', default: false })
  deleted!: boolean;
}
