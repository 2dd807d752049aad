import { Task, type RevertArgs } from '../../taskflow';
import { OverQuotaError, volumeTypeDeltas, type ReserveOptions } from '../../quota';
import {
  SnapshotLimitExceededError,
  VolumeLimitExceededError,
  VolumeSizeExceedsAvailableQuotaError,
  VolumeSizeExceedsLimitError,
} from './errors';
import type { VolumeFlowContext, VolumeQuotas, VolumeTypeNamer } from './types';

export interface QuotaReserveIn {
  context: VolumeFlowContext;
  size: number;
  volume_type_id: string;
}

export interface QuotaReserveOut {
  reservations: string[];
}

/**
 * Reserves quota for one volume: `volumes` +1 and `gigabytes` +size, and the same on the type's
 * `volumes_<type>` / `gigabytes_<type>`, after checking `per_volume_gigabytes` (the reserve reads that
 * limit together with the others). An over-quota outcome
 * becomes Cinder's VolumeSizeExceedsAvailableQuota (gigabytes) or VolumeLimitExceeded (volumes).
 *
 * Reversion strategy: if it reserved something and the quota is not yet committed
 * (`context.quota_committed`), roll the reservations back.
 */
export class QuotaReserveTask extends Task<QuotaReserveIn, QuotaReserveOut> {
  constructor(
    private readonly quotas: VolumeQuotas,
    private readonly types?: VolumeTypeNamer,
  ) {
    super('volume:create.quota-reserve', {
      requires: ['context', 'size', 'volume_type_id'],
      provides: ['reservations'],
    });
  }

  async execute({ context, size, volume_type_id: volumeTypeId }: QuotaReserveIn): Promise<QuotaReserveOut> {
    const projectId = context.project_id;
    try {
      // per_volume_gigabytes is checked first, by the reserve itself (it reads that limit with the others).
      const reservations = await reservePerType(
        this.quotas,
        this.types,
        projectId,
        { volumes: 1, gigabytes: size },
        volumeTypeId,
        {
          perVolumeGigabytes: size,
        },
      );
      return { reservations };
    } catch (err) {
      throw translateOverQuota(err, size);
    }
  }

  override async revert({ args, outcome }: RevertArgs<QuotaReserveIn, QuotaReserveOut>): Promise<void> {
    if (outcome.status !== 'success') return; // nothing was reserved
    if (args.context.quota_committed) return; // committed: QuotaCommit's revert gives it back
    await this.quotas.rollback({ projectId: args.context.project_id }, outcome.value.reservations);
  }
}

/**
 * Cinder's `_check_quota` wording of an OverQuota for `volumes`/`gigabytes`/`snapshots` deltas (first over resource,
 * sorted, as Cinder iterates them). Other errors pass through.
 */
export function translateOverQuota(err: unknown, size: number): unknown {
  if (!(err instanceof OverQuotaError)) return err;
  for (const over of err.overs) {
    const limit = err.quotas[over] ?? -1;
    if (over === 'per_volume_gigabytes') return new VolumeSizeExceedsLimitError(size, limit);
    if (over.includes('gigabytes')) {
      const usage = err.usages[over];
      const consumed = usage === undefined ? 0 : usage.inUse + usage.reserved;
      return new VolumeSizeExceedsAvailableQuotaError(over, size, limit, consumed, { cause: err });
    }
    if (over.includes('volumes')) return new VolumeLimitExceededError(limit, over, { cause: err });
    if (over.includes('snapshots')) return new SnapshotLimitExceededError(limit);
  }
  return err;
}

/**
 * Reserves `deltas` and their per-type mirrors (`volumes_<type>`…): with the type's name from `types` when
 * it knows it (saving the quota engine a lookup), else through the engine's `volumeTypeId` option.
 */
export async function reservePerType(
  quotas: VolumeQuotas,
  types: VolumeTypeNamer | undefined,
  projectId: string,
  deltas: Readonly<Record<string, number>>,
  volumeTypeId: string | null,
  opts: Pick<ReserveOptions, 'perVolumeGigabytes'> = {},
): Promise<string[]> {
  if (volumeTypeId === null) return quotas.reserve({ projectId }, deltas, opts);
  const name = types === undefined ? null : await types.typeName(volumeTypeId);
  if (name === null) return quotas.reserve({ projectId }, deltas, { ...opts, volumeTypeId });
  return quotas.reserve({ projectId }, volumeTypeDeltas(name, deltas), opts);
}
