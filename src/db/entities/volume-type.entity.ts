import { Column, Entity, PrimaryColumn } from 'typeorm';

import { SoftDeleteColumns } from './base-columns';

/** A volume type (Cinder `volume_types`). The migrations create `__DEFAULT__`. */
@Entity({ name: 'volume_types' })
export class VolumeTypeEntity extends SoftDeleteColumns {
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
}
