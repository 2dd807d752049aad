import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A volume type (Cinder `volume_types`). The migrations create `__DEFAULT__`. */
@Entity({ name: 'volume_types' })
export class VolumeTypeEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'name', type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'description', type: 'varchar', length: 255, nullable: true })
  description!: string | null;

  @Column({ name: 'is_public', type: 'boolean', default: true })
  isPublic!: boolean;

  @Column({ name: 'qos_specs_id', type: 'varchar', length: 36, nullable: true })
  qosSpecsId!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6, nullable: true })
  updatedAt!: Date | null;

  @Column({ name: 'deleted_at', type: 'datetime', precision: 6, nullable: true })
  deletedAt!: Date | null;

  @Column({ name: 'deleted', type: 'boolean', default: false })
  deleted!: boolean;
}
