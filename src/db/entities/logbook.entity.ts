import { Column, Entity, PrimaryColumn } from 'typeorm';

import { TimestampColumns } from './base-columns';

/** Engine persistence: a logbook (TaskFlow `logbooks`). `meta` is JSON text. */
@Entity({ name: 'logbooks' })
export class LogbookEntity extends TimestampColumns {
  @PrimaryColumn({ name: 'uuid', type: 'varchar', length: 128 })
  uuid!: string;

  @Column({ name: 'name', type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ name: 'meta', type: 'text', nullable: true })
  meta!: string | null;
}
