/**
 * Cinder's legacy attach state machine (the volume actions Nova's cinder client drives):
 * os-reserve (available → attaching), os-unreserve (attaching → available, or in-use while attachments
 * remain), os-begin_detaching (in-use → detaching), os-roll_detaching (detaching → in-use), and
 * os-attach / os-detach, which the volume service does (an RPC call, {@link VolumeAttachRpc}).
 *
 * Every transition is one conditional UPDATE (a compare-and-set on the expected status, Cinder's
 * `conditional_update`), so of two racing requests exactly one moves the volume and the other gets
 * Cinder's 400 (or, where Cinder says nothing, nothing happens).
 */
import type { DataSource } from 'typeorm';
import { BadRequestParameterError } from '../api/errors';
import { dbFlag, parseDbDate } from '../db/sql';
import { withWriteTransaction } from '../db/transaction';
import { RemoteError } from '../rpc/errors';
import { InvalidVolumeError, type VolumeRecord, type VolumeRpcContext } from '../tasks/volume';
import {
  casVolume,
  HAS_ATTACHMENTS_SQL,
  VolumeAttachManager,
  VolumeConnectionError,
  type AttachVolumeArgs,
  type ConnectionInfo,
  type ConnectionSource,
} from './attach-manager';

/**
 * The volume service's attach calls (Cinder's `volume_rpcapi.attach_volume` / `detach_volume`): calls,
 * answered once the service has done the work.
 */
export interface VolumeAttachRpc {
  /** @returns the attachment's id */
  attachVolume(ctx: VolumeRpcContext, host: string, args: AttachVolumeArgs): Promise<string>;
  detachVolume(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    attachmentId: string | null,
  ): Promise<void>;
  /** Cinder's `initialize_connection` call: the driver's connection info for `connector`. */
  initializeConnection(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    connector: unknown,
  ): Promise<ConnectionInfo>;
  /** Cinder's `terminate_connection` call. */
  terminateConnection(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    connector: unknown,
    force: boolean,
  ): Promise<void>;
}

/**
 * The attach calls done in this process on the same database (no volume service to ask): what the
 * API uses when it was given no {@link VolumeAttachRpc}, and what tests use. Without a connection
 * source it answers os-initialize_connection as a backend without connections would (a 500).
 */
export class LocalVolumeAttachRpc implements VolumeAttachRpc {
  private readonly manager: VolumeAttachManager;
  constructor(ds: DataSource, connection?: ConnectionSource) {
    this.manager = new VolumeAttachManager(ds, connection);
  }
  attachVolume(_ctx: VolumeRpcContext, _host: string, args: AttachVolumeArgs): Promise<string> {
    return this.manager.attachVolume(args);
  }
  detachVolume(
    _ctx: VolumeRpcContext,
    _host: string,
    volumeId: string,
    attachmentId: string | null,
  ): Promise<void> {
    return this.manager.detachVolume(volumeId, attachmentId);
  }
  initializeConnection(_ctx: VolumeRpcContext, _host: string, volumeId: string): Promise<ConnectionInfo> {
    return this.manager.initializeConnection(volumeId);
  }
  terminateConnection(_ctx: VolumeRpcContext, _host: string, volumeId: string): Promise<void> {
    return this.manager.terminateConnection(volumeId);
  }
}

/**
 * The backend failed a connection call (Cinder's API answers its own 500 text for a
 * `VolumeBackendAPIException`).
 */
export class VolumeConnectionFailedError extends Error {
  readonly code = 'VOLUME_CONNECTION_FAILED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VolumeConnectionFailedError';
  }
}

/** A failure of the backend (local, or a RemoteError naming one) rather than of the request. */
function isBackendFailure(err: unknown): boolean {
  if (err instanceof VolumeConnectionError) return true;
  if ((err as { code?: unknown }).code === 'VOLUME_BACKEND_ERROR') return true;
  return (
    err instanceof RemoteError && ['VolumeConnectionError', 'VolumeBackendError'].includes(err.remoteName)
  );
}

/** One attachment as the volume views show it (Cinder's `_get_attachments`). */
export interface AttachmentView {
  readonly id: string;
  readonly attachment_id: string;
  readonly volume_id: string;
  readonly server_id: string | null;
  readonly host_name: string | null;
  readonly device: string | null;
  readonly attached_at: string | null;
}

/** The `attached` attachments of each volume, and the mode of one (Cinder's `attached_mode` admin metadata). */
export async function attachmentsOf(
  ds: DataSource,
  volumeIds: readonly string[],
): Promise<Map<string, { views: AttachmentView[]; mode: string | null }>> {
  const out = new Map<string, { views: AttachmentView[]; mode: string | null }>();
  if (volumeIds.length === 0) return out;
  const rows: Record<string, unknown>[] = await ds.query(
    `SELECT id, volume_id, instance_uuid, attached_host, mountpoint, attach_time, attach_mode FROM volume_attachment
      WHERE volume_id IN (${volumeIds.map(() => '?').join(', ')}) AND deleted = 0 AND attach_status = 'attached'
      ORDER BY attach_time, id`,
    [...volumeIds],
  );
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  for (const r of rows) {
    const volumeId = String(r.volume_id);
    const entry = out.get(volumeId) ?? { views: [], mode: null };
    const at = r.attach_time === null || r.attach_time === undefined ? null : parseDbDate(r.attach_time);
    entry.views.push({
      id: volumeId,
      attachment_id: String(r.id),
      volume_id: volumeId,
      server_id: str(r.instance_uuid),
      host_name: str(r.attached_host),
      device: str(r.mountpoint),
      attached_at: at === null ? null : `${at.toISOString().slice(0, 23)}000`,
    });
    entry.mode ??= str(r.attach_mode);
    out.set(volumeId, entry);
  }
  return out;
}

/**
 * The volume service to call. A volume never placed on a backend has none to ask (Cinder's call would
 * fail in the messaging layer, a 500): refused as an invalid volume instead.
 */
function hostOf(vol: VolumeRecord): string {
  if (vol.host === null)
    throw new InvalidVolumeError(`Volume ${vol.id} is not on a backend (status ${vol.status}).`);
  return vol.host;
}

/**
 * The exception name Cinder's API sees in a RemoteError for an error of the volume service, when it is
 * one the action turns into a 400 (the others stay 500s).
 */
function remoteRefusal(err: unknown, names: readonly string[]): { type: string; message: string } | null {
  if (err instanceof InvalidVolumeError && names.includes('InvalidVolume'))
    return { type: 'InvalidVolume', message: err.message };
  if (err instanceof RemoteError) {
    const type = err.remoteName.replace(/Error$/, '');
    if (names.includes(type)) return { type, message: err.remoteMessage };
  }
  return null;
}

/** Cinder's `AVAILABLE_MIGRATION_STATUS`: migration states that do not hold a detach back. */
const AVAILABLE_MIGRATION_STATUS = ['deleting', 'error', 'success'] as const;

/** Cinder's `utils.build_or_str`: `a or b or c`. */
export function orString(values: readonly string[]): string {
  return values.join(' or ');
}

export class VolumeAttachments {
  private readonly rpc: VolumeAttachRpc;
  constructor(
    private readonly ds: DataSource,
    rpc?: VolumeAttachRpc,
  ) {
    this.rpc = rpc ?? new LocalVolumeAttachRpc(ds);
  }

  /**
   * One compare-and-set on a live volume row: `set` when `status` is one of `fromStatuses` (and the
   * extra SQL condition holds). @returns whether this call moved the row
   */
  private async compareAndSet(
    id: string,
    fromStatuses: readonly string[],
    set: { status: string | (() => string); attachStatus?: string },
    extraWhere?: { sql: string; params?: Record<string, unknown> },
  ): Promise<boolean> {
    return withWriteTransaction(this.ds, (q) => casVolume(q, id, fromStatuses, set, extraWhere));
  }

  /**
   * os-reserve: `available` (or `in-use` too for a multiattach volume) → `attaching`.
   * @throws InvalidVolumeError with Cinder's message (it prints the status the request read)
   */
  async reserve(vol: VolumeRecord): Promise<void> {
    const from = vol.multiattach ? ['available', 'in-use'] : ['available'];
    const ok = await this.compareAndSet(
      vol.id,
      from,
      { status: 'attaching' },
      {
        sql: 'multiattach = :multiattach',
        params: { multiattach: vol.multiattach },
      },
    );
    if (!ok) {
      throw new InvalidVolumeError(
        `Volume status must be ${orString(from)} to reserve, but the status is ${vol.status}.`,
      );
    }
  }

  /**
   * os-unreserve: `attaching` → `in-use` when the volume still has attachments, else `available`. A
   * volume not `attaching` is left alone without an error, as in Cinder.
   */
  async unreserve(vol: VolumeRecord): Promise<void> {
    await this.compareAndSet(vol.id, ['attaching'], {
      status: () => `CASE WHEN ${HAS_ATTACHMENTS_SQL} THEN 'in-use' ELSE 'available' END`,
    });
  }

  /**
   * os-begin_detaching: `in-use` and `attached` → `detaching`, unless a migration is under way (then
   * the volume keeps its status and the call still succeeds, as in Cinder).
   * @throws InvalidVolumeError
   */
  async beginDetaching(vol: VolumeRecord): Promise<void> {
    const ok = await this.compareAndSet(
      vol.id,
      ['in-use'],
      { status: 'detaching' },
      {
        sql: 'attach_status = :attached AND (migration_status IS NULL OR migration_status IN (:...migrationDone))',
        params: { attached: 'attached', migrationDone: [...AVAILABLE_MIGRATION_STATUS] },
      },
    );
    const migrating =
      vol.migrationStatus !== null &&
      !(AVAILABLE_MIGRATION_STATUS as readonly string[]).includes(vol.migrationStatus);
    if (!ok && !migrating) {
      throw new InvalidVolumeError(
        "Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.",
      );
    }
  }

  /** os-roll_detaching: `detaching` → `in-use`; any other status is left alone, as in Cinder. */
  async rollDetaching(vol: VolumeRecord): Promise<void> {
    await this.compareAndSet(vol.id, ['detaching'], { status: 'in-use' });
  }

  /**
   * os-attach (Cinder's `API.attach`): refused in maintenance and, for a read-only volume, in any mode
   * but `ro` (the volume's readonly flag is set to False first when it was never set, as Cinder adds
   * that admin metadata); then the volume service attaches it.
   * @throws InvalidVolumeError, InvalidAttachModeError, BadRequestParameterError (the service's refusals)
   */
  async attach(
    ctx: VolumeRpcContext,
    vol: VolumeRecord,
    args: Omit<AttachVolumeArgs, 'volumeId'>,
  ): Promise<void> {
    if (vol.status === 'maintenance')
      throw new InvalidVolumeError('The volume cannot be attached in maintenance mode.');
    const host = hostOf(vol);
    const ro: { readonly: unknown }[] = await withWriteTransaction(this.ds, async (q) => {
      await q.query('UPDATE volumes SET readonly = 0 WHERE id = ? AND deleted = 0 AND readonly IS NULL', [
        vol.id,
      ]);
      return q.query('SELECT readonly FROM volumes WHERE id = ?', [vol.id]);
    });
    const readonly = ro[0] !== undefined && dbFlag(ro[0].readonly);
    if (readonly && args.mode !== 'ro') throw new InvalidAttachModeError(args.mode, vol.id);
    try {
      await this.rpc.attachVolume(ctx, host, { ...args, volumeId: vol.id });
    } catch (err) {
      const refused = remoteRefusal(err, ['InvalidVolume', 'InvalidUUID', 'InvalidVolumeAttachMode']);
      if (refused === null) throw err;
      throw new BadRequestParameterError(
        'os-attach',
        `Error attaching volume - ${refused.type}: ${refused.message}`,
      );
    }
  }

  /**
   * os-detach (Cinder's `API.detach`): refused in maintenance; then the volume service detaches.
   * @throws InvalidVolumeError, BadRequestParameterError (the service's refusals)
   */
  async detach(ctx: VolumeRpcContext, vol: VolumeRecord, attachmentId: string | null): Promise<void> {
    if (vol.status === 'maintenance')
      throw new InvalidVolumeError('The volume cannot be detached in maintenance mode.');
    const host = hostOf(vol);
    try {
      await this.rpc.detachVolume(ctx, host, vol.id, attachmentId);
    } catch (err) {
      const refused = remoteRefusal(err, ['VolumeAttachmentNotFound', 'InvalidVolume']);
      if (refused === null) throw err;
      throw new BadRequestParameterError(
        'os-detach',
        `Error detaching volume - ${refused.type}: ${refused.message}`,
      );
    }
  }

  /**
   * os-initialize_connection (Cinder's `API.initialize_connection`): refused in maintenance; then the
   * volume service's call. @throws InvalidVolumeError, VolumeConnectionFailedError (500)
   */
  async initializeConnection(
    ctx: VolumeRpcContext,
    vol: VolumeRecord,
    connector: unknown,
  ): Promise<ConnectionInfo> {
    if (vol.status === 'maintenance') {
      throw new InvalidVolumeError('The volume connection cannot be initialized in maintenance mode.');
    }
    const host = hostOf(vol);
    try {
      return await this.rpc.initializeConnection(ctx, host, vol.id, connector);
    } catch (err) {
      if (isBackendFailure(err))
        throw new VolumeConnectionFailedError('Unable to fetch connection information from backend.', {
          cause: err,
        });
      throw err;
    }
  }

  /**
   * os-terminate_connection (Cinder's `API.terminate_connection`): the volume service's call, then
   * os-unreserve (a volume still `attaching` goes back). @throws VolumeConnectionFailedError (500)
   */
  async terminateConnection(ctx: VolumeRpcContext, vol: VolumeRecord, connector: unknown): Promise<void> {
    const host = hostOf(vol);
    try {
      await this.rpc.terminateConnection(ctx, host, vol.id, connector, false);
    } catch (err) {
      if (isBackendFailure(err))
        throw new VolumeConnectionFailedError('Unable to terminate volume connection from backend.', {
          cause: err,
        });
      throw err;
    }
    await this.unreserve(vol);
  }
}

/** Cinder's `InvalidVolumeAttachMode` (400): a read-only volume attached in another mode than `ro`. */
export class InvalidAttachModeError extends InvalidVolumeError {
  constructor(
    readonly mode: string,
    readonly volumeId: string,
  ) {
    super('');
    this.message = `Invalid attaching mode '${mode}' for volume ${volumeId}.`;
  }
}
