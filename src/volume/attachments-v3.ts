/**
 * Cinder's attachments API (microversion 3.27+, `os-complete` 3.44): `attachment_create`,
 * `attachment_update`, `attachment_delete` and the controller's completion, on the `volume_attachment`
 * rows the legacy attach actions use too.
 *
 * Each state change is a conditional UPDATE (compare-and-set) inside one transaction with its
 * attachment row, so of two racing requests one wins: a non-multiattach volume is reserved once
 * (`available` → `reserved`), an attachment deleted meanwhile is not completed or connected, and the
 * volume's status after a delete is computed from the attachments left in the same statement.
 */
import { v4 as uuidv4 } from 'uuid';
import type { DataSource } from 'typeorm';
import { VolumeAttachmentEntity } from '../db/entities';
import { dbDate, dbFlag, dbFlavor, parseDbDate } from '../db/sql';
import { withWriteTransaction } from '../db/transaction';
import { InvalidVolumeError, type VolumeRecord, type VolumeRpcContext } from '../tasks/volume';
import { casVolume, type ConnectionInfo } from './attach-manager';
import { VolumeConnectionFailedError, orString, type VolumeAttachments } from './attach';

/** Cinder's `VolumeAttachmentNotFound` as `get_by_id` raises it (404). */
export class AttachmentNotFoundError extends Error {
  readonly code = 'ATTACHMENT_NOT_FOUND';
  constructor(readonly attachmentId: string) {
    super(`Volume attachment could not be found with filter: attachment_id = ${attachmentId}.`);
    this.name = 'AttachmentNotFoundError';
  }
}

/**
 * A failed attachment create or update that Cinder's controller turns into its own 500 text
 * ("Unable to create attachment for volume (…)." / "Unable to update attachment.(…).").
 */
export class AttachmentRequestFailedError extends Error {
  readonly code = 'ATTACHMENT_REQUEST_FAILED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AttachmentRequestFailedError';
  }
}

/** One `volume_attachment` row, with the project of its volume. */
export interface AttachmentRecord {
  readonly id: string;
  readonly volumeId: string;
  readonly projectId: string;
  readonly instanceUuid: string | null;
  readonly attachStatus: string;
  readonly attachMode: string | null;
  readonly attachTime: Date | null;
  readonly detachTime: Date | null;
  readonly connectionInfo: unknown;
}

/** What a list asks for (validated by the API layer). */
export interface AttachmentListOptions {
  /** null: every project (admin, all_tenants). */
  readonly projectId: string | null;
  /** Equality on attachment columns. */
  readonly filters: Readonly<Record<string, string>>;
  /** A filter no attachment can match (Cinder answers an empty list). */
  readonly matchesNothing: boolean;
  readonly limit: number;
  readonly marker: string | null;
  readonly offset: number;
  readonly sortKeys: readonly string[];
  readonly sortDirs: readonly ('asc' | 'desc')[];
}

/** Columns a list may filter and sort on. */
export const ATTACHMENT_COLUMNS: readonly string[] = [
  'id',
  'volume_id',
  'instance_uuid',
  'attached_host',
  'mountpoint',
  'attach_time',
  'detach_time',
  'attach_mode',
  'attach_status',
  'created_at',
  'updated_at',
];

/** The caller, as the attachments calls need it. */
export interface AttachmentCaller {
  readonly isAdmin: boolean;
  readonly projectId: string;
}

const SELECT_ATTACHMENT =
  'SELECT a.id, a.volume_id, a.instance_uuid, a.attach_status, a.attach_mode, a.attach_time, a.detach_time, ' +
  'a.connection_info, a.created_at, v.project_id FROM volume_attachment a JOIN volumes v ON v.id = a.volume_id';

function recordOf(r: Record<string, unknown>): AttachmentRecord {
  const date = (v: unknown): Date | null => (v === null || v === undefined ? null : parseDbDate(v));
  let info: unknown = null;
  if (typeof r.connection_info === 'string' && r.connection_info !== '') {
    try {
      info = JSON.parse(r.connection_info);
    } catch {
      info = null; // not written by us; show none rather than fail the read
    }
  }
  return {
    id: String(r.id),
    volumeId: String(r.volume_id),
    projectId: String(r.project_id),
    instanceUuid: r.instance_uuid === null || r.instance_uuid === undefined ? null : String(r.instance_uuid),
    attachStatus: String(r.attach_status),
    attachMode: r.attach_mode === null || r.attach_mode === undefined ? null : String(r.attach_mode),
    attachTime: date(r.attach_time),
    detachTime: date(r.detach_time),
    connectionInfo: info,
  };
}

/**
 * The volume's status and attach status from its live attachments (Cinder's `volume_detached`): an
 * attached one makes it `in-use`, else attaching, detaching, reserved; with none left it is
 * `available` (unless a migration or an upload hides the change) and `detached`.
 */
function settleVolumeSql(): string {
  const has = (status: string): string =>
    `EXISTS (SELECT 1 FROM volume_attachment x WHERE x.volume_id = volumes.id AND x.deleted = 0 AND x.attach_status = '${status}')`;
  return `status = CASE WHEN ${has('attached')} THEN 'in-use'
                        WHEN ${has('attaching')} THEN 'attaching'
                        WHEN ${has('detaching')} THEN 'detaching'
                        WHEN ${has('reserved')} THEN 'reserved'
                        WHEN (migration_status IS NULL OR migration_status = '') AND status <> 'uploading' THEN 'available'
                        ELSE status END,
          attach_status = CASE WHEN ${has('attached')} THEN 'attached'
                               WHEN ${has('attaching')} THEN 'attaching'
                               WHEN ${has('detaching')} THEN 'detaching'
                               WHEN ${has('reserved')} THEN 'reserved'
                               ELSE 'detached' END`;
}

export class VolumeAttachmentsV3 {
  constructor(
    private readonly ds: DataSource,
    /** The legacy attach calls: the volume service's initialize/terminate connection. */
    private readonly legacy: VolumeAttachments,
  ) {}

  /** The attachment if the caller may see it. @throws AttachmentNotFoundError */
  async get(caller: AttachmentCaller, id: string): Promise<AttachmentRecord> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `${SELECT_ATTACHMENT} WHERE a.id = ? AND a.deleted = 0`,
      [id],
    );
    const row = rows[0];
    if (row === undefined) throw new AttachmentNotFoundError(id);
    const rec = recordOf(row);
    if (!caller.isAdmin && rec.projectId !== caller.projectId) throw new AttachmentNotFoundError(id);
    return rec;
  }

  /** The live attachments of a volume, oldest first (Cinder's `volume.volume_attachment`). */
  async ofVolume(volumeId: string): Promise<AttachmentRecord[]> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `${SELECT_ATTACHMENT} WHERE a.volume_id = ? AND a.deleted = 0 ORDER BY a.created_at, a.id`,
      [volumeId],
    );
    return rows.map(recordOf);
  }

  /** GET /attachments(/detail). @throws AttachmentNotFoundError (an unknown marker) */
  async list(caller: AttachmentCaller, opts: AttachmentListOptions): Promise<AttachmentRecord[]> {
    if (opts.matchesNothing) return [];
    const where: string[] = ['a.deleted = 0'];
    const params: unknown[] = [];
    if (opts.projectId !== null) {
      where.push('v.project_id = ?');
      params.push(opts.projectId);
    }
    for (const [key, value] of Object.entries(opts.filters)) {
      if (!ATTACHMENT_COLUMNS.includes(key)) return [];
      where.push(`a.${key} = ?`);
      params.push(value);
    }
    const keys = [...opts.sortKeys.filter((k) => ATTACHMENT_COLUMNS.includes(k))];
    const dirs = opts.sortKeys
      .map((k, i) => ({ k, d: opts.sortDirs[i] ?? 'desc' }))
      .filter((x) => ATTACHMENT_COLUMNS.includes(x.k))
      .map((x) => x.d);
    if (!keys.includes('id')) {
      keys.push('id');
      dirs.push(dirs[0] ?? 'desc');
    }
    if (opts.marker !== null) {
      // Keyset paging on the sort keys, as oslo.db's paginate_query.
      const marker = await this.get(caller, opts.marker);
      const markerRows: Record<string, unknown>[] = await this.ds.query(
        `SELECT ${keys.map((k) => `a.${k} AS ${k}`).join(', ')} FROM volume_attachment a WHERE a.id = ?`,
        [marker.id],
      );
      const m = markerRows[0]!;
      const ors: string[] = [];
      keys.forEach((k, i) => {
        const eq = keys.slice(0, i).map((p) => `a.${p} = ?`);
        const op = dirs[i] === 'asc' ? '>' : '<';
        ors.push(`(${[...eq, `a.${k} ${op} ?`].join(' AND ')})`);
        params.push(...keys.slice(0, i).map((p) => m[p]), m[k]);
      });
      where.push(`(${ors.join(' OR ')})`);
    }
    const order = keys.map((k, i) => `a.${k} ${dirs[i] === 'asc' ? 'ASC' : 'DESC'}`).join(', ');
    const rows: Record<string, unknown>[] = await this.ds.query(
      `${SELECT_ATTACHMENT} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ? OFFSET ?`,
      [...params, opts.limit, opts.offset],
    );
    return rows.map(recordOf);
  }

  /**
   * attachment_create: refuses a volume in an error state; reserves the volume (`reserved`, a
   * compare-and-set on the statuses Cinder allows, unless the instance already holds an attachment of
   * it) and inserts a `reserved` attachment in the same transaction; with a connector, connects it
   * (see {@link update}).
   * @returns the attachment as Cinder's answer shows it: as reserved, with the connection info
   * @throws InvalidVolumeError (400), AttachmentRequestFailedError (500)
   */
  async create(
    ctx: VolumeRpcContext,
    vol: VolumeRecord,
    instanceUuid: string | null,
    connector: Record<string, unknown> | null,
    mode: string,
  ): Promise<AttachmentRecord> {
    if (vol.status.includes('error')) {
      throw new InvalidVolumeError(
        `Volume attachments can not be created if the volume is in an error state. The Volume ${vol.id} currently has a status of: ${vol.status} `,
      );
    }
    const expected = vol.multiattach ? ['available', 'in-use', 'downloading'] : ['available', 'downloading'];
    const id = uuidv4();
    const now = new Date();
    const attachMode = await withWriteTransaction(this.ds, async (q) => {
      const reserved = await casVolume(
        q,
        vol.id,
        expected,
        { status: 'reserved' },
        { sql: 'multiattach = :multiattach', params: { multiattach: vol.multiattach } },
        now,
      );
      if (!reserved) {
        const cur: { status: string }[] = await q.query(
          'SELECT status FROM volumes WHERE id = ? AND deleted = 0',
          [vol.id],
        );
        let status = vol.status;
        let override = false;
        // Cinder lets an instance that already holds an attachment of the volume reserve it again
        // (an instance moving to another host).
        if (instanceUuid !== null && ['in-use', 'reserved'].includes(vol.status)) {
          status = cur[0]?.status ?? vol.status;
          const same: unknown[] = await q.query(
            'SELECT id FROM volume_attachment WHERE volume_id = ? AND instance_uuid = ? AND deleted = 0',
            [vol.id, instanceUuid],
          );
          override = same.length > 0;
        }
        if (!override) {
          throw new InvalidVolumeError(
            `Volume ${vol.id} status must be ${orString(expected)} to reserve, but the current status is ${status}.`,
          );
        }
      }
      // A read-only volume (its admin metadata) is attached `ro` whatever the request said, as Cinder.
      const ro: { readonly: unknown }[] = await q.query('SELECT readonly FROM volumes WHERE id = ?', [
        vol.id,
      ]);
      const readonly = ro[0] !== undefined && dbFlag(ro[0].readonly);
      const chosen = readonly ? 'ro' : mode;
      await q.query(
        'INSERT INTO volume_attachment (id, volume_id, instance_uuid, attach_mode, attach_status, connection_info, created_at, deleted) ' +
          "VALUES (?, ?, ?, ?, 'reserved', '{}', ?, 0)",
        [id, vol.id, instanceUuid, chosen, dbDate(this.ds, now)],
      );
      return chosen;
    });
    const reserved: AttachmentRecord = {
      id,
      volumeId: vol.id,
      projectId: vol.projectId,
      instanceUuid,
      attachStatus: 'reserved',
      attachMode,
      attachTime: null,
      detachTime: null,
      connectionInfo: {},
    };
    // Python's `if connector:` — an empty connector reserves only.
    if (connector === null || Object.keys(connector).length === 0) return reserved;
    try {
      const info = await this.connect(ctx, vol, reserved, connector);
      return { ...reserved, connectionInfo: info };
    } catch (err) {
      if (err instanceof InvalidVolumeError) throw err;
      throw new AttachmentRequestFailedError(
        `Unable to create attachment for volume (${failureText(err)}).`,
        { cause: err },
      );
    }
  }

  /**
   * attachment_update: refuses a volume in an error state, then connects the attachment.
   * @returns the attachment as read before the call, with the connection info (Cinder's answer)
   * @throws AttachmentRequestFailedError (500, Cinder's texts)
   */
  async update(
    ctx: VolumeRpcContext,
    vol: VolumeRecord,
    att: AttachmentRecord,
    connector: Record<string, unknown>,
  ): Promise<AttachmentRecord> {
    try {
      if (vol.status.includes('error')) {
        throw new InvalidVolumeError(
          `Volume attachments can not be updated if the volume is in an error state. The Volume ${vol.id} currently has a status of: ${vol.status} `,
        );
      }
      return { ...att, connectionInfo: await this.connect(ctx, vol, att, connector) };
    } catch (err) {
      throw new AttachmentRequestFailedError(`Unable to update attachment.(${failureText(err)}).`, {
        cause: err,
      });
    }
  }

  /**
   * The volume service's `attachment_update`: the connection info for the connector (its `access_mode`
   * the attachment's mode, else the connector's, else `rw`), then, if the attachment is still there,
   * the attachment and the volume `attaching` (Cinder's `volume_attached` without marking attached).
   */
  private async connect(
    ctx: VolumeRpcContext,
    vol: VolumeRecord,
    att: AttachmentRecord,
    connector: Record<string, unknown>,
  ): Promise<ConnectionInfo> {
    const connectorMode = typeof connector.mode === 'string' ? connector.mode : 'rw';
    const mode = att.attachMode !== null && att.attachMode !== 'null' ? att.attachMode : connectorMode;
    const given = await this.legacy.initializeConnection(ctx, vol, { ...connector, mode });
    const info: ConnectionInfo = { ...given, data: { ...given.data, access_mode: mode } };
    const at = new Date();
    const now = dbDate(this.ds, at);
    const host = typeof connector.host === 'string' ? connector.host : '';
    const mountpoint = typeof connector.mountpoint === 'string' ? connector.mountpoint : 'na';
    await withWriteTransaction(this.ds, async (q) => {
      const res = await q.manager
        .createQueryBuilder()
        .update(VolumeAttachmentEntity)
        .set({
          attachStatus: 'attaching',
          connector: JSON.stringify({ ...connector, mode }),
          connectionInfo: JSON.stringify(info),
          attachMode: mode,
          attachTime: at,
          attachedHost: host,
          mountpoint,
          updatedAt: at,
        })
        .where('id = :id AND deleted = :no', { id: att.id, no: false })
        .execute();
      if ((res.affected ?? 0) !== 1) throw new AttachmentNotFoundError(att.id);
      await q.query(
        "UPDATE volumes SET status = 'attaching', attach_status = 'attaching', updated_at = ? WHERE id = ? AND deleted = 0",
        [now, vol.id],
      );
    });
    return info;
  }

  /**
   * os-complete: the attachment `attached` and its volume `in-use`/`attached`, both only while the
   * attachment is live. @throws AttachmentNotFoundError (deleted meanwhile)
   */
  async complete(att: AttachmentRecord): Promise<void> {
    const at = new Date();
    const now = dbDate(this.ds, at);
    await withWriteTransaction(this.ds, async (q) => {
      const res = await q.manager
        .createQueryBuilder()
        .update(VolumeAttachmentEntity)
        .set({ attachStatus: 'attached', updatedAt: at })
        .where('id = :id AND deleted = :no', { id: att.id, no: false })
        .execute();
      if ((res.affected ?? 0) !== 1) throw new AttachmentNotFoundError(att.id);
      await q.query(
        "UPDATE volumes SET status = 'in-use', attach_status = 'attached', updated_at = ? WHERE id = ? AND deleted = 0",
        [now, att.volumeId],
      );
    });
  }

  /**
   * attachment_delete: a connected attachment's connection is terminated by the volume service; then
   * the attachment is soft-deleted (`detached`) and the volume's status settled from the attachments
   * left, in one transaction with the volume row locked. A racing second delete finds the attachment
   * gone and only settles the volume, as Cinder.
   * @returns the volume's attachments left
   */
  async delete(ctx: VolumeRpcContext, vol: VolumeRecord, att: AttachmentRecord): Promise<AttachmentRecord[]> {
    if (att.attachStatus !== 'reserved' && vol.host !== null) {
      await this.legacy.terminateConnection(ctx, vol, null);
    }
    const now = dbDate(this.ds, new Date());
    const lock = dbFlavor(this.ds) === 'mysql' ? ' FOR UPDATE' : '';
    await withWriteTransaction(this.ds, async (q) => {
      await q.query(`SELECT id FROM volumes WHERE id = ?${lock}`, [vol.id]);
      await q.query(
        "UPDATE volume_attachment SET attach_status = 'detached', detach_time = ?, deleted = 1, deleted_at = ?, updated_at = ? WHERE id = ? AND deleted = 0",
        [now, now, now, att.id],
      );
      await q.query(`UPDATE volumes SET ${settleVolumeSql()}, updated_at = ? WHERE id = ? AND deleted = 0`, [
        now,
        vol.id,
      ]);
    });
    return this.ofVolume(vol.id);
  }
}

/** Cinder's `ex.msg` of a CinderException the controller wraps. */
function failureText(err: unknown): string {
  if (err instanceof VolumeConnectionFailedError) {
    return `Bad or unexpected response from the storage volume backend API: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
