import { Task } from '../../taskflow';
import { VolumeStateChangedError, type ManagerVolumeRows, type VolumeRef } from './types';

export interface CreateVolumeOnFinishIn {
  volume_ref: VolumeRef;
  host: string;
}

/**
 * Marks the volume `available` on this backend (Cinder's `CreateVolumeOnFinishTask`): a conditional
 * update from `creating`. When another run of the same create already finished it here, that counts.
 *
 * Reversion strategy: none; it is the last step.
 */
export class CreateVolumeOnFinishTask extends Task<CreateVolumeOnFinishIn, { volume_status: string }> {
  constructor(private readonly rows: ManagerVolumeRows) {
    super('volume:create-manager.on-finish', {
      requires: ['volume_ref', 'host'],
      provides: ['volume_status'],
    });
  }

  async execute({ volume_ref, host }: CreateVolumeOnFinishIn): Promise<{ volume_status: string }> {
    if (await this.rows.transition(volume_ref.id, ['creating'], 'available', { host }))
      return { volume_status: 'available' };
    const now = await this.rows.get(volume_ref.id);
    if (now?.status === 'available' && now.host === host) return { volume_status: 'available' };
    throw new VolumeStateChangedError(volume_ref.id, 'creating', now?.status ?? null);
  }
}
