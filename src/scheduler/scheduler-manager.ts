/**
 * The volume scheduler service's manager (Cinder's `scheduler/manager.py`): keeps the backends'
 * capability reports, places each new volume with the {@link VolumeFilterScheduler}, records the chosen
 * host on the row and casts `create_volume` to that backend's volume service. When no backend fits (or
 * the attempts are used up) the volume goes to `error`; its quota stays counted until it is deleted,
 * as in Cinder.
 */
import { RequestContext } from '../rpc/context';
import { InvalidRpcMessageError, MessageDeliveryFailure } from '../rpc/errors';
import { Manager, type ManagerOptions } from '../service/manager';
import { volumeUsagePayload, type EventNotifier } from '../volume/notifier';
import type { VolumeRpcApi } from '../volume/rpc-api';
import { backendOf, type VolumeRef, type VolumeRows } from '../volume/volume-rows';
import { NoValidBackendError } from './errors';
import { VolumeFilterScheduler, placementOf, type Selection } from './filter-scheduler';
import { VolumeHostManager, type VolumeHostManagerOptions } from './host-manager';
import { VOLUME_SCHEDULER_API_VERSION } from './rpc-api';
import { InFlight } from '../service/in-flight';

export interface VolumeSchedulerManagerOptions extends ManagerOptions {
  readonly rows: VolumeRows;
  readonly volumeRpc: VolumeRpcApi;
  /** Cinder's `scheduler_max_attempts`. @default 3 */
  readonly maxAttempts?: number;
  /** Whether a backend's volume service is up (service group). @default every reporting backend */
  readonly isBackendUp?: VolumeHostManagerOptions['isBackendUp'];
  /** Publishes `volume.create.error` when a volume cannot be placed. */
  readonly notifier?: EventNotifier;
  /**
   * A volume still `creating` without a host this long after its last change is placed again (its cast
   * to the scheduler was lost); checked every minute. @default 300
   */
  readonly unplacedSeconds?: number;
}

export class VolumeSchedulerManager extends Manager {
  override readonly rpcApiVersion = VOLUME_SCHEDULER_API_VERSION;
  readonly rpcMethods = ['create_volume', 'update_service_capabilities'] as const;
  readonly hostManager: VolumeHostManager;
  readonly scheduler: VolumeFilterScheduler;
  private readonly rows: VolumeRows;
  private readonly volumeRpc: VolumeRpcApi;
  private readonly notifier: EventNotifier | undefined;
  private readonly unplacedMs: number;
  /**
   * Volumes a create_volume of this process is placing right now (a duplicate cast waits for none), until
   * the row names their backend (from then on the row guards them), each with its holder's token.
   */
  private readonly placing = new InFlight();

  constructor(options: VolumeSchedulerManagerOptions) {
    super({ serviceName: 'scheduler', ...options });
    this.rows = options.rows;
    this.volumeRpc = options.volumeRpc;
    this.notifier = options.notifier;
    this.unplacedMs = (options.unplacedSeconds ?? 300) * 1000;
    this.addPeriodicTask((ctx) => this.placeUnplaced(ctx), { name: 'place_unplaced_volumes', spacing: 60 });
    this.hostManager = new VolumeHostManager({
      ...(options.isBackendUp !== undefined ? { isBackendUp: options.isBackendUp } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    this.scheduler = new VolumeFilterScheduler(
      this.hostManager,
      options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {},
    );
  }

  /** Cinder asks every volume service for its capabilities once the scheduler listens. */
  override async postStartHook(): Promise<void> {
    try {
      await this.volumeRpc.publishServiceCapabilities(RequestContext.admin());
    } catch (err) {
      this.log.warn('could not ask the volume services for their capabilities', { err });
    }
  }

  /**
   * Cast from the API's create flow (or from a volume service rescheduling).
   * args: `{ volumeId, requestSpec, filterProperties }`.
   *
   * Casts arrive at least once (the transport publishes a cast again when the connection dropped
   * before its confirm), so only a volume still `creating` with no host is placed: one with a host was
   * placed by an earlier copy of this cast (a volume service that reschedules clears the host first),
   * and placing it again would send its create to a second backend. The placement is a compare-and-set
   * on the row, so of two copies handled at once by two scheduler processes exactly one places it; in
   * one process a copy arriving while another is being placed returns at once.
   */
  async create_volume(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const volumeId = args['volumeId'] as string;
    if (typeof volumeId === 'string' && volumeId !== '') {
      const release = this.placing.hold(volumeId);
      if (release === undefined) {
        this.log.info('create_volume for a volume being placed already; nothing to do', { volumeId });
        return;
      }
      try {
        await this.placeOnce(ctx, volumeId, args, release);
      } finally {
        release();
      }
      return;
    }
    await this.placeOnce(ctx, volumeId, args, () => undefined);
  }

  /** `release` ends this call's hold on the volume (see {@link placing}). */
  private async placeOnce(
    ctx: RequestContext,
    volumeId: string,
    args: Record<string, unknown>,
    release: () => void,
  ): Promise<void> {
    const requestSpec = (args['requestSpec'] ?? null) as Record<string, unknown>;
    const fp = args['filterProperties'] ?? {};
    let selection: Selection;
    let sizeGb: number;
    try {
      if (fp === null || typeof fp !== 'object' || Array.isArray(fp))
        throw new InvalidRpcMessageError('filterProperties must be an object');
      const placement = placementOf(volumeId, requestSpec);
      sizeGb = placement.sizeGb;
      selection = await this.scheduler.selectBackend(placement, fp as Record<string, unknown>);
    } catch (err) {
      if (typeof volumeId !== 'string' || volumeId === '') throw err;
      await this.markError(ctx, volumeId, err, { unplaced: true });
      return;
    }
    const reportedAt = selection.backend.reportedAt;
    const host = selection.backend.hostWithPool;
    // Cinder's volume_update_db: the row names its backend before the backend is told. Only a volume
    // still creating with no host takes it (no read first: the write decides, atomically).
    const placed = await this.rows.transition(
      volumeId,
      ['creating'],
      'creating',
      { host },
      { unplaced: true },
    );
    if (!placed) {
      this.giveBack(selection, sizeGb, reportedAt);
      this.log.info(
        'create_volume for a volume that is not waiting for a placement (placed by another copy, failed or deleted); nothing to do',
        {
          volumeId,
        },
      );
      return;
    }
    // The row guards the volume now. Its backend may fail the create and reschedule it (host cleared)
    // before this cast returns (it waits for the broker's confirm): that cast must not be taken for a copy.
    release();
    try {
      await this.castCreate(ctx, host, {
        volumeId,
        requestSpec,
        filterProperties: selection.filterProperties,
      });
      this.log.debug('volume scheduled', { volumeId, host });
    } catch (err) {
      // Only while still placed here: the backend may have got the cast after all and rescheduled the
      // volume, which another placement now owns.
      await this.markError(ctx, volumeId, err, { host });
    }
  }

  /**
   * Undoes what a selection consumed on this scheduler's view of the backend when the placement lost
   * (another copy of the cast placed the volume), unless a newer report has replaced that view since.
   */
  private giveBack(selection: Selection, sizeGb: number, reportedAt: number): void {
    const b = selection.backend;
    if (b.reportedAt !== reportedAt) return;
    b.freeCapacityGb += sizeGb;
    b.allocatedCapacityGb -= sizeGb;
    b.placedSinceReport = Math.max(0, b.placedSinceReport - 1);
  }

  /**
   * Casts create_volume to the chosen backend, once more when the transport could not deliver it (the
   * broker connection dropped before the publish was confirmed, or was down): the transport waits for
   * the reconnection, and a volume that a broker blink would otherwise send to `error` gets created.
   * Safe because the volume service's create_volume is idempotent (per-volume lock, it only acts on a
   * volume still `creating`, and the finish is conditional), so a first cast that did arrive after all
   * does no harm.
   */
  private async castCreate(
    ctx: RequestContext,
    host: string,
    args: Parameters<VolumeRpcApi['createVolume']>[2],
  ): Promise<void> {
    try {
      await this.volumeRpc.createVolume(ctx, host, args);
    } catch (err) {
      if (!(err instanceof MessageDeliveryFailure)) throw err;
      this.log.warn('could not cast create_volume to the backend; trying once more', {
        volumeId: args.volumeId,
        host,
        err,
      });
      await this.volumeRpc.createVolume(ctx, host, args);
    }
  }

  /**
   * Periodic: volumes left `creating` with no host for longer than `unplacedSeconds` (their create cast
   * never reached a scheduler) are placed again from their rows, as a first attempt. A volume from a
   * snapshot or a clone stays pinned to its origin's backend (`resource_backend`, as the API's cast
   * sets it); one whose origin is gone or unplaced goes to `error`, since no other backend can copy it.
   * @returns the ids it found stale: placed, set to `error`, or left to a copy that placed them meanwhile.
   */
  async placeUnplaced(ctx: RequestContext): Promise<string[]> {
    const cutoff = Date.now() - this.unplacedMs;
    const stale = (await this.rows.unplaced('creating')).filter((v) => v.changedAtMs <= cutoff);
    for (const v of stale) {
      this.log.warn('placing again a volume whose create never reached a scheduler', { volumeId: v.id });
      const origin = await this.originBackend(v);
      if (origin === null) {
        const what =
          v.snapshotId !== null ? `snapshot ${v.snapshotId}` : `source volume ${v.sourceVolid ?? ''}`;
        await this.markError(
          ctx,
          v.id,
          new NoValidBackendError(
            `The volume's ${what} is gone or not on any backend, and only its backend can copy it.`,
          ),
          // The row was read unplaced; a late create cast may have placed it since, so never over that.
          { unplaced: true },
        );
        continue;
      }
      const extraSpecs = v.volumeTypeId === null ? {} : await this.rows.typeExtraSpecs(v.volumeTypeId);
      await this.create_volume(ctx, {
        volumeId: v.id,
        requestSpec: {
          volume_id: v.id,
          size: v.size,
          availability_zone: v.availabilityZone,
          volume_type: { id: v.volumeTypeId, extra_specs: extraSpecs },
          snapshot_id: v.snapshotId,
          source_volid: v.sourceVolid,
          ...(origin === undefined ? {} : { resource_backend: origin }),
        },
        filterProperties: { scheduler_hints: {}, retry: { num_attempts: 0, hosts: [] } },
      });
    }
    return stale.map((v) => v.id);
  }

  /**
   * The backend (`host@backend`) holding a volume's origin, as the API's cast computes
   * `resource_backend` (Cinder: the snapshot's volume host, or the source volume's host): undefined for
   * a volume from nothing, null when the origin is gone or has no host.
   */
  private async originBackend(v: VolumeRef): Promise<string | null | undefined> {
    let originVolumeId: string;
    if (v.snapshotId !== null) {
      const snap = await this.rows.getSnapshot(v.snapshotId);
      if (snap === null) return null;
      originVolumeId = snap.volumeId;
    } else if (v.sourceVolid !== null) {
      originVolumeId = v.sourceVolid;
    } else {
      return undefined;
    }
    const origin = await this.rows.get(originVolumeId);
    return origin?.host == null ? null : backendOf(origin.host);
  }

  /** Fanout from each volume service. args: `{ serviceName, host, capabilities, timestamp }`. */
  update_service_capabilities(_ctx: RequestContext, args: Record<string, unknown>): void {
    this.hostManager.updateServiceCapabilities(
      String(args['serviceName']),
      args['host'] as string,
      args['capabilities'],
      Number(args['timestamp'] ?? Date.now()),
    );
  }

  /**
   * Sets a creating volume `error` (host cleared). With `only.unplaced`, only while it has no host: a
   * copy of the cast that fails to select a backend must not fail a volume another copy placed. With
   * `only.host`, only while it is on that host: a failed cast must not fail a later placement.
   */
  private async markError(
    ctx: RequestContext,
    volumeId: string,
    err: unknown,
    only: { unplaced?: boolean; host?: string } = {},
  ): Promise<void> {
    const marked = await this.rows.transition(volumeId, ['creating'], 'error', { host: null }, only);
    if (!marked && (only.unplaced === true || only.host !== undefined)) {
      this.log.info(
        'could not schedule a volume that is not waiting for a placement (placed by another copy, failed or deleted); nothing to do',
        {
          volumeId,
          err,
        },
      );
      return;
    }
    const level = err instanceof NoValidBackendError ? 'warn' : 'error';
    this.log[level]('failed to schedule the volume', { volumeId, markedError: marked, err });
    if (marked && this.notifier !== undefined) {
      const v = await this.rows.get(volumeId);
      if (v !== null)
        await this.notifier.notify(
          ctx,
          'volume.create.error',
          volumeUsagePayload(v, { error_message: (err as Error).message }),
          'ERROR',
        );
    }
  }
}
