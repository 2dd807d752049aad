import { Column, Entity, PrimaryColumn } from 'typeorm';

import { TimestampColumns } from './base-columns';

/** Engine persistence: one flow run (TaskFlow `flowdetails`), child of a logbook. `meta` is JSON text. */
@Entity({ name: 'flowdetails' })
export class FlowDetailEntity extends TimestampColumns {
  @PrimaryColumn({ name: 'uuid', type: 'varchar', length: 128 })
  uuid!: string;

  @Column({ name: 'parent_uuid', type: 'varchar', length: 128 })
  parentUuid!: string;

  /** Insertion order within the parent (TaskFlow keeps details in the order they were added). */
  @Column({ name: 'position', type: 'integer', default: 0 })
  position!: number;

  @Column({ name: 'name', type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ name: 'meta', type: 'text', nullable: true })
  meta!: string | null;

  @Column({ name: 'state', type: 'varchar', length: 255, nullable: true })
  state!: string | null;
}
