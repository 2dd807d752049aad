import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { SoftDeleteColumns } from './base-columns';

/** One key/value of a volume's user metadata (Cinder `volume_metadata`). */
@Entity({ name: 'volume_metadata' })
export class VolumeMetadataEntity extends SoftDeleteColumns {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'volume_id', type: 'varchar', length: 36 })
  volumeId!: string;

  @Column({ name: 'key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ name: 'value', type: 'varchar', length: 255, nullable: true })
  value!: string | null;
}
