import { Column, Entity, PrimaryColumn } from 'typeorm';

import { SoftDeleteColumns } from './base-columns';

/** A server instance (Nova `instances`), keyed by a uuid v7. */
@Entity({ name: 'instances' })
export class InstanceEntity extends SoftDeleteColumns {
  @PrimaryColumn({ name: 'uuid', type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId!: string;

  @Column({ name: 'host', type: 'varchar', length: 255, nullable: true })
  host!: string | null;

  @Column({ name: 'node', type: 'varchar', length: 255, nullable: true })
  node!: string | null;

  @Column({ name: 'vm_state', type: 'varchar', length: 255, nullable: true })
  vmState!: string | null;

  @Column({ name: 'task_state', type: 'varchar', length: 255, nullable: true })
  taskState!: string | null;

  @Column({ name: 'power_state', type: 'integer', default: 0 })
  powerState!: number;

  @Column({ name: 'vcpus', type: 'integer' })
  vcpus!: number;

  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb!: number;

  @Column({ name: 'root_gb', type: 'integer' })
  rootGb!: number;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName!: string | null;

  @Column({ name: 'availability_zone', type: 'varchar', length: 255, nullable: true })
  availabilityZone!: string | null;
}
