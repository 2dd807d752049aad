import { Task } from '../../taskflow';
import type { VolumeFlowContext, VolumeProperties, VolumeQuotas } from './types';

export interface QuotaCommitIn {
  context: VolumeFlowContext;
  reservations: string[];
  volume_properties: VolumeProperties;
}

export interface QuotaCommitOut {
  volume_properties: VolumeProperties;
}

/**
 * Commits the reservations (usage moves from `reserved` to `in_use`) and marks the context
 * `quota_committed = true`, which tells the reverts of QuotaReserve and EntryCreate to leave things be.
 *
 * Reversion strategy: none. Once committed, the row stays (OnFailure's revert marks it `error`, visible to
 * the user) and keeps its quota until it is deleted, like every other volume in `error` here (no valid
 * backend, a failed reschedule); the delete gives it back exactly once. Cinder gives it back here as
 * well, and its delete of the host-less row then gives it back a second time (Cinder only heals that when
 * `in_use` turns negative); counting every row present is also what the usage audit checks.
 */
export class QuotaCommitTask extends Task<QuotaCommitIn, QuotaCommitOut> {
  constructor(private readonly quotas: VolumeQuotas) {
    super('volume:create.quota-commit', {
      requires: ['context', 'reservations', 'volume_properties'],
      provides: ['volume_properties'],
    });
  }

  async execute({ context, reservations, volume_properties: props }: QuotaCommitIn): Promise<QuotaCommitOut> {
    await this.quotas.commit({ projectId: context.project_id }, reservations);
    context.quota_committed = true;
    return { volume_properties: props };
  }
}
