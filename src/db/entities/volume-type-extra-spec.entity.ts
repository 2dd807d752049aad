import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { SoftDeleteColumns } from './base-columns';

/** One extra spec of a volume type (Cinder `volume_type_extra_specs`). */
@Entity({ name: 'volume_type_extra_specs' })
export class VolumeTypeExtraSpecEntity extends SoftDeleteColumns {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'volume_type_id', type: 'varchar', length: 36 })
  volumeTypeId!: string;

  @Column({ name: 'key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ name: 'value', type: 'varchar', length: 255, nullable: true })
  value!: string | null;
}
