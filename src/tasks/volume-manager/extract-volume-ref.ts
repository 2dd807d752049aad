import { Task } from '../../taskflow';
import { VolumeStateChangedError, type ManagerVolumeRows, type VolumeRef } from './types';

export interface ExtractVolumeRefIn {
  volume_id: string;
}

/**
 * Loads the volume row the create is for (Cinder's `ExtractVolumeRefTask`); it must still be `creating`.
 *
 * Reversion strategy: none; nothing was changed.
 */
export class ExtractVolumeRefTask extends Task<ExtractVolumeRefIn, VolumeRef, { volume_ref: VolumeRef }> {
  constructor(private readonly rows: ManagerVolumeRows) {
    super('volume:create-manager.extract-volume-ref', { requires: ['volume_id'], provides: 'volume_ref' });
  }

  async execute({ volume_id }: ExtractVolumeRefIn): Promise<VolumeRef> {
    const ref = await this.rows.get(volume_id);
    if (ref === null || ref.status !== 'creating')
      throw new VolumeStateChangedError(volume_id, 'creating', ref?.status ?? null);
    return ref;
  }
}
