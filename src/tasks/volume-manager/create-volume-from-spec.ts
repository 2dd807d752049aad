import { Failure, Task, type RevertArgs } from '../../taskflow';
import type { VolumeDriver } from '../../volume/drivers/driver';
import type { VolumeRef } from './types';

export interface CreateVolumeFromSpecIn {
  volume_ref: VolumeRef;
}

/**
 * Creates the volume on the backend through the driver (Cinder's `CreateVolumeFromSpecTask`, raw
 * volumes only).
 *
 * Reversion strategy: delete what the driver created, so a volume rescheduled elsewhere leaves nothing
 * behind here (nothing to do when the create itself failed: the driver cleans up its own failure).
 */
export class CreateVolumeFromSpecTask extends Task<CreateVolumeFromSpecIn, { created: true }> {
  constructor(private readonly driver: VolumeDriver) {
    super('volume:create-manager.create-volume-from-spec', { requires: ['volume_ref'], provides: ['created'] });
  }

  async execute({ volume_ref }: CreateVolumeFromSpecIn): Promise<{ created: true }> {
    await this.driver.createVolume({ id: volume_ref.id, size: volume_ref.size });
    return { created: true };
  }

  override async revert({ args, result }: RevertArgs<CreateVolumeFromSpecIn, { created: true }>): Promise<void> {
    if (result instanceof Failure) return;
    await this.driver.deleteVolume({ id: args.volume_ref.id, size: args.volume_ref.size });
  }
}
