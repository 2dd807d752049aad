/**
 * The volume service's manager (Cinder's `volume/manager.py`, trimmed): one per backend, its host is
 * `host@backend`. It runs the create-volume manager flow on the engine, deletes and extends volumes
 * through its driver with the quota settled exactly, reports the backend's capabilities to the
 * schedulers (at start, on request and periodically), and on start resolves what a previous run of
 * this backend left half done (volumes still `creating` or `deleting` here).
 */
import type { QuotaEngine } from '../quota';
import { RequestContext, type SerializedRequestContext } from '../rpc/context';
import { InvalidRpcMessageError } from '../rpc/errors';
import { Manager, type ManagerOptions } from '../service/manager';
import type { ServiceRecord, ServiceRecordStore } from '../service/service-record-store';
import { Engine } from '../taskflow';
import { volumeManagerCreateFlow } from '../flows/volume-manager-create';
import type { SchedulerRpcApi } from '../scheduler/rpc-api';
import type { ServiceCapabilities } from '../scheduler/host-manager';
import type { VolumeManagerCreateStore } from '../tasks/volume-manager';
import { VolumeAttachManager, attachArgsOf, connectionSourceOf, type ConnectionInfo } from './attach-manager';
import type { VolumeDriver } from './drivers/driver';
import type { EventNotifier, NotificationPriority } from './notifier';
import { volumeUsagePayload } from './notifier';
import { VOLUME_API_VERSION } from './rpc-api';
import { backendOf, type SnapshotRowRef, type VolumeRef, type VolumeRows } from './volume-rows';

export interface VolumeManagerOptions extends ManagerOptions<VolumeDriver> {
  readonly driver: VolumeDriver;
  readonly rows: VolumeRows;
  readonly quotas: Pick<QuotaEngine, 'reserve' | 'commit' | 'rollback'>;
  readonly scheduler: SchedulerRpcApi;
  /** The zone this backend is in (Cinder's `storage_availability_zone`). @default 'nova' */
  readonly availabilityZone?: string;
  /** When given, the service record's zone is set to {@link availabilityZone} at start. */
  readonly serviceStore?: ServiceRecordStore;
  /** Seconds between capability reports. @default 60 */
  readonly capabilitiesInterval?: number;
  /** Publishes volume.create/delete/resize .start/.end/.error notifications when given. */
  readonly notifier?: EventNotifier;
  /**
   * A volume of this backend still `creating` this long after its last change, with no create running
   * here, is created again (its cast was lost); checked every minute. @default 120
   */
  readonly stuckCreateSeconds?: number;
}

/** What happened to one volume found half done at start. */
export interface RecoveryOutcome {
  readonly volumeId: string;
  readonly was: 'creating' | 'deleting';
  readonly now: string;
}

/** What happened to one snapshot found half done at start. */
export interface SnapshotRecoveryOutcome {
  readonly snapshotId: string;
  readonly was: 'creating' | 'deleting';
  readonly now: string;
}

/** The lock key of a snapshot (its own namespace next to the volume ids). */
const snapshotLock = (snapshotId: string): string => `snapshot:${snapshotId}`;

export class VolumeManager extends Manager<VolumeDriver> {
  override readonly rpcApiVersion = VOLUME_API_VERSION;
  readonly rpcMethods = [
    'create_volume',
    'delete_volume',
    'extend_volume',
    'create_snapshot',
    'delete_snapshot',
    'publish_service_capabilities',
    'attach_volume',
    'detach_volume',
    'initialize_connection',
    'terminate_connection',
  ] as const;
  readonly availabilityZone: string;
  /** What initHost found and did (for logs and tests). */
  recovered: RecoveryOutcome[] = [];
  /** The snapshots initHost found `creating`/`deleting` and what became of them. */
  recoveredSnapshots: SnapshotRecoveryOutcome[] = [];
  private readonly volumeDriver: VolumeDriver;
  private readonly rows: VolumeRows;
  /** The legacy attach calls (attachments are database bookkeeping; connections come from the driver). */
  private readonly attachments: VolumeAttachManager;
  private readonly quotas: VolumeManagerOptions['quotas'];
  private readonly scheduler: SchedulerRpcApi;
  private readonly serviceStore: ServiceRecordStore | undefined;
  private readonly notifier: EventNotifier | undefined;
  private readonly stuckCreateMs: number;
  /** One operation per volume at a time in this process (Cinder's per-volume lock). */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Rows runCreate has just read, for its flow's first read of them (see runCreate). */
  private readonly handedOver = new Map<string, VolumeRef>();
  /**
   * volume:create-manager, built once: its tasks keep no state of their own (each run has its own
   * engine and store), so the engine compiles it once instead of on every create.
   */
  private readonly createFlow: ReturnType<typeof volumeManagerCreateFlow>;

  constructor(options: VolumeManagerOptions) {
    super({ serviceName: 'volume', ...options });
    if (!options.host.includes('@'))
      throw new TypeError(`a volume manager's host is 'host@backend', got '${options.host}'`);
    this.volumeDriver = options.driver;
    this.rows = options.rows;
    this.attachments = new VolumeAttachManager(options.rows.ds, connectionSourceOf(options.driver));
    this.quotas = options.quotas;
    this.scheduler = options.scheduler;
    this.serviceStore = options.serviceStore;
    this.notifier = options.notifier;
    this.stuckCreateMs = (options.stuckCreateSeconds ?? 120) * 1000;
    const rows = this.rows;
    const handedOver = this.handedOver;
    this.createFlow = volumeManagerCreateFlow({
      rows: {
        get: (volumeId) => {
          const ref = handedOver.get(volumeId);
          if (ref === undefined) return rows.get(volumeId);
          handedOver.delete(volumeId);
          return Promise.resolve(ref);
        },
        transition: (...args) => rows.transition(...args),
        getSnapshot: (snapshotId) => rows.getSnapshot(snapshotId),
      },
      driver: this.volumeDriver,
      log: this.log,
      reschedule: (c: SerializedRequestContext, volumeId, requestSpec, filterProperties) =>
        this.scheduler.createVolume(c, { volumeId, requestSpec, filterProperties }),
    });
    this.addPeriodicTask(() => this.resumeStuckCreates(), { name: 'resume_stuck_creates', spacing: 60 });
    this.availabilityZone = options.availabilityZone ?? 'nova';
    this.addPeriodicTask((ctx) => this.publish_service_capabilities(ctx), {
      name: 'publish_service_capabilities',
      spacing: options.capabilitiesInterval ?? 60,
    });
  }

  /** `host@backend#pool` for volumes created here (one pool, named as the backend). */
  get hostWithPool(): string {
    return `${this.host}#${this.volumeDriver.backendName}`;
  }

  override async initHost(): Promise<void> {
    await this.volumeDriver.doSetup();
    this.recovered = await this.recoverUnfinished();
    this.recoveredSnapshots = await this.recoverUnfinishedSnapshots();
  }

  override async preStartHook(serviceRef: ServiceRecord): Promise<void> {
    if (this.serviceStore !== undefined && serviceRef.availabilityZone !== this.availabilityZone) {
      await this.serviceStore.update(serviceRef.id, { availabilityZone: this.availabilityZone });
    }
  }

  /** Report at once, so the schedulers can place volumes here without waiting a period. */
  override async postStartHook(): Promise<void> {
    await this.publish_service_capabilities(RequestContext.admin());
  }

  /** The capability report: the driver's stats and this backend's zone. */
  async capabilities(): Promise<ServiceCapabilities> {
    return { ...(await this.volumeDriver.getVolumeStats()), availability_zone: this.availabilityZone };
  }

  /** Fanout from a scheduler, and the periodic task: send the capabilities to every scheduler. */
  async publish_service_capabilities(ctx: RequestContext): Promise<void> {
    try {
      await this.scheduler.updateServiceCapabilities(ctx, this.host, await this.capabilities());
    } catch (err) {
      this.log.warn('could not publish the service capabilities', { err });
    }
  }

  /**
   * Cast from the scheduler. args: `{ volumeId, requestSpec, filterProperties, host }` (host is
   * `host@backend#pool`, this backend). Runs volume:create-manager; a failure was already handled by the
   * flow (rescheduled or `error`), so it is logged, not rethrown.
   */
  /** os-attach's call (Cinder's attach_volume). @returns the attachment's id */
  async attach_volume(_ctx: RequestContext, args: Record<string, unknown>): Promise<string> {
    return this.attachments.attachVolume(attachArgsOf(args));
  }

  /** os-detach's call (Cinder's detach_volume). */
  async detach_volume(_ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    if (typeof args.volumeId !== 'string') throw new InvalidRpcMessageError('detach_volume needs a volumeId');
    await this.attachments.detachVolume(
      args.volumeId,
      typeof args.attachmentId === 'string' ? args.attachmentId : null,
    );
  }

  /** os-initialize_connection's call. */
  async initialize_connection(_ctx: RequestContext, args: Record<string, unknown>): Promise<ConnectionInfo> {
    if (typeof args.volumeId !== 'string')
      throw new InvalidRpcMessageError('initialize_connection needs a volumeId');
    return this.attachments.initializeConnection(args.volumeId);
  }

  /** os-terminate_connection's call. */
  async terminate_connection(_ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    if (typeof args.volumeId !== 'string')
      throw new InvalidRpcMessageError('terminate_connection needs a volumeId');
    await this.attachments.terminateConnection(args.volumeId);
  }

  async create_volume(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const volumeId = args['volumeId'];
    const host = args['host'] ?? this.hostWithPool;
    if (typeof volumeId !== 'string' || volumeId === '')
      throw new InvalidRpcMessageError('create_volume needs a volumeId');
    if (typeof host !== 'string' || backendOf(host) !== this.host)
      throw new InvalidRpcMessageError(`create_volume for host '${String(host)}' reached ${this.host}`);
    const store: VolumeManagerCreateStore = {
      context: ctx.toDict(),
      volume_id: volumeId,
      request_spec: (args['requestSpec'] ?? {}) as Record<string, unknown>,
      filter_properties: (args['filterProperties'] ?? {}) as Record<string, unknown>,
      host,
    };
    await this.withVolumeLock(volumeId, () => this.runCreate(store));
  }

  private async runCreate(store: VolumeManagerCreateStore): Promise<string> {
    const current = await this.rows.get(store.volume_id);
    if (current === null || current.status !== 'creating') {
      this.log.info('create_volume for a volume that is not creating; nothing to do', {
        volumeId: store.volume_id,
        status: current?.status ?? null,
      });
      return current?.status ?? 'deleted';
    }
    // Casts are delivered at least once: a copy that arrives after this backend failed the create and
    // rescheduled it (host cleared, or another backend's now) must not create it here as well.
    if (current.host === null || backendOf(current.host) !== this.host) {
      this.log.info('create_volume for a volume placed elsewhere now; nothing to do', {
        volumeId: store.volume_id,
        host: current.host,
      });
      return current.status;
    }
    const ctx = RequestContext.fromDict({ ...store.context });
    await this.notify(ctx, 'volume.create.start', current);
    // ExtractVolumeRef's read of the row would repeat the one just made (under this volume's lock, with
    // nothing run in between), so it is handed over: one round trip less per create. A volume from a
    // snapshot first waits for the snapshot's lock, so its flow reads the row afresh.
    if (current.snapshotId === null) this.handedOver.set(current.id, current);
    const engine = new Engine(this.createFlow, { store: { ...store } });
    try {
      // A volume made from a snapshot holds the snapshot's lock while it copies, so the snapshot cannot
      // be deleted from under the copy (Cinder's `<snapshot>-delete_snapshot` lock).
      if (current.snapshotId !== null)
        await this.withVolumeLock(snapshotLock(current.snapshotId), () => engine.run());
      else await engine.run();
      this.log.info('volume created', { volumeId: store.volume_id, host: store.host });
      await this.notify(ctx, 'volume.create.end', { ...current, status: 'available', host: store.host });
      return 'available';
    } catch (err) {
      this.log.warn('volume create failed and was reverted', {
        volumeId: store.volume_id,
        host: store.host,
        err,
      });
      const after = await this.rows.get(store.volume_id);
      if (after?.status === 'error') {
        await this.notify(
          ctx,
          'volume.create.error',
          after,
          { error_message: (err as Error).message },
          'ERROR',
        );
      }
      return after?.status ?? 'deleted';
    } finally {
      this.handedOver.delete(current.id);
    }
  }

  /**
   * Cast from the API (the volume is `deleting`). args: `{ volumeId }`. Deletes it through the driver,
   * then soft-deletes the row and gives back its quota (volumes −1, gigabytes −size, per type too); a
   * driver failure leaves it `error_deleting`.
   */
  async delete_volume(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const volumeId = args['volumeId'];
    if (typeof volumeId !== 'string' || volumeId === '')
      throw new InvalidRpcMessageError('delete_volume needs a volumeId');
    await this.withVolumeLock(volumeId, () => this.runDelete(volumeId, ctx));
  }

  private async runDelete(volumeId: string, ctx: RequestContext = RequestContext.admin()): Promise<string> {
    const v = await this.rows.get(volumeId);
    if (v === null || v.status !== 'deleting') {
      this.log.info('delete_volume for a volume that is not deleting; nothing to do', {
        volumeId,
        status: v?.status ?? null,
      });
      return v?.status ?? 'deleted';
    }
    // A cascade delete marked the volume's snapshots `deleting` with it: they go first, each with its
    // quota (Cinder's delete_volume(cascade=True)). A snapshot that cannot go keeps the volume.
    for (const s of await this.rows.snapshotsOfVolume(volumeId)) {
      const now =
        s.status === 'deleting'
          ? await this.withVolumeLock(snapshotLock(s.id), () => this.runDeleteSnapshot(ctx, s.id))
          : s.status;
      if (now !== 'deleted') {
        await this.rows.transition(volumeId, ['deleting'], 'error_deleting');
        this.log.error('a snapshot of the volume could not be deleted; volume set to error_deleting', {
          volumeId,
          snapshotId: s.id,
          status: now,
        });
        return 'error_deleting';
      }
    }
    await this.notify(ctx, 'volume.delete.start', v);
    try {
      await this.volumeDriver.deleteVolume({ id: v.id, size: v.size });
    } catch (err) {
      await this.rows.transition(volumeId, ['deleting'], 'error_deleting');
      this.log.error('driver failed to delete the volume; set to error_deleting', { volumeId, err });
      return 'error_deleting';
    }
    // Cinder's order: reserve the release, remove the row, commit. The row goes first so that a crash in
    // between can never give the quota back twice (a re-run finds no row); the commit follows at once.
    // Only a volume that still counts gives its quota back (use_quota is taken in the delete's statement).
    const ids = v.useQuota ? await this.reserveRelease(v) : [];
    const deleted = await this.rows.softDelete(volumeId);
    if (ids.length > 0) {
      if (deleted?.releaseQuota === true) await this.quotas.commit({ projectId: v.projectId }, ids);
      else await this.quotas.rollback({ projectId: v.projectId }, ids);
    }
    this.log.info('volume deleted', { volumeId });
    await this.notify(ctx, 'volume.delete.end', { ...v, status: 'deleted' });
    return 'deleted';
  }

  /** Reservations that give a volume's quota back (per type too; without the type if it is gone). */
  private async reserveRelease(v: VolumeRef): Promise<string[]> {
    return this.reserveQuotaRelease(
      { projectId: v.projectId },
      { volumes: -1, gigabytes: -v.size },
      v.volumeTypeId,
      v.id,
    );
  }

  private async reserveQuotaRelease(
    ctx: { projectId: string },
    deltas: Record<string, number>,
    volumeTypeId: string | null,
    resourceId: string,
  ): Promise<string[]> {
    if (volumeTypeId !== null) {
      try {
        return await this.quotas.reserve(ctx, deltas, { volumeTypeId });
      } catch (err) {
        this.log.warn('could not release the per-type quota; releasing the totals only', { resourceId, err });
      }
    }
    return this.quotas.reserve(ctx, deltas);
  }

  /**
   * Cast from the API (the volume is `extending`, `reservations` hold the extra gigabytes).
   * args: `{ volumeId, newSizeGb, reservations }`. On success size and status `available` are set and the
   * reservations committed; on failure they are rolled back and the volume is `error_extending`.
   */
  async extend_volume(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const volumeId = args['volumeId'];
    const newSize = args['newSizeGb'];
    const reservations = args['reservations'];
    if (typeof volumeId !== 'string' || volumeId === '')
      throw new InvalidRpcMessageError('extend_volume needs a volumeId');
    if (!Number.isSafeInteger(newSize) || (newSize as number) < 1)
      throw new InvalidRpcMessageError('extend_volume needs a positive integer newSizeGb');
    if (!Array.isArray(reservations) || reservations.some((r) => typeof r !== 'string')) {
      throw new InvalidRpcMessageError('extend_volume needs reservations (string ids)');
    }
    await this.withVolumeLock(volumeId, () =>
      this.runExtend(ctx, volumeId, newSize as number, reservations as string[]),
    );
  }

  private async runExtend(
    rctx: RequestContext,
    volumeId: string,
    newSize: number,
    reservations: string[],
  ): Promise<string> {
    const v = await this.rows.get(volumeId);
    if (v === null || v.status !== 'extending') {
      await this.quotas.rollback(v === null ? null : { projectId: v.projectId }, reservations);
      this.log.warn('extend_volume for a volume that is not extending; reservations rolled back', {
        volumeId,
        status: v?.status ?? null,
      });
      return v?.status ?? 'deleted';
    }
    const ctx = { projectId: v.projectId };
    await this.notify(rctx, 'volume.resize.start', v, { new_size: newSize });
    try {
      await this.volumeDriver.extendVolume({ id: v.id, size: v.size }, newSize);
    } catch (err) {
      await this.quotas.rollback(ctx, reservations);
      await this.rows.transition(volumeId, ['extending'], 'error_extending');
      this.log.error('driver failed to extend the volume; set to error_extending', { volumeId, err });
      return 'error_extending';
    }
    // Cinder's order: commit, then show the new size, so a volume seen `available` has its quota settled.
    await this.quotas.commit(ctx, reservations);
    if (!(await this.rows.transition(volumeId, ['extending'], 'available', { size: newSize }))) {
      this.log.error('volume left extending while its extend ran; the extra gigabytes stay committed', {
        volumeId,
        newSizeGb: newSize,
      });
      return (await this.rows.get(volumeId))?.status ?? 'deleted';
    }
    this.log.info('volume extended', { volumeId, newSizeGb: newSize });
    await this.notify(rctx, 'volume.resize.end', { ...v, size: newSize, status: 'available' });
    return 'available';
  }

  /**
   * Cast from the API (the snapshot row is `creating`, its quota committed). args: `{ snapshotId }`.
   * Snapshots the volume through the driver (under the volume's lock, so no extend or delete of the
   * volume runs meanwhile) and sets `available` with progress `100%`; a driver failure sets `error`
   * (its quota stays counted until the snapshot is deleted, as for a volume in `error`).
   */
  async create_snapshot(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const snapshotId = args['snapshotId'];
    if (typeof snapshotId !== 'string' || snapshotId === '')
      throw new InvalidRpcMessageError('create_snapshot needs a snapshotId');
    const snap = await this.rows.getSnapshot(snapshotId);
    if (snap === null) {
      this.log.info('create_snapshot for a snapshot that is gone; nothing to do', { snapshotId });
      return;
    }
    await this.withVolumeLock(snap.volumeId, () => this.runCreateSnapshot(ctx, snapshotId));
  }

  private async runCreateSnapshot(ctx: RequestContext, snapshotId: string): Promise<string> {
    const s = await this.rows.getSnapshot(snapshotId);
    if (s === null || s.status !== 'creating') {
      this.log.info('create_snapshot for a snapshot that is not creating; nothing to do', {
        snapshotId,
        status: s?.status ?? null,
      });
      return s?.status ?? 'deleted';
    }
    await this.notifySnapshot(ctx, 'snapshot.create.start', s);
    try {
      await this.volumeDriver.createSnapshot({ id: s.id, volumeId: s.volumeId, volumeSize: s.volumeSize });
    } catch (err) {
      await this.rows.snapshotTransition(snapshotId, ['creating'], 'error');
      this.log.error('driver failed to create the snapshot; set to error', {
        snapshotId,
        volumeId: s.volumeId,
        err,
      });
      await this.notifySnapshot(ctx, 'snapshot.create.error', { ...s, status: 'error' }, 'ERROR');
      return 'error';
    }
    if (!(await this.rows.snapshotTransition(snapshotId, ['creating'], 'available', { progress: '100%' }))) {
      return (await this.rows.getSnapshot(snapshotId))?.status ?? 'deleted';
    }
    this.log.info('snapshot created', { snapshotId, volumeId: s.volumeId });
    await this.notifySnapshot(ctx, 'snapshot.create.end', { ...s, status: 'available' });
    return 'available';
  }

  /**
   * Cast from the API (the snapshot is `deleting`). args: `{ snapshotId }`. Deletes it through the
   * driver, then soft-deletes the row and gives its quota back (snapshots −1, gigabytes −size, per type
   * too) in Cinder's order (reserve, remove the row, commit); a driver failure sets `error_deleting`.
   */
  async delete_snapshot(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const snapshotId = args['snapshotId'];
    if (typeof snapshotId !== 'string' || snapshotId === '')
      throw new InvalidRpcMessageError('delete_snapshot needs a snapshotId');
    await this.withVolumeLock(snapshotLock(snapshotId), () => this.runDeleteSnapshot(ctx, snapshotId));
  }

  private async runDeleteSnapshot(ctx: RequestContext, snapshotId: string): Promise<string> {
    const s = await this.rows.getSnapshot(snapshotId);
    if (s === null || s.status !== 'deleting') {
      this.log.info('delete_snapshot for a snapshot that is not deleting; nothing to do', {
        snapshotId,
        status: s?.status ?? null,
      });
      return s?.status ?? 'deleted';
    }
    await this.notifySnapshot(ctx, 'snapshot.delete.start', s);
    try {
      await this.volumeDriver.deleteSnapshot({ id: s.id, volumeId: s.volumeId, volumeSize: s.volumeSize });
    } catch (err) {
      await this.rows.snapshotTransition(snapshotId, ['deleting'], 'error_deleting');
      this.log.error('driver failed to delete the snapshot; set to error_deleting', { snapshotId, err });
      return 'error_deleting';
    }
    const qctx = { projectId: s.projectId };
    const ids = await this.reserveQuotaRelease(
      qctx,
      { snapshots: -1, gigabytes: -s.volumeSize },
      s.volumeTypeId,
      s.id,
    );
    if (await this.rows.softDeleteSnapshot(snapshotId)) await this.quotas.commit(qctx, ids);
    else await this.quotas.rollback(qctx, ids);
    this.log.info('snapshot deleted', { snapshotId });
    await this.notifySnapshot(ctx, 'snapshot.delete.end', { ...s, status: 'deleted' });
    return 'deleted';
  }

  /** Snapshots of this backend's volumes left `creating` are taken again, those left `deleting` deleted again. */
  async recoverUnfinishedSnapshots(): Promise<SnapshotRecoveryOutcome[]> {
    const out: SnapshotRecoveryOutcome[] = [];
    const admin = RequestContext.admin();
    for (const s of await this.rows.snapshotsOnBackend(this.host, ['creating', 'deleting'])) {
      const now =
        s.status === 'creating'
          ? await this.withVolumeLock(s.volumeId, () => this.runCreateSnapshot(admin, s.id))
          : await this.withVolumeLock(snapshotLock(s.id), () => this.runDeleteSnapshot(admin, s.id));
      out.push({ snapshotId: s.id, was: s.status as 'creating' | 'deleting', now });
    }
    if (out.length > 0)
      this.log.warn('resolved snapshots a previous run left unfinished', { snapshots: out.length });
    return out;
  }

  /**
   * DESIGN.md §7: volumes of this backend left `creating` by a previous run are created again (the
   * driver's create is idempotent) and end `available`, or `error` when that fails (no reschedule from
   * here: the quota stays counted until the user deletes the volume, as for any volume in `error`);
   * volumes left `deleting` are deleted again.
   */
  async recoverUnfinished(): Promise<RecoveryOutcome[]> {
    const out: RecoveryOutcome[] = await this.createAgain(await this.rows.onBackend(this.host, ['creating']));
    for (const v of await this.rows.onBackend(this.host, ['deleting'])) {
      const now = await this.withVolumeLock(v.id, () => this.runDelete(v.id));
      out.push({ volumeId: v.id, was: 'deleting', now });
    }
    if (out.length > 0)
      this.log.warn('resolved volumes a previous run left unfinished', { volumes: out.length });
    return out;
  }

  /**
   * Periodic: creates again the volumes of this backend that have stayed `creating` longer than
   * `stuckCreateSeconds` with no create running for them here (the scheduler's cast never arrived).
   */
  async resumeStuckCreates(): Promise<RecoveryOutcome[]> {
    const cutoff = Date.now() - this.stuckCreateMs;
    const stuck = (await this.rows.onBackend(this.host, ['creating'])).filter(
      (v) => !this.locks.has(v.id) && v.changedAtMs <= cutoff,
    );
    if (stuck.length > 0)
      this.log.warn('creating again volumes whose create has not progressed', { volumes: stuck.length });
    return this.createAgain(stuck);
  }

  private async createAgain(volumes: readonly VolumeRef[]): Promise<RecoveryOutcome[]> {
    const out: RecoveryOutcome[] = [];
    for (const v of volumes) {
      const now = await this.withVolumeLock(v.id, () =>
        this.runCreate({
          context: RequestContext.admin().toDict(),
          volume_id: v.id,
          request_spec: {},
          filter_properties: {},
          host: v.host ?? this.hostWithPool,
        }),
      );
      out.push({ volumeId: v.id, was: 'creating', now });
    }
    return out;
  }

  private async notify(
    ctx: RequestContext,
    eventType: string,
    v: VolumeRef | null,
    extra: Record<string, unknown> = {},
    priority: NotificationPriority = 'INFO',
  ): Promise<void> {
    if (this.notifier === undefined || v === null) return;
    await this.notifier.notify(ctx, eventType, volumeUsagePayload(v, extra), priority);
  }

  private async notifySnapshot(
    ctx: RequestContext,
    eventType: string,
    s: SnapshotRowRef,
    priority: NotificationPriority = 'INFO',
  ): Promise<void> {
    if (this.notifier === undefined) return;
    await this.notifier.notify(
      ctx,
      eventType,
      {
        tenant_id: s.projectId,
        snapshot_id: s.id,
        volume_id: s.volumeId,
        volume_size: s.volumeSize,
        status: s.status,
      },
      priority,
    );
  }

  private async withVolumeLock<T>(volumeId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(volumeId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(volumeId, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(volumeId) === settled) this.locks.delete(volumeId);
    }
  }
}
