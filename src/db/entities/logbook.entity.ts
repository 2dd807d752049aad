import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Engine persistence: a logbook (TaskFlow `logbooks`). `meta` is JSON text. */
@Entity({ name: 'logbooks' })
export class LogbookEntity {
  @PrimaryColumn({ name: 'uuid', type: 'varchar', length: 128 })
  uuid!: string;

  @Column({ name: 'name', type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ name: 'meta', type: 'text', nullable: true })
  meta!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6, nullable: true })
  updatedAt!: Date | null;
}
