import { Failure, Task, type RevertArgs } from '../../taskflow';
import { reservePerType } from './quota-reserve';
import type {
  VolumeEntryStore,
  VolumeFlowContext,
  VolumeProperties,
  VolumeQuotas,
  VolumeTypeNamer,
} from './types';

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
 * Reversion strategy (DESIGN.md §3): if the commit happened, give the quota back: reserve −1 volume and
 * −size gigabytes (per type too) and commit that at once. The row stays (in `error`, OnFailure), so it is
 * first marked as no longer counting (`use_quota` cleared, Cinder's column): the delete of that row then
 * gives nothing back, and a delete that got there first leaves nothing for this revert to give back.
 */
export class QuotaCommitTask extends Task<QuotaCommitIn, QuotaCommitOut> {
  constructor(
    private readonly quotas: VolumeQuotas,
    private readonly store: Pick<VolumeEntryStore, 'releaseVolumeQuota' | 'restoreVolumeQuota'>,
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
    if (!(await this.store.releaseVolumeQuota(props.id))) return; // already given back (deleted meanwhile)
    const ctx = { projectId: args.context.project_id };
    try {
      const ids = await reservePerType(
        this.quotas,
        this.types,
        ctx.projectId,
        { volumes: -1, gigabytes: -props.size },
        props.volume_type_id,
      );
      await this.quotas.commit(ctx, ids);
    } catch (err) {
      // Not given back: the row counts again, so its delete gives the quota back instead.
      await this.store.restoreVolumeQuota(props.id);
      throw err;
    }
  }
}
