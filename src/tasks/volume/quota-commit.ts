import { Failure, Task, type RevertArgs } from '../../taskflow';
import { reservePerType } from './quota-reserve';
import type { VolumeFlowContext, VolumeProperties, VolumeQuotas, VolumeTypeNamer } from './types';

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
 * Reversion strategy: if the commit happened, give the quota back: reserve −1 volume and −size gigabytes
 * (per type too) and commit that at once.
 */
export class QuotaCommitTask extends Task<QuotaCommitIn, QuotaCommitOut> {
  constructor(
    private readonly quotas: VolumeQuotas,
    private readonly types?: VolumeTypeNamer,
  ) {
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

  override async revert({ args, result }: RevertArgs<QuotaCommitIn, QuotaCommitOut>): Promise<void> {
    if (result instanceof Failure) return; // the commit did not happen; QuotaReserve rolls back
    const props = result.volume_properties;
    const ctx = { projectId: args.context.project_id };
    const ids = await reservePerType(this.quotas, this.types, ctx.projectId, { volumes: -1, gigabytes: -props.size }, props.volume_type_id);
    await this.quotas.commit(ctx, ids);
  }
}
