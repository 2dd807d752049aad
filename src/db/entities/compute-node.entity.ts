import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { SoftDeleteByIdColumns } from './base-columns';

/**
 * A hypervisor node's resources (Nova `compute_nodes`). `deleted` is 0 while live and the row id
 * once soft-deleted: UNIQUE(host, hypervisor_hostname, deleted).
 */
@Entity({ name: 'compute_nodes' })
export class ComputeNodeEntity extends SoftDeleteByIdColumns {
  @PrimaryGeneratedColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'uuid', type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ name: 'host', type: 'varchar', length: 255 })
  host!: string;

  @Column({ name: 'hypervisor_hostname', type: 'varchar', length: 255 })
  hypervisorHostname!: string;

  @Column({ name: 'vcpus', type: 'integer' })
  vcpus!: number;

  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb!: number;

  @Column({ name: 'local_gb', type: 'integer' })
  localGb!: number;

  @Column({ name: 'vcpus_used', type: 'integer', default: 0 })
  vcpusUsed!: number;

  @Column({ name: 'memory_mb_used', type: 'integer', default: 0 })
  memoryMbUsed!: number;

  @Column({ name: 'local_gb_used', type: 'integer', default: 0 })
  localGbUsed!: number;

  @Column({ name: 'free_ram_mb', type: 'integer', default: 0 })
  freeRamMb!: number;

  @Column({ name: 'free_disk_gb', type: 'integer', default: 0 })
  freeDiskGb!: number;

  @Column({ name: 'running_vms', type: 'integer', default: 0 })
  runningVms!: number;
}
