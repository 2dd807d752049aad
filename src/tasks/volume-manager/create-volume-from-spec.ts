import { Failure, Task, type RevertArgs } from '../../taskflow';
import type { VolumeDriver } from '../../volume/drivers/driver';
import { VolumeSourceUnavailableError, type ManagerVolumeRows, type VolumeRef } from './types';

export interface CreateVolumeFromSpecIn {
  volume_ref: VolumeRef;
}

/** Snapshot statuses a volume may be created from (Cinder's SNAPSHOT_PROCEED_STATUS). */
const SNAPSHOT_USABLE = ['available'];
/** Source volume statuses a clone may be made from (Cinder's SRC_VOL_PROCEED_STATUS). */
const SOURCE_USABLE = ['available', 'in-use'];

/**
 * Creates the volume on the backend through the driver (Cinder's `CreateVolumeFromSpecTask`): a raw
 * volume, a volume from the snapshot it names (`snapshot_id`) or a clone of its source volume
 * (`source_volid`). The snapshot or source must still be usable; when it is not, the create fails with
 * VolumeSourceUnavailableError (no reschedule can help).
 *
 * Reversion strategy: delete what the driver created, so a volume rescheduled elsewhere leaves nothing
 * behind here (nothing to do when the create itself failed: the driver cleans up its own failure).
 */
export class CreateVolumeFromSpecTask extends Task<CreateVolumeFromSpecIn, { created: true }> {
  constructor(
    private readonly driver: VolumeDriver,
    private readonly rows: Pick<ManagerVolumeRows, 'get' | 'getSnapshot'>,
  ) {
    super('volume:create-manager.create-volume-from-spec', {
      requires: ['volume_ref'],
      provides: ['created'],
    });
  }

  async execute({ volume_ref: v }: CreateVolumeFromSpecIn): Promise<{ created: true }> {
    const volume = { id: v.id, size: v.size };
    if (v.snapshotId !== null) {
      const snap = await this.rows.getSnapshot(v.snapshotId);
      if (snap === null || !SNAPSHOT_USABLE.includes(snap.status)) {
        throw new VolumeSourceUnavailableError(v.id, 'snapshot', v.snapshotId, snap?.status ?? null);
      }
      await this.driver.createVolumeFromSnapshot(volume, {
        id: snap.id,
        volumeId: snap.volumeId,
        volumeSize: snap.volumeSize,
      });
    } else if (v.sourceVolid !== null) {
      const src = await this.rows.get(v.sourceVolid);
      if (src === null || !SOURCE_USABLE.includes(src.status)) {
        throw new VolumeSourceUnavailableError(v.id, 'source volume', v.sourceVolid, src?.status ?? null);
      }
      await this.driver.createClonedVolume(volume, { id: src.id, size: src.size });
    } else {
      await this.driver.createVolume(volume);
    }
    return { created: true };
  }

  override async revert({
    args,
    result,
  }: RevertArgs<CreateVolumeFromSpecIn, { created: true }>): Promise<void> {
    if (result instanceof Failure) return;
    await this.driver.deleteVolume({ id: args.volume_ref.id, size: args.volume_ref.size });
  }
}
