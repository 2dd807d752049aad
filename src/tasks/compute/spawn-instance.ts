import type { FakeVirtDriver } from '../../compute/fake-driver';
import type { Instance } from '../../objects/instance';
import { Task, type RevertArgs } from '../../taskflow';

export interface SpawnInstanceIn {
  claimedNode: string;
}

/**
 * Creates the instance on the hypervisor through the virt driver.
 * Reversion strategy: destroy whatever the driver created (a no-op when the spawn failed before
 * creating anything).
 */
export class SpawnInstanceTask extends Task<SpawnInstanceIn, { spawned: true }> {
  constructor(
    private readonly instance: Instance,
    private readonly driver: FakeVirtDriver,
  ) {
    super('compute.spawn-instance', { requires: ['claimedNode'], provides: ['spawned'] });
  }

  async execute({ claimedNode }: SpawnInstanceIn): Promise<{ spawned: true }> {
    const i = this.instance;
    await this.driver.spawn({
      uuid: i.uuid,
      node: claimedNode,
      vcpus: i.vcpus,
      memoryMb: i.memoryMb,
      rootGb: i.rootGb,
    });
    return { spawned: true };
  }

  override async revert(_args: RevertArgs<SpawnInstanceIn, { spawned: true }>): Promise<void> {
    await this.driver.destroy(this.instance.uuid);
  }
}
