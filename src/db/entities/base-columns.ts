import { Column } from 'typeorm';

/**
 * The columns every row of ours carries, as Cinder's and Nova's `TimestampMixin`: set by the code that
 * writes the row (not by database defaults), so the same value reaches SQLite and MariaDB.
 */
export abstract class TimestampColumns {
  @Column({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 6, nullable: true })
  updatedAt!: Date | null;
}

/**
 * Cinder's soft delete (`SoftDeleteMixin` with a boolean `deleted`): a deleted row stays, marked, so
 * audits and "show deleted" keep working.
 */
export abstract class SoftDeleteColumns extends TimestampColumns {
  @Column({ name: 'deleted_at', type: 'datetime', precision: 6, nullable: true })
  deletedAt!: Date | null;

  @Column({ name: 'deleted', type: 'boolean', default: false })
  deleted!: boolean;
}

/**
 * Nova's soft delete: `deleted` is 0 while the row lives and the row's id once deleted, so a unique
 * index over (…, deleted) allows one live row and any number of deleted ones.
 */
export abstract class SoftDeleteByIdColumns extends TimestampColumns {
  @Column({ name: 'deleted_at', type: 'datetime', precision: 6, nullable: true })
  deletedAt!: Date | null;

  @Column({ name: 'deleted', type: 'integer', default: 0 })
  deleted!: number;
}
