import { Column, Entity, PrimaryColumn } from 'typeorm';

import { TimestampColumns } from './base-columns';

/**
 * Engine persistence: one atom of a flow run (TaskFlow `atomdetails`), child of a flow detail.
 * `meta`, `results`, `failure`, `revert_results` and `revert_failure` are JSON text.
 */
@Entity({ name: 'atomdetails' })
export class AtomDetailEntity extends TimestampColumns {
  @PrimaryColumn({ name: 'uuid', type: 'varchar', length: 128 })
  uuid!: string;

  @Column({ name: 'parent_uuid', type: 'varchar', length: 128 })
  parentUuid!: string;

  /** Insertion order within the parent (TaskFlow keeps details in the order they were added). */
  @Column({ name: 'position', type: 'integer', default: 0 })
  position!: number;

  @Column({ name: 'name', type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ name: 'atom_type', type: 'varchar', length: 255, nullable: true })
  atomType!: string | null;

  @Column({ name: 'state', type: 'varchar', length: 255, nullable: true })
  state!: string | null;

  @Column({ name: 'intention', type: 'varchar', length: 255, nullable: true })
  intention!: string | null;

  @Column({ name: 'version', type: 'varchar', length: 255, nullable: true })
  version!: string | null;

  @Column({ name: 'meta', type: 'text', nullable: true })
  meta!: string | null;

  @Column({ name: 'results', type: 'text', nullable: true })
  results!: string | null;

  @Column({ name: 'failure', type: 'text', nullable: true })
  failure!: string | null;

  @Column({ name: 'revert_results', type: 'text', nullable: true })
  revertResults!: string | null;

  @Column({ name: 'revert_failure', type: 'text', nullable: true })
  revertFailure!: string | null;
}
