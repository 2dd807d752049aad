/**
 * The volume service's side of Cinder's legacy attach (`VolumeManager.attach_volume` / `detach_volume`
 * / `initialize_connection` / `terminate_connection`), reached over RPC calls from the API. The
 * attachment bookkeeping is the database's: each state change is one conditional UPDATE inside one
 * transaction with its `volume_attachment` row, so a racing copy cannot attach a non-multiattach
 * volume twice or leave its status behind its attachments.
 */
import { v4 as uuidv4 } from 'uuid';
import type { DataSource, QueryRunner } from 'typeorm';
import { VolumeEntity } from '../db/entities';
import { dbDate, dbFlag } from '../db/sql';
import { withWriteTransaction } from '../db/transaction';
import { InvalidRpcMessageError } from '../rpc/errors';
import { InvalidVolumeError, VolumeNotFoundError } from '../tasks/volume';

/** What os-attach asks for (validated by the API). */
export interface AttachVolumeArgs {
  readonly volumeId: string;
  readonly instanceUuid: string | null;
  readonly hostName: string | null;
  readonly mountpoint: string;
  readonly mode: 'rw' | 'ro';
}

/** What os-initialize_connection answers in `connection_info` (Cinder's `conn_info`). */
export interface ConnectionInfo {
  readonly driver_volume_type: string;
  readonly data: Record<string, unknown>;
}

/**
 * How a backend's volumes are reached by a host: a driver keeping a volume as a file on this node
 * (the FileDriver's `pathOf`) answers os-brick's `local` type with the file as the device path.
 */
export type ConnectionSource = (volumeId: string) => ConnectionInfo;

/** The connection source of a driver, or undefined when it offers none (Cinder's `VolumeBackendAPIException`). */
export function connectionSourceOf(driver: object): ConnectionSource | undefined {
  const pathOf = (driver as { pathOf?: unknown }).pathOf;
  if (typeof pathOf !== 'function') return undefined;
  return (volumeId) => ({
    driver_volume_type: 'local',
    data: { device_path: String(pathOf.call(driver, volumeId)) },
  });
}

/** The backend cannot give connection information (Cinder's `VolumeBackendAPIException`; a 500 at the API). */
export class VolumeConnectionError extends Error {
  readonly code = 'VOLUME_CONNECTION_ERROR';
  constructor(readonly volumeId: string) {
    super(`The volume backend offers no connection to volume ${volumeId}.`);
    this.name = 'VolumeConnectionError';
  }
}

/** The `attach_volume` call's arguments as the RPC server received them. @throws InvalidRpcMessageError */
export function attachArgsOf(args: Record<string, unknown>): AttachVolumeArgs {
  const optStr = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const { volumeId, mountpoint, mode } = args;
  if (typeof volumeId !== 'string' || typeof mountpoint !== 'string' || (mode !== 'rw' && mode !== 'ro')) {
    throw new InvalidRpcMessageError('attach_volume needs a volumeId, a mountpoint and a mode');
  }
  return {
    volumeId,
    instanceUuid: optStr(args.instanceUuid),
    hostName: optStr(args.hostName),
    mountpoint,
    mode,
  };
}

/** Live attachments still counting (Cinder's `volume_has_attachments_filter`), for UPDATE volumes. */
export const HAS_ATTACHMENTS_SQL =
  "EXISTS (SELECT 1 FROM volume_attachment a WHERE a.volume_id = volumes.id AND a.deleted = 0 AND a.attach_status <> 'detached')";

/**
 * One compare-and-set on a live volume row, inside the caller's transaction: `set` when its status is
 * one of `fromStatuses` (and `extraWhere` holds). @returns whether this call moved the row
 */
export async function casVolume(
  q: QueryRunner,
  id: string,
  fromStatuses: readonly string[],
  set: { status: string | (() => string); attachStatus?: string },
  extraWhere?: { sql: string; params?: Record<string, unknown> },
  now: Date = new Date(),
): Promise<boolean> {
  let qb = q.manager
    .createQueryBuilder()
    .update(VolumeEntity)
    .set({ ...set, updatedAt: now })
    .where('id = :id AND deleted = :no', { id, no: false })
    .andWhere('status IN (:...fromStatuses)', { fromStatuses: [...fromStatuses] });
  if (extraWhere !== undefined) qb = qb.andWhere(extraWhere.sql, extraWhere.params ?? {});
  const res = await qb.execute();
  return (res.affected ?? 0) === 1;
}

/** Cinder's `sanitize_hostname`: what is kept of a host name in `attached_host`. */
export function sanitizeHostname(name: string): string {
  return name
    .replace(/[ _]/g, '-')
    .replace(/[^\w.-]/g, '')
    .toLowerCase()
    .replace(/^[.-]+|[.-]+$/g, '');
}

interface VolumeRow {
  status: string;
  multiattach: unknown;
  migration_status: string | null;
  readonly: unknown;
  encryption_key_id: string | null;
}

export class VolumeAttachManager {
  constructor(
    private readonly ds: DataSource,
    private readonly connection?: ConnectionSource,
  ) {}

  /** `q`: the transaction the read belongs to, when the caller is in one. */
  private async volumeRow(volumeId: string, q?: QueryRunner): Promise<VolumeRow> {
    const rows: VolumeRow[] = await (q ?? this.ds).query(
      'SELECT status, multiattach, migration_status, readonly, encryption_key_id FROM volumes WHERE id = ? AND deleted = 0',
      [volumeId],
    );
    const row = rows[0];
    if (row === undefined) throw new VolumeNotFoundError(volumeId);
    return row;
  }

  /**
   * attach_volume: an instance (or host) already holding an attachment of the volume gets it back and
   * the volume goes `in-use`; otherwise a non-multiattach volume already `in-use` is refused, and the
   * volume goes `in-use`/`attached` from `available` or `attaching` with one new `attached` row.
   * @returns the attachment's id
   * @throws InvalidVolumeError
   */
  async attachVolume(args: AttachVolumeArgs): Promise<string> {
    const host = args.hostName === null ? null : sanitizeHostname(args.hostName);
    return withWriteTransaction(this.ds, async (q) => {
      const now = new Date();
      const known: { id: string }[] = await q.query(
        args.instanceUuid !== null
          ? 'SELECT id FROM volume_attachment WHERE volume_id = ? AND instance_uuid = ? AND deleted = 0'
          : 'SELECT id FROM volume_attachment WHERE volume_id = ? AND attached_host = ? AND deleted = 0',
        [args.volumeId, args.instanceUuid ?? host],
      );
      if (known[0] !== undefined) {
        await q.query("UPDATE volumes SET status = 'in-use', updated_at = ? WHERE id = ? AND deleted = 0", [
          dbDate(this.ds, now),
          args.volumeId,
        ]);
        return known[0].id;
      }
      // The compare-and-set: only one request moves a non-multiattach volume to in-use.
      const res = await q.manager
        .createQueryBuilder()
        .update(VolumeEntity)
        .set({ status: 'in-use', attachStatus: 'attached', updatedAt: now })
        .where('id = :id AND deleted = :no', { id: args.volumeId, no: false })
        .andWhere("(status IN ('available', 'attaching') OR (status = 'in-use' AND multiattach = :yes))", {
          yes: true,
        })
        .execute();
      if ((res.affected ?? 0) !== 1) {
        const vol = await this.volumeRow(args.volumeId, q);
        if (vol.status === 'in-use') {
          throw new InvalidVolumeError('volume is already attached and multiple attachments are not enabled');
        }
        throw new InvalidVolumeError(
          `Volume status must be available or attaching to attach, but the status is ${vol.status}.`,
        );
      }
      const id = uuidv4();
      await q.query(
        'INSERT INTO volume_attachment (id, volume_id, instance_uuid, attached_host, mountpoint, attach_time, attach_mode, attach_status, created_at, deleted) ' +
          "VALUES (?, ?, ?, ?, ?, ?, ?, 'attached', ?, 0)",
        [
          id,
          args.volumeId,
          args.instanceUuid,
          host,
          args.mountpoint,
          dbDate(this.ds, now),
          args.mode,
          dbDate(this.ds, now),
        ],
      );
      return id;
    });
  }

  /**
   * detach_volume: marks the attachment `detached` (soft-deleted) and puts the volume `available` and
   * `detached` when it was the last one, `in-use` otherwise. Without an attachment id the volume's only
   * attachment is meant; an attachment already gone still settles the volume's status, as Cinder.
   * @throws InvalidVolumeError (several attachments and no id)
   */
  async detachVolume(volumeId: string, attachmentId: string | null): Promise<void> {
    await withWriteTransaction(this.ds, async (q) => {
      await this.volumeRow(volumeId, q);
      let id = attachmentId;
      if (id === null) {
        const live: { id: string }[] = await q.query(
          'SELECT id FROM volume_attachment WHERE volume_id = ? AND deleted = 0',
          [volumeId],
        );
        if (live.length > 1) {
          throw new InvalidVolumeError(
            'Detach volume failed: More than one attachment, but no attachment_id provided.',
          );
        }
        id = live[0]?.id ?? null;
      }
      const now = dbDate(this.ds, new Date());
      if (id !== null) {
        await q.query(
          "UPDATE volume_attachment SET attach_status = 'detached', detach_time = ?, deleted = 1, deleted_at = ? WHERE id = ? AND volume_id = ? AND deleted = 0",
          [now, now, id, volumeId],
        );
      }
      // A migration or an upload in progress keeps the status the user sees, as Cinder's volume_detached.
      await q.query(
        `UPDATE volumes SET
           status = CASE WHEN ${HAS_ATTACHMENTS_SQL} THEN 'in-use'
                         WHEN (migration_status IS NULL AND status <> 'uploading') OR migration_status IN ('success', 'error') THEN 'available'
                         ELSE status END,
           attach_status = CASE WHEN ${HAS_ATTACHMENTS_SQL} THEN 'attached' ELSE 'detached' END,
           updated_at = ?
         WHERE id = ? AND deleted = 0`,
        [now, volumeId],
      );
    });
  }

  /**
   * initialize_connection: the driver's connection info, completed as Cinder's
   * `_parse_connection_options` does: `access_mode` (the attachment's mode, else `ro` for a read-only
   * volume, else `rw`), `encrypted` and `qos_specs` (none here).
   * @throws VolumeNotFoundError, VolumeConnectionError
   */
  async initializeConnection(volumeId: string): Promise<ConnectionInfo> {
    const vol = await this.volumeRow(volumeId);
    if (this.connection === undefined) throw new VolumeConnectionError(volumeId);
    const info = this.connection(volumeId);
    const modes: { attach_mode: string | null }[] = await this.ds.query(
      "SELECT attach_mode FROM volume_attachment WHERE volume_id = ? AND deleted = 0 AND attach_status = 'attached' ORDER BY attach_time",
      [volumeId],
    );
    const readonly = dbFlag(vol.readonly);
    const data: Record<string, unknown> = { ...info.data, qos_specs: null };
    data.access_mode = modes[0]?.attach_mode ?? (readonly ? 'ro' : 'rw');
    if (data.encrypted === undefined) data.encrypted = vol.encryption_key_id !== null;
    return { driver_volume_type: info.driver_volume_type, data };
  }

  /**
   * terminate_connection: a local (file) connection holds nothing on the backend, so there is nothing
   * to undo; the volume must exist. @throws VolumeNotFoundError
   */
  async terminateConnection(volumeId: string): Promise<void> {
    await this.volumeRow(volumeId);
  }
}
