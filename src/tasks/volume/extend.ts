import { Task, type RevertArgs } from '../../taskflow';
import { translateOverQuota } from './quota-reserve';
import { rpcContextOf } from './cast';
import type { VolumeFlowContext, VolumeQuotas } from './types';
import type { VolumeRpcContext } from './cast';

/** The volume being extended, as the extend flow stores it. */
export interface ExtendTarget {
  readonly id: string;
  readonly size: number;
  readonly host: string;
  readonly volume_type_id: string | null;
}

/** Sets a volume's status only when it currently has one of the given statuses. */
export interface VolumeStatusSwitch {
  /** @returns whether the row changed. */
  conditionalStatus(volumeId: string, fromStatuses: readonly string[], status: string): Promise<boolean>;
}

/** The volume service's extend cast, as the extend flow sees it. */
export interface VolumeExtendCaster {
  extendVolume(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    newSizeGb: number,
    reservations: string[],
  ): Promise<void>;
}

interface ExtendIn {
  context: VolumeFlowContext;
  volume: ExtendTarget;
  new_size: number;
}

/**
 * Reserves the extra gigabytes of an extend (`gigabytes` and `gigabytes_<type>` += new − old).
 *
 * Reversion strategy: roll the reservation back if one was made (the volume service commits it only after
 * a successful cast, so a failure anywhere in this flow leaves nothing reserved).
 */
export class ExtendQuotaReserveTask extends Task<ExtendIn, { reservations: string[] }> {
  constructor(private readonly quotas: VolumeQuotas) {
    super('volume:extend.quota-reserve', {
      requires: ['context', 'volume', 'new_size'],
      provides: ['reservations'],
    });
  }

  async execute({ context, volume, new_size: newSize }: ExtendIn): Promise<{ reservations: string[] }> {
    const delta = newSize - volume.size;
    try {
      await this.quotas.checkPerVolumeSize(context.project_id, newSize);
      const reservations = await this.quotas.reserve(
        { projectId: context.project_id },
        { gigabytes: delta },
        volume.volume_type_id === null ? {} : { volumeTypeId: volume.volume_type_id },
      );
      return { reservations };
    } catch (err) {
      throw translateOverQuota(err, delta);
    }
  }

  override async revert({ args, outcome }: RevertArgs<ExtendIn, { reservations: string[] }>): Promise<void> {
    if (outcome.status !== 'success') return;
    await this.quotas.rollback({ projectId: args.context.project_id }, outcome.value.reservations);
  }
}

/**
 * Moves the volume from `available` to `extending` (conditionally, so two extends or an extend racing a
 * delete cannot both win).
 *
 * Reversion strategy: if it moved the volume to `extending`, move it back to `available`.
 */
export class ExtendBeginTask extends Task<{ volume: ExtendTarget }, { extend_started: boolean }> {
  constructor(
    private readonly volumes: VolumeStatusSwitch,
    private readonly onRefused: (volumeId: string) => Error,
  ) {
    super('volume:extend.begin', { requires: ['volume'], provides: ['extend_started'] });
  }

  async execute({ volume }: { volume: ExtendTarget }): Promise<{ extend_started: boolean }> {
    if (!(await this.volumes.conditionalStatus(volume.id, ['available'], 'extending')))
      throw this.onRefused(volume.id);
    return { extend_started: true };
  }

  override async revert({
    args,
    outcome,
  }: RevertArgs<{ volume: ExtendTarget }, { extend_started: boolean }>): Promise<void> {
    if (outcome.status !== 'success') return;
    await this.volumes.conditionalStatus(args.volume.id, ['extending'], 'available');
  }
}

/**
 * Casts the extend to the volume's host; from here the volume service owns the reservations (it commits
 * them when the driver has extended the volume and rolls them back otherwise).
 *
 * Reversion strategy: none; a cast cannot be taken back.
 */
export class ExtendCastTask extends Task<ExtendIn & { reservations: string[] }, void> {
  constructor(private readonly backend: VolumeExtendCaster) {
    super('volume:extend.cast', { requires: ['context', 'volume', 'new_size', 'reservations'] });
  }

  async execute(a: ExtendIn & { reservations: string[] }): Promise<void> {
    await this.backend.extendVolume(
      rpcContextOf(a.context),
      a.volume.host,
      a.volume.id,
      a.new_size,
      a.reservations,
    );
  }
}
