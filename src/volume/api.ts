/**
 * VolumeAPI, the service layer behind the HTTP routes (Cinder's `cinder/volume/api.py`): create runs the
 * volume:create flow on the engine; reads apply project isolation (others' volumes are "not found");
 * delete refuses the states Cinder refuses; extend runs the volume:extend flow; quotas, limits, types and
 * availability zones. It knows nothing about HTTP.
 */
import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';
import type { DataSource, QueryRunner } from 'typeorm';
import { Engine } from '../taskflow';
import { dbDate, dbFlag, parseDbDate } from '../db/sql';
import {
  ServiceEntity,
  SnapshotEntity,
  VolumeEntity,
  VolumeTypeEntity,
  VolumeTypeExtraSpecEntity,
} from '../db/entities';
import { withWriteTransaction } from '../db/transaction';
import type { QuotaEngine, QuotaUsageView } from '../quota';
import { createVolumeStore, sharedCreateVolumeFlow } from '../flows/create-volume';
import { extendVolumeFlow } from '../flows/extend-volume';
import {
  BackupNotFoundError,
  InvalidSnapshotError,
  reservePerType,
  translateOverQuota,
  ImageNotFoundError,
  InvalidVolumeError,
  SnapshotNotFoundError,
  VolumeInvalidInputError,
  VolumeMetadataNotFoundError,
  VolumeNotFoundError,
  VolumeTypeExistsError,
  VolumeTypeInUseError,
  VolumeTypeNotFoundError,
  rpcContextOf,
  type OnFailureLogger,
  type SnapshotRef,
  type SourceVolumeRef,
  type VolumeFlowContext,
  type VolumeRecord,
  type VolumeRpcContext,
  type VolumeScheduler,
} from '../tasks/volume';
import {
  SnapshotMetadataNotFoundError,
  VolumeTypeDefaultDeletionError,
  VolumeTypeExtraSpecsNotFoundError,
  VolumeTypeRequestRefusedError,
  VolumeTypeSpecsInUseError,
} from './errors';
import { VolumeAttachments, attachmentsOf, type AttachmentView, type VolumeAttachRpc } from './attach';
import { ResourceMetadata, SNAPSHOT_METADATA } from './resource-metadata';
import { VOLUME_STATUSES } from './statuses';
import { VolumeDb, type VolumeTypeRecord } from './volume-db';

export type { VolumeScheduler, VolumeRpcContext } from '../tasks/volume';

/**
 * The volume service's RPC API as the VolumeAPI sees it (casts to topic `volume.<host>`), implemented by
 * `src/volume/rpc-api.ts`. Both are casts: they resolve once the message is handed to the transport.
 */
export interface VolumeBackendRpc {
  /**
   * The volume is already `deleting` (set by the API), and so are its snapshots on a cascade delete. The
   * service deletes those snapshots (each with its quota), then the volume through its driver, then
   * soft-deletes the row (and its metadata) and gives its quota back (volumes −1, gigabytes −size, per
   * type too); on a driver failure it sets `error_deleting`.
   */
  deleteVolume(ctx: VolumeRpcContext, host: string, volumeId: string): Promise<void>;
  /**
   * The volume is already `extending` and `reservations` hold the extra gigabytes. The service extends it
   * through its driver, then sets `size = newSizeGb`, status `available` and commits the reservations; on
   * a failure it rolls them back and sets `error_extending`.
   */
  extendVolume(
    ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    newSizeGb: number,
    reservations: string[],
  ): Promise<void>;
}

/**
 * Snapshot casts to a volume's host (optional: without it, snapshot create/delete answer that snapshots
 * are not supported here). The volume service implements them next to {@link VolumeBackendRpc}.
 */
export interface VolumeSnapshotRpc {
  /**
   * The snapshot row exists (`creating`) and its quota (snapshots +1, gigabytes +volume size) is
   * committed. The service snapshots the volume, then sets `available` (or `error`).
   */
  createSnapshot(ctx: VolumeRpcContext, host: string, snapshotId: string): Promise<void>;
  /**
   * The snapshot is already `deleting`. The service deletes it, soft-deletes the row and gives its quota
   * back (snapshots −1, gigabytes −size, per type too); on failure it sets `error_deleting`.
   */
  deleteSnapshot(ctx: VolumeRpcContext, host: string, snapshotId: string): Promise<void>;
}

/** Who calls (structurally the API's RequestContext). */
export interface VolumeApiContext {
  readonly requestId: string;
  readonly userId: string;
  readonly projectId: string;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
}

/** A create request (structurally the API's validated VolumeCreateRequest). */
export interface VolumeCreateInput {
  readonly size: number | null;
  readonly name: string | null;
  readonly description: string | null;
  readonly volumeType: string | null;
  readonly availabilityZone: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly snapshotId: string | null;
  readonly sourceVolid: string | null;
  readonly backupId: string | null;
  readonly imageRef: string | null;
  readonly schedulerHints: Readonly<Record<string, unknown>> | null;
}

/** A volume with what its views need besides the row. */
export interface VolumeWithExtras {
  readonly volume: VolumeRecord;
  readonly volumeTypeName: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** The `attached` attachments (the views' `attachments`). */
  readonly attachments?: readonly AttachmentView[];
}

/** List options (already validated by the API layer). */
export interface VolumeListOptions {
  /** The project whose volumes to list; null lists every project (admin, all_tenants). */
  readonly projectId: string | null;
  readonly limit: number;
  readonly marker: string | null;
  readonly offset: number;
  readonly sortKeys: readonly string[];
  readonly sortDirs: readonly ('asc' | 'desc')[];
  readonly filters: {
    readonly status?: string;
    readonly name?: string;
    readonly availabilityZone?: string;
    readonly metadata?: Readonly<Record<string, string>>;
    /** Equality on volume columns (names as Cinder's filters: `display_name`, `size`, `host` …). */
    readonly columns?: Readonly<Record<string, string | boolean>>;
    /** The caller filtered on something no volume has (Cinder answers an empty list). */
    readonly matchesNothing?: boolean;
  };
  /** Also count every match (with_count). */
  readonly withCount?: boolean;
}

export interface VolumeApiOptions {
  readonly defaultVolumeType: string;
  readonly defaultAvailabilityZone: string;
  /** The binary name volume services register under. @default 'cinder-volume' */
  readonly volumeBinary?: string;
  readonly log?: OnFailureLogger;
  /** Snapshot casts; without them snapshot create/delete are refused with a clear 400. */
  readonly snapshots?: VolumeSnapshotRpc;
  /** The volume service's attach calls; without them os-attach/os-detach are done in this process. */
  readonly attach?: VolumeAttachRpc;
}

/** Which snapshots a list or count covers. */
export interface SnapshotFilter {
  /** null: every project (admin, all_tenants). */
  readonly projectId: string | null;
  readonly status?: string;
  readonly volumeId?: string;
  readonly name?: string;
}

/** A snapshot as the views read it. */
export interface SnapshotRecord {
  readonly id: string;
  readonly volumeId: string;
  readonly projectId: string;
  readonly userId: string;
  readonly status: string;
  readonly progress: string | null;
  readonly volumeSize: number;
  readonly volumeTypeId: string | null;
  readonly displayName: string | null;
  readonly displayDescription: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date | null;
}

/** Statuses Cinder lets a (scheduled) volume be deleted from. */
export const DELETABLE_STATUSES = [
  'available',
  'error',
  'error_restoring',
  'error_extending',
  'error_managing',
] as const;

const DELETE_REFUSED =
  'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be ' +
  'migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots ' +
  'after volume transfer.';

/** Every live snapshot status (os-force_delete starts from any). */
const SNAPSHOT_FORCE_DELETABLE = [
  'error',
  'available',
  'creating',
  'deleting',
  'updating',
  'error_deleting',
  'unmanaging',
  'backing-up',
  'restoring',
];

const DELETE_REFUSED_FORCED =
  'Volume must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be ' +
  'disassociated from snapshots after volume transfer.';

/** Sort keys of the API → volume columns (keys without a column here are ignored). */
const SORT_COLUMNS: Readonly<Record<string, string>> = {
  id: 'id',
  name: 'display_name',
  display_name: 'display_name',
  description: 'display_description',
  display_description: 'display_description',
  size: 'size',
  status: 'status',
  created_at: 'created_at',
  updated_at: 'updated_at',
  availability_zone: 'availability_zone',
  volume_type_id: 'volume_type_id',
  user_id: 'user_id',
  project_id: 'project_id',
  bootable: 'bootable',
  host: 'host',
  attach_status: 'attach_status',
  migration_status: 'migration_status',
  snapshot_id: 'snapshot_id',
  source_volid: 'source_volid',
};

/** List filters that are volume columns here (keys as Cinder's filters; values are column names). */
const FILTER_COLUMNS: Readonly<Record<string, string>> = {
  id: 'id',
  project_id: 'project_id',
  user_id: 'user_id',
  status: 'status',
  size: 'size',
  host: 'host',
  display_name: 'display_name',
  display_description: 'display_description',
  availability_zone: 'availability_zone',
  volume_type_id: 'volume_type_id',
  snapshot_id: 'snapshot_id',
  source_volid: 'source_volid',
  attach_status: 'attach_status',
  migration_status: 'migration_status',
  encryption_key_id: 'encryption_key_id',
  bootable: 'bootable',
  created_at: 'created_at',
  updated_at: 'updated_at',
};

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

interface RawVolumeRow {
  [column: string]: unknown;
}

/** A raw `volumes` row (either driver) → the record the views read. */
function recordOfRow(r: RawVolumeRow): VolumeRecord {
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  const dt = (v: unknown): string | null =>
    v === null || v === undefined ? null : isoMicros(parseDbDate(v));
  return {
    id: String(r.id),
    projectId: String(r.project_id),
    userId: String(r.user_id),
    size: Number(r.size),
    status: String(r.status),
    displayName: str(r.display_name),
    displayDescription: str(r.display_description),
    availabilityZone: str(r.availability_zone),
    volumeTypeId: str(r.volume_type_id),
    snapshotId: str(r.snapshot_id),
    sourceVolid: str(r.source_volid),
    host: str(r.host),
    bootable: dbFlag(r.bootable),
    encryptionKeyId: str(r.encryption_key_id),
    multiattach: dbFlag(r.multiattach),
    migrationStatus: str(r.migration_status),
    serviceUuid: r.host === null || r.host === undefined ? null : serviceUuidOf(String(r.host)),
    useQuota: r.use_quota === undefined || r.use_quota === null ? true : dbFlag(r.use_quota),
    createdAt: dt(r.created_at) ?? '',
    updatedAt: dt(r.updated_at),
  };
}

/**
 * The admin metadata a raw `volumes` row carries (`readonly`, set by os-update_readonly_flag), as
 * Cinder's `add_visible_admin_metadata` shows it among the volume's metadata ('True'/'False'), or null
 * when it was never set.
 */
function readonlyOfRow(r: RawVolumeRow): string | null {
  const v = r.readonly;
  if (v === null || v === undefined) return null;
  return dbFlag(v) ? 'True' : 'False';
}

/** Quota resources that carry a volume type's name (`<resource>_<type name>`). */
const PER_TYPE_QUOTA_RESOURCES = ['volumes', 'gigabytes', 'snapshots'] as const;
/** Quota tables with a `resource` column. */
const QUOTA_RESOURCE_TABLES = ['quotas', 'quota_classes', 'quota_usages', 'reservations'] as const;
/** Cinder's spelling of a true boolean extra spec. */
const IS_TRUE = '<is> True';

/** Namespace of the service uuids below (a fixed random uuid). */
const SERVICE_UUID_NAMESPACE = '6c3f4a52-8f0e-4d8e-9a55-3d0f1c2b7e41';

/**
 * Cinder's `service_uuid`: the uuid of the volume service (`host@backend`) holding the volume. Our
 * service records have no uuid column, so it is derived from the backend's name: stable, one per service.
 */
export function serviceUuidOf(host: string): string {
  const i = host.indexOf('#');
  return uuidv5(i < 0 ? host : host.slice(0, i), SERVICE_UUID_NAMESPACE);
}

/** A Date as Cinder prints a stored timestamp (`.mmm000`). */
function isoMicros(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000`;
}

export class VolumeAPI {
  readonly db: VolumeDb;
  /** The legacy attach state machine (os-reserve … os-detach). */
  readonly attachments: VolumeAttachments;
  /** volume:create, built once (its tasks keep no state of a run), so the engine compiles it once. */
  private readonly createFlow: ReturnType<typeof sharedCreateVolumeFlow>;
  private readonly snapshotMetadata: ResourceMetadata;

  constructor(
    private readonly ds: DataSource,
    readonly quotas: QuotaEngine,
    private readonly scheduler: VolumeScheduler,
    private readonly backend: VolumeBackendRpc,
    private readonly options: VolumeApiOptions,
  ) {
    this.db = new VolumeDb(ds, {
      defaultVolumeType: options.defaultVolumeType,
      defaultZone: options.defaultAvailabilityZone,
      ...(options.volumeBinary !== undefined ? { volumeBinary: options.volumeBinary } : {}),
    });
    this.snapshotMetadata = new ResourceMetadata(ds, SNAPSHOT_METADATA);
    this.attachments = new VolumeAttachments(ds, options.attach);
    this.createFlow = sharedCreateVolumeFlow({
      quotas,
      volumes: this.db,
      types: this.db,
      zones: this.db,
      scheduler,
      ...(options.log !== undefined ? { log: options.log } : {}),
    });
  }

  // ---- create -----------------------------------------------------------------------------------

  /**
   * Creates a volume: looks up the type, snapshot and source volume (404s), then runs volume:create.
   * Resolves once the flow has cast to the scheduler, with the volume as inserted (`creating`).
   * @throws the flow's domain errors (invalid input / zone 400, quota 413 …), after the flow reverted.
   */
  async create(
    ctx: VolumeApiContext,
    req: VolumeCreateInput,
    projectId: string = ctx.projectId,
  ): Promise<VolumeWithExtras> {
    const volumeType = req.volumeType === null ? null : await this.getTypeByNameOrId(req.volumeType);
    const snapshot = req.snapshotId === null ? null : await this.snapshotRef(ctx, req.snapshotId);
    const source = req.sourceVolid === null ? null : await this.sourceRef(ctx, req.sourceVolid);
    if ([snapshot, source, req.imageRef, req.backupId].filter((x) => x !== null).length > 1) {
      throw new VolumeInvalidInputError('May specify only one of backup, imageRef, snapshot, source volume');
    }
    if (req.imageRef !== null) throw new ImageNotFoundError(req.imageRef);
    if (req.backupId !== null) throw new BackupNotFoundError(req.backupId);

    const store = createVolumeStore({
      context: this.flowContext(ctx, projectId),
      size: req.size,
      name: req.name,
      description: req.description,
      availability_zone: req.availabilityZone,
      metadata: req.metadata,
      image_id: req.imageRef,
      snapshot,
      source_volume: source,
      volume_type: volumeType,
      scheduler_hints: req.schedulerHints,
    });
    const engine = new Engine(this.createFlow, { store });
    await engine.run();
    const volume = engine.storage.fetch('volume') as VolumeRecord;
    // Storage holds two `volume_type`s (the request's and ExtractRequest's); the row names the one used.
    const type = volume.volumeTypeId === null ? null : await this.db.findTypeById(volume.volumeTypeId);
    return { volume, volumeTypeName: type?.name ?? null, metadata: { ...req.metadata } };
  }

  /** The RPC context of a call made for `ctx` on a volume of `projectId`. */
  rpcContext(ctx: VolumeApiContext, projectId: string): VolumeRpcContext {
    return rpcContextOf({ ...this.flowContext(ctx, projectId), quota_committed: true });
  }

  private flowContext(ctx: VolumeApiContext, projectId: string): Omit<VolumeFlowContext, 'quota_committed'> {
    return {
      project_id: projectId,
      user_id: ctx.userId,
      is_admin: ctx.isAdmin,
      request_id: ctx.requestId,
      roles: [...ctx.roles],
    };
  }

  private async snapshotRef(ctx: VolumeApiContext, id: string): Promise<SnapshotRef> {
    const s = await this.db.findSnapshot(id);
    if (s === null || !(ctx.isAdmin || s.projectId === ctx.projectId)) throw new SnapshotNotFoundError(id);
    const vol = await this.db.findVolume(s.volumeId);
    return {
      id: s.id,
      volume_id: s.volumeId,
      volume_size: s.volumeSize,
      status: s.status,
      volume_type_id: s.volumeTypeId,
      availability_zone: vol?.availabilityZone ?? null,
      volume_host: vol?.host ?? null,
    };
  }

  private async sourceRef(ctx: VolumeApiContext, id: string): Promise<SourceVolumeRef> {
    const v = await this.getRecord(ctx, id);
    return {
      id: v.id,
      size: v.size,
      status: v.status,
      volume_type_id: v.volumeTypeId,
      availability_zone: v.availabilityZone,
      host: v.host,
    };
  }

  // ---- reads ------------------------------------------------------------------------------------

  /** The volume row, if the caller may see it. @throws VolumeNotFoundError */
  async getRecord(ctx: Pick<VolumeApiContext, 'isAdmin' | 'projectId'>, id: string): Promise<VolumeRecord> {
    return (await this.getRow(ctx, id)).rec;
  }

  private async getRow(
    ctx: Pick<VolumeApiContext, 'isAdmin' | 'projectId'>,
    id: string,
  ): Promise<{ rec: VolumeRecord; raw: RawVolumeRow }> {
    const rows: RawVolumeRow[] = UUID_RE.test(id)
      ? await this.ds.query('SELECT * FROM volumes WHERE id = ? AND deleted = 0', [id])
      : [];
    const row = rows[0];
    if (row === undefined) throw new VolumeNotFoundError(id);
    const rec = recordOfRow(row);
    if (!(ctx.isAdmin || rec.projectId === ctx.projectId)) throw new VolumeNotFoundError(id);
    return { rec, raw: row };
  }

  /** GET /volumes/{id}. @throws VolumeNotFoundError */
  async get(ctx: VolumeApiContext, id: string): Promise<VolumeWithExtras> {
    const { rec, raw } = await this.getRow(ctx, id);
    return (await this.withExtras([rec], [raw]))[0]!;
  }

  /**
   * The views' extras: the type's name and the metadata, with the user-visible admin metadata
   * (`readonly`) of the raw rows merged in over a user key of the same name, as Cinder shows it.
   */
  private async withExtras(
    vols: readonly VolumeRecord[],
    raws: readonly RawVolumeRow[] = [],
  ): Promise<VolumeWithExtras[]> {
    const ids = vols.map((v) => v.id);
    const [meta, types, attached] = await Promise.all([
      this.db.metadataOf(ids),
      this.db.listTypes(),
      attachmentsOf(this.ds, ids),
    ]);
    const typeName = new Map(types.map((t) => [t.id, t.name]));
    const readonly = new Map(raws.map((r) => [String(r.id), readonlyOfRow(r)]));
    return vols.map((volume) => {
      const ro = readonly.get(volume.id) ?? null;
      const own = meta.get(volume.id) ?? {};
      const att = attached.get(volume.id);
      // `attached_mode` is admin metadata Cinder shows while the volume is attached.
      const mode = att?.mode ?? null;
      return {
        volume,
        volumeTypeName: volume.volumeTypeId === null ? null : (typeName.get(volume.volumeTypeId) ?? null),
        metadata: {
          ...own,
          ...(ro === null ? {} : { readonly: ro }),
          ...(mode === null ? {} : { attached_mode: mode }),
        },
        attachments: att?.views ?? [],
      };
    });
  }

  /**
   * GET /volumes[/detail]: filters, sort (keys with `id` as the last tie-breaker), marker (keyset: the
   * rows after the marker in this order) and limit/offset.
   * @throws VolumeNotFoundError for an unknown (or invisible) marker, as Cinder.
   */
  async list(
    ctx: VolumeApiContext,
    opts: VolumeListOptions,
  ): Promise<{ items: VolumeWithExtras[]; count: number | null }> {
    const where: string[] = ['v.deleted = 0'];
    const params: unknown[] = [];
    if (opts.projectId !== null) {
      where.push('v.project_id = ?');
      params.push(opts.projectId);
    }
    const f = opts.filters;
    if (f.status !== undefined) {
      where.push('v.status = ?');
      params.push(f.status);
    }
    if (f.name !== undefined) {
      where.push('v.display_name = ?');
      params.push(f.name);
    }
    if (f.availabilityZone !== undefined) {
      where.push('v.availability_zone = ?');
      params.push(f.availabilityZone);
    }
    for (const [k, val] of Object.entries(f.columns ?? {})) {
      const column = FILTER_COLUMNS[k];
      if (column === undefined) {
        where.push('1 = 0'); // a Cinder column we do not keep (always NULL there): nothing matches
        continue;
      }
      where.push(`v.${column} = ?`);
      params.push(typeof val === 'boolean' ? (val ? 1 : 0) : column === 'size' ? Number(val) : val);
    }
    if (f.matchesNothing === true) where.push('1 = 0');
    for (const [k, val] of Object.entries(f.metadata ?? {})) {
      where.push(
        'EXISTS (SELECT 1 FROM volume_metadata m WHERE m.volume_id = v.id AND m.deleted = 0 AND m.`key` = ? AND m.value = ?)',
      );
      params.push(k, val);
    }
    const filterSql = where.join(' AND ');
    const filterParams = [...params];

    const order: { col: string; dir: 'asc' | 'desc' }[] = [];
    opts.sortKeys.forEach((key, i) => {
      const col = SORT_COLUMNS[key];
      if (col !== undefined && !order.some((o) => o.col === col))
        order.push({ col, dir: opts.sortDirs[i] ?? 'desc' });
    });
    if (!order.some((o) => o.col === 'id')) order.push({ col: 'id', dir: order[0]?.dir ?? 'desc' });

    if (opts.marker !== null) {
      const markerRows: RawVolumeRow[] = UUID_RE.test(opts.marker)
        ? await this.ds.query(
            `SELECT ${order.map((o) => o.col).join(', ')}, project_id FROM volumes WHERE id = ? AND deleted = 0`,
            [opts.marker],
          )
        : [];
      const m = markerRows[0];
      if (m === undefined || !(ctx.isAdmin || m.project_id === ctx.projectId))
        throw new VolumeNotFoundError(opts.marker);
      const ors: string[] = [];
      order.forEach((o, i) => {
        const parts: string[] = [];
        for (const prev of order.slice(0, i)) {
          const mv = m[prev.col];
          if (mv === null || mv === undefined) parts.push(`v.${prev.col} IS NULL`);
          else {
            parts.push(`v.${prev.col} = ?`);
            params.push(mv);
          }
        }
        const mv = m[o.col];
        if (o.dir === 'asc') {
          if (mv === null || mv === undefined) parts.push(`v.${o.col} IS NOT NULL`);
          else {
            parts.push(`v.${o.col} > ?`);
            params.push(mv);
          }
        } else if (mv === null || mv === undefined) parts.push('1 = 0');
        else {
          parts.push(`(v.${o.col} < ? OR v.${o.col} IS NULL)`);
          params.push(mv);
        }
        ors.push(`(${parts.join(' AND ')})`);
      });
      where.push(`(${ors.join(' OR ')})`);
    }

    const orderSql = order.map((o) => `v.${o.col} ${o.dir.toUpperCase()}`).join(', ');
    const rows: RawVolumeRow[] =
      opts.limit === 0
        ? []
        : await this.ds.query(
            `SELECT v.* FROM volumes v WHERE ${where.join(' AND ')} ORDER BY ${orderSql} LIMIT ? OFFSET ?`,
            [...params, opts.limit, opts.offset],
          );
    let count: number | null = null;
    if (opts.withCount === true) {
      const c: { n: number | string }[] = await this.ds.query(
        `SELECT COUNT(*) AS n FROM volumes v WHERE ${filterSql}`,
        filterParams,
      );
      count = Number(c[0]?.n ?? 0);
    }
    return { items: await this.withExtras(rows.map(recordOfRow), rows), count };
  }

  /** GET /volumes/summary: how many volumes and GB a project (null: every project) holds, and its metadata values. */
  async summary(
    projectId: string | null,
  ): Promise<{ totalCount: number; totalSize: number; metadata: Record<string, string[]> }> {
    const where = projectId === null ? 'v.deleted = 0' : 'v.deleted = 0 AND v.project_id = ?';
    const params = projectId === null ? [] : [projectId];
    const totals: { n: unknown; gb: unknown }[] = await this.ds.query(
      `SELECT COUNT(*) AS n, COALESCE(SUM(v.size), 0) AS gb FROM volumes v WHERE ${where}`,
      params,
    );
    const meta: { k: string; val: string | null }[] = await this.ds.query(
      `SELECT DISTINCT m.\`key\` AS k, m.value AS val FROM volume_metadata m JOIN volumes v ON v.id = m.volume_id WHERE m.deleted = 0 AND ${where} ORDER BY m.\`key\`, m.value`,
      params,
    );
    const metadata: Record<string, string[]> = {};
    for (const { k, val } of meta) (metadata[k] ??= []).push(val ?? '');
    return { totalCount: Number(totals[0]?.n ?? 0), totalSize: Number(totals[0]?.gb ?? 0), metadata };
  }

  // ---- update / metadata ------------------------------------------------------------------------

  /** PUT /volumes/{id}: name, description, metadata (replaces the set). @throws VolumeNotFoundError */
  async update(
    ctx: VolumeApiContext,
    id: string,
    upd: {
      readonly name?: string | null;
      readonly description?: string | null;
      readonly metadata?: Readonly<Record<string, string>>;
    },
  ): Promise<VolumeWithExtras> {
    await this.getRecord(ctx, id);
    const values: Partial<VolumeEntity> = {};
    if (upd.name !== undefined) values.displayName = upd.name;
    if (upd.description !== undefined) values.displayDescription = upd.description;
    if (Object.keys(values).length > 0) {
      values.updatedAt = new Date();
      await withWriteTransaction(this.ds, (q) =>
        q.manager.update(VolumeEntity, { id, deleted: false }, values),
      );
    }
    if (upd.metadata !== undefined) await this.db.writeMetadata(id, upd.metadata, true);
    return this.get(ctx, id);
  }

  async getMetadata(ctx: VolumeApiContext, id: string): Promise<Record<string, string>> {
    await this.getRecord(ctx, id);
    return (await this.db.metadataOf([id])).get(id) ?? {};
  }

  /** POST (merge) or PUT (replace) /volumes/{id}/metadata. */
  async setMetadata(
    ctx: VolumeApiContext,
    id: string,
    metadata: Readonly<Record<string, string>>,
    replace: boolean,
  ): Promise<Record<string, string>> {
    await this.getRecord(ctx, id);
    await this.db.writeMetadata(id, metadata, replace);
    return (await this.db.metadataOf([id])).get(id) ?? {};
  }

  async getMetadataItem(ctx: VolumeApiContext, id: string, key: string): Promise<string> {
    const meta = await this.getMetadata(ctx, id);
    // Own keys only: `constructor` or `toString` are not metadata.
    if (!Object.prototype.hasOwnProperty.call(meta, key)) throw new VolumeMetadataNotFoundError(id, key);
    return meta[key]!;
  }

  async deleteMetadataItem(ctx: VolumeApiContext, id: string, key: string): Promise<void> {
    await this.getRecord(ctx, id);
    if (!(await this.db.deleteMetadataKey(id, key))) throw new VolumeMetadataNotFoundError(id, key);
  }

  // ---- delete -----------------------------------------------------------------------------------

  /**
   * DELETE /volumes/{id} (Cinder's `API.delete`). A volume with no host (never scheduled) is soft-deleted
   * here and its quota given back; otherwise it must be in a deletable state with no snapshots (with
   * `cascade`: only snapshots `available` or `error`, which go to `deleting` with it), goes to `deleting`
   * and the delete is cast to its host, which deletes the `deleting` snapshots first.
   * @throws VolumeNotFoundError, InvalidVolumeError (400)
   */
  async delete(
    ctx: VolumeApiContext,
    id: string,
    options: { readonly cascade?: boolean; readonly force?: boolean } = {},
  ): Promise<void> {
    let vol = await this.getRecord(ctx, id);
    if (vol.host === null) {
      const deleted = await this.db.softDeleteUnscheduled(id);
      if (deleted !== null) {
        // A volume whose create failed after the commit already had its quota given back (use_quota off).
        if (deleted.releaseQuota) await this.giveBackQuota(vol);
        return;
      }
      vol = await this.getRecord(ctx, id); // placed meanwhile (or deleted: 404)
    }
    const snapshots = options.cascade === true ? { cascadeSnapshots: true } : { noSnapshots: true };
    // os-force_delete (admin): any status (Cinder drops the status condition, keeps the others).
    const from = options.force === true ? VOLUME_STATUSES : DELETABLE_STATUSES;
    if (!(await this.db.conditionalStatus(id, from, 'deleting', snapshots))) {
      throw new InvalidVolumeError(options.force === true ? DELETE_REFUSED_FORCED : DELETE_REFUSED);
    }
    await this.backend.deleteVolume(this.rpcContext(ctx, vol.projectId), vol.host!, id);
  }

  private async giveBackQuota(vol: VolumeRecord): Promise<void> {
    const qctx = { projectId: vol.projectId };
    const ids = await this.quotas.reserve(
      qctx,
      { volumes: -1, gigabytes: -vol.size },
      vol.volumeTypeId === null ? {} : { volumeTypeId: vol.volumeTypeId },
    );
    await this.quotas.commit(qctx, ids);
  }

  // ---- extend -----------------------------------------------------------------------------------

  /**
   * os-extend: runs volume:extend (reserve gigabytes, `available` → `extending`, cast to the host).
   * @throws InvalidVolumeError (not available), VolumeInvalidInputError (not larger), quota 413s.
   */
  async extend(ctx: VolumeApiContext, id: string, newSizeGb: number): Promise<void> {
    const vol = await this.getRecord(ctx, id);
    // Cinder's `_extend`: the size is checked first, then the status (its message prints the expected
    // conditions as a Python dict).
    const refused = (): InvalidVolumeError =>
      new InvalidVolumeError(
        `Volume ${id} status must be '{'status': 'available'}' to extend, currently ${vol.status}.`,
      );
    if (newSizeGb <= vol.size) {
      throw new VolumeInvalidInputError(
        `New size for extend must be greater than current size. (current: ${vol.size}, extended: ${newSizeGb}).`,
      );
    }
    if (vol.status !== 'available' || vol.host === null) throw refused();
    const flow = extendVolumeFlow(
      { quotas: this.quotas, volumes: this.db, backend: this.backend, onRefused: refused },
      {
        context: this.flowContext(ctx, vol.projectId),
        volume: { id, size: vol.size, host: vol.host, volume_type_id: vol.volumeTypeId },
        newSizeGb,
      },
    );
    await new Engine(flow).run();
  }

  // ---- admin actions ----------------------------------------------------------------------------

  /**
   * os-reset_status (admin): sets the volume's status, attach status and/or migration status as given,
   * whatever they were (Cinder's admin_actions). @throws VolumeNotFoundError
   */
  async resetStatus(
    ctx: VolumeApiContext,
    id: string,
    update: {
      readonly status?: string;
      readonly attachStatus?: string;
      readonly migrationStatus?: string | null;
    },
  ): Promise<void> {
    await this.getRecord(ctx, id);
    const values: Partial<VolumeEntity> = { updatedAt: new Date() };
    if (update.status !== undefined) values.status = update.status;
    if (update.attachStatus !== undefined) values.attachStatus = update.attachStatus;
    if (update.migrationStatus !== undefined) values.migrationStatus = update.migrationStatus;
    await withWriteTransaction(this.ds, (q) =>
      q.manager.update(VolumeEntity, { id, deleted: false }, values),
    );
  }

  /**
   * os-set_bootable: Cinder's `volume_api.update` with `{bootable}`, refused during maintenance.
   * @throws VolumeNotFoundError, InvalidVolumeError
   */
  async setBootable(ctx: VolumeApiContext, id: string, bootable: boolean): Promise<void> {
    const vol = await this.getRecord(ctx, id);
    if (vol.status === 'maintenance')
      throw new InvalidVolumeError('The volume cannot be updated during maintenance.');
    await withWriteTransaction(this.ds, (q) =>
      q.manager.update(VolumeEntity, { id, deleted: false }, { bootable, updatedAt: new Date() }),
    );
  }

  /**
   * os-update_readonly_flag: the volume must be `available`; the flag is admin metadata in Cinder (here
   * the `readonly` column), so the volume row's `updated_at` stays as it was.
   * @throws VolumeNotFoundError, InvalidVolumeError
   */
  async updateReadonlyFlag(ctx: VolumeApiContext, id: string, readonly: boolean): Promise<void> {
    const vol = await this.getRecord(ctx, id);
    if (vol.status !== 'available') {
      throw new InvalidVolumeError(
        `Volume ${id} status must be available to update readonly flag, but current status is: ${vol.status}.`,
      );
    }
    await withWriteTransaction(this.ds, (q) =>
      q.query('UPDATE volumes SET readonly = ? WHERE id = ? AND deleted = 0', [readonly ? 1 : 0, id]),
    );
  }

  /** PUT /snapshots/{id}: name and/or description. @throws SnapshotNotFoundError */
  async updateSnapshot(
    ctx: VolumeApiContext,
    id: string,
    upd: { readonly name?: string | null; readonly description?: string | null },
  ): Promise<SnapshotRecord> {
    await this.getSnapshot(ctx, id);
    const values: Partial<SnapshotEntity> = { updatedAt: new Date() };
    if (upd.name !== undefined) values.displayName = upd.name;
    if (upd.description !== undefined) values.displayDescription = upd.description;
    await withWriteTransaction(this.ds, (q) =>
      q.manager.update(SnapshotEntity, { id, deleted: false }, values),
    );
    return this.getSnapshot(ctx, id);
  }

  /** os-reset_status on a snapshot (admin). @throws SnapshotNotFoundError */
  async resetSnapshotStatus(ctx: VolumeApiContext, id: string, status: string): Promise<void> {
    await this.getSnapshot(ctx, id);
    await withWriteTransaction(this.ds, (q) =>
      q.manager.update(SnapshotEntity, { id, deleted: false }, { status, updatedAt: new Date() }),
    );
  }

  // ---- quotas and limits ------------------------------------------------------------------------

  quotaSet(projectId: string): Promise<Record<string, number>> {
    return this.quotas.getProjectQuotas(projectId);
  }

  quotaUsage(projectId: string): Promise<Record<string, QuotaUsageView>> {
    return this.quotas.getProjectQuotas(projectId, { usages: true });
  }

  quotaDefaults(): Promise<Record<string, number>> {
    return this.quotas.getDefaults();
  }

  updateQuotaSet(
    projectId: string,
    limits: Readonly<Record<string, number>>,
  ): Promise<Record<string, number>> {
    return this.quotas.setLimits(projectId, limits);
  }

  resetQuotaSet(projectId: string): Promise<void> {
    return this.quotas.resetLimits(projectId);
  }

  // ---- types ------------------------------------------------------------------------------------

  /** Public types for everyone, every type for an admin. */
  async listTypes(ctx: Pick<VolumeApiContext, 'isAdmin'>): Promise<VolumeTypeRecord[]> {
    const types = await this.db.listTypes();
    return ctx.isAdmin ? types : types.filter((t) => t.is_public);
  }

  /** By id (or `default`). @throws VolumeTypeNotFoundError */
  async getType(ctx: Pick<VolumeApiContext, 'isAdmin'>, id: string): Promise<VolumeTypeRecord> {
    const t =
      id === 'default'
        ? await this.db.findTypeByName(this.options.defaultVolumeType)
        : await this.db.findTypeById(id);
    if (t === null || (!t.is_public && !ctx.isAdmin)) throw new VolumeTypeNotFoundError(id, 'id');
    return t;
  }

  /** Cinder's `get_by_name_or_id`. @throws VolumeTypeNotFoundError */
  async getTypeByNameOrId(ref: string): Promise<VolumeTypeRecord> {
    if (UUID_RE.test(ref)) {
      const t = await this.db.findTypeById(ref);
      if (t === null) throw new VolumeTypeNotFoundError(ref, 'id');
      return t;
    }
    const t = await this.db.findTypeByName(ref);
    if (t === null) throw new VolumeTypeNotFoundError(ref, 'name');
    return t;
  }

  /** POST /types (admin). @throws VolumeTypeExistsError */
  async createType(req: {
    readonly name: string;
    readonly description: string | null;
    readonly extraSpecs: Readonly<Record<string, string | null>>;
    readonly isPublic: boolean;
  }): Promise<VolumeTypeRecord> {
    const id = uuidv4();
    await withWriteTransaction(this.ds, async (q) => {
      const dup: unknown[] = await q.query('SELECT id FROM volume_types WHERE name = ? AND deleted = 0', [
        req.name,
      ]);
      if (dup.length > 0) throw new VolumeTypeExistsError(req.name);
      const now = new Date();
      await q.manager.insert(VolumeTypeEntity, {
        id,
        name: req.name,
        description: req.description,
        isPublic: req.isPublic,
        qosSpecsId: null,
        createdAt: now,
        updatedAt: null,
        deletedAt: null,
        deleted: false,
      });
      const specs = Object.entries(req.extraSpecs);
      if (specs.length > 0) {
        await q.manager.insert(
          VolumeTypeExtraSpecEntity,
          specs.map(([key, value]) => ({
            volumeTypeId: id,
            key,
            value,
            createdAt: now,
            updatedAt: null,
            deletedAt: null,
            deleted: false,
          })),
        );
      }
    });
    this.db.invalidateTypes();
    return (await this.db.findTypeById(id))!;
  }

  /** DELETE /types/{id} (admin). @throws VolumeTypeNotFoundError, VolumeTypeInUseError */
  async deleteType(id: string): Promise<void> {
    await withWriteTransaction(this.ds, async (q) => {
      const found: { name: string }[] = await q.query(
        'SELECT name FROM volume_types WHERE id = ? AND deleted = 0',
        [id],
      );
      if (found.length === 0) throw new VolumeTypeNotFoundError(id, 'id');
      // Cinder's volume_types.destroy: the configured default type must stay.
      if (found[0]!.name === this.options.defaultVolumeType) throw new VolumeTypeDefaultDeletionError(id);
      const used: unknown[] = await q.query(
        'SELECT id FROM volumes WHERE volume_type_id = ? AND deleted = 0 LIMIT 1',
        [id],
      );
      if (used.length > 0) throw new VolumeTypeInUseError(id);
      const res = await q.manager
        .createQueryBuilder()
        .update(VolumeTypeEntity)
        .set({ deleted: true, deletedAt: new Date() })
        .where('id = :id AND deleted = :no', { id, no: false })
        .execute();
      if ((res.affected ?? 0) !== 1) throw new VolumeTypeNotFoundError(id, 'id');
    });
    this.db.invalidateTypes();
  }

  /**
   * PUT /types/{id} (admin; Cinder's `volume_types.update`): the fields given change; a new name must not
   * belong to another live type (409), and the per-type quota resources (`volumes_<name>` …) follow the
   * rename in the same transaction, so limits and usage stay with the type.
   *
   * Beyond Cinder: the configured default type cannot be renamed (Cinder allows it, and every create
   * without a type then fails with a 500 "default volume type … cannot be found").
   * @throws VolumeTypeNotFoundError, VolumeTypeExistsError, VolumeTypeRequestRefusedError
   */
  async updateType(
    id: string,
    upd: { readonly name?: string; readonly description?: string; readonly isPublic?: boolean },
  ): Promise<VolumeTypeRecord> {
    await withWriteTransaction(this.ds, async (q) => {
      const found: { name: string }[] = await q.query(
        'SELECT name FROM volume_types WHERE id = ? AND deleted = 0',
        [id],
      );
      if (found.length === 0) throw new VolumeTypeNotFoundError(id, 'id');
      const oldName = found[0]!.name;
      const renamed = upd.name !== undefined && upd.name !== oldName;
      if (upd.name !== undefined) {
        const dup: unknown[] = await q.query(
          'SELECT id FROM volume_types WHERE name = ? AND deleted = 0 AND id <> ?',
          [upd.name, id],
        );
        if (dup.length > 0) throw new VolumeTypeExistsError(upd.name);
      }
      if (renamed && oldName === this.options.defaultVolumeType) {
        throw new VolumeTypeRequestRefusedError(
          `The volume type ${id} is the default volume type and cannot be renamed.`,
        );
      }
      const values: Partial<VolumeTypeEntity> = { updatedAt: new Date() };
      if (upd.name !== undefined) values.name = upd.name;
      if (upd.description !== undefined) values.description = upd.description;
      if (upd.isPublic !== undefined) values.isPublic = upd.isPublic;
      await q.manager.update(VolumeTypeEntity, { id, deleted: false }, values);
      if (!renamed) return;
      for (const resource of PER_TYPE_QUOTA_RESOURCES) {
        const from = `${resource}_${oldName}`;
        const to = `${resource}_${upd.name!}`;
        // Rows under the new name can only be left from a deleted type of that name: stale, and in the
        // way of the (project, resource) unique indexes.
        await q.query('DELETE FROM quotas WHERE resource = ?', [to]);
        await q.query('DELETE FROM quota_classes WHERE resource = ?', [to]);
        await q.query(
          'DELETE FROM quota_usages WHERE resource = ? AND in_use = 0 AND reserved = 0 AND id NOT IN (SELECT usage_id FROM reservations WHERE usage_id IS NOT NULL)',
          [to],
        );
        for (const table of QUOTA_RESOURCE_TABLES)
          await q.query(`UPDATE ${table} SET resource = ? WHERE resource = ?`, [to, from]);
      }
    });
    this.db.invalidateTypes();
    return (await this.db.findTypeById(id))!;
  }

  /**
   * A type by id only (Cinder's `get_volume_type`, which the extra-specs endpoints use: no `default`
   * alias), if the caller may see it. @throws VolumeTypeNotFoundError
   */
  async getTypeById(ctx: Pick<VolumeApiContext, 'isAdmin'>, id: string): Promise<VolumeTypeRecord> {
    const t = await this.db.findTypeById(id);
    if (t === null || (!t.is_public && !ctx.isAdmin)) throw new VolumeTypeNotFoundError(id, 'id');
    return t;
  }

  /**
   * POST /types/{id}/extra_specs (merge) and PUT /types/{id}/extra_specs/{key} (`urlKey`: the body must
   * hold that key), in Cinder's order of checks: the type in use by a live volume (400), the type (404),
   * the URL key, `cacheable` with `multiattach` (400). The API's type cache is cleared, so the next
   * create (whose request spec carries the specs to the scheduler) uses them.
   * @throws VolumeTypeSpecsInUseError, VolumeTypeNotFoundError, VolumeTypeRequestRefusedError
   */
  async setTypeExtraSpecs(
    id: string,
    specs: Readonly<Record<string, string | null>>,
    urlKey?: string,
  ): Promise<void> {
    await withWriteTransaction(this.ds, async (q) => {
      await this.assertTypeSpecsChangeable(q, id);
      if (urlKey !== undefined && !Object.prototype.hasOwnProperty.call(specs, urlKey)) {
        throw new VolumeTypeRequestRefusedError('Request body and URI mismatch');
      }
      const rows: { key: string; value: string | null }[] = await q.query(
        'SELECT `key`, value FROM volume_type_extra_specs WHERE volume_type_id = ? AND deleted = 0',
        [id],
      );
      const current = new Map(rows.map((r) => [r.key, r.value]));
      const given = (k: string): boolean => specs[k] === IS_TRUE;
      if (
        (given('multiattach') && current.get('cacheable') === IS_TRUE) ||
        (given('cacheable') && current.get('multiattach') === IS_TRUE) ||
        (given('cacheable') && given('multiattach'))
      ) {
        throw new VolumeTypeRequestRefusedError('cacheable cannot be set with multiattach.');
      }
      const now = dbDate(this.ds, new Date());
      for (const [key, value] of Object.entries(specs)) {
        if (current.has(key)) {
          await q.query(
            'UPDATE volume_type_extra_specs SET value = ?, updated_at = ? WHERE volume_type_id = ? AND `key` = ? AND deleted = 0',
            [value, now, id, key],
          );
        } else {
          await q.query(
            'INSERT INTO volume_type_extra_specs (volume_type_id, `key`, value, created_at, deleted) VALUES (?, ?, ?, ?, 0)',
            [id, key, value, now],
          );
        }
      }
    });
    this.db.invalidateTypes();
  }

  /**
   * DELETE /types/{id}/extra_specs/{key}: soft-deletes the spec (the caller has checked the type and the
   * policy, Cinder's order). @throws VolumeTypeSpecsInUseError, VolumeTypeExtraSpecsNotFoundError
   */
  async deleteTypeExtraSpec(id: string, key: string): Promise<void> {
    await withWriteTransaction(this.ds, async (q) => {
      await this.assertTypeSpecsChangeable(q, id);
      const live: unknown[] = await q.query(
        'SELECT id FROM volume_type_extra_specs WHERE volume_type_id = ? AND `key` = ? AND deleted = 0',
        [id, key],
      );
      if (live.length === 0) throw new VolumeTypeExtraSpecsNotFoundError(id, key);
      const now = dbDate(this.ds, new Date());
      await q.query(
        'UPDATE volume_type_extra_specs SET deleted = 1, deleted_at = ? WHERE volume_type_id = ? AND `key` = ? AND deleted = 0',
        [now, id, key],
      );
    });
    this.db.invalidateTypes();
  }

  /** Cinder's `_allow_update` then `_check_type`: no live volume of the type, and the type exists. */
  private async assertTypeSpecsChangeable(q: QueryRunner, id: string): Promise<void> {
    const used: unknown[] = await q.query(
      'SELECT id FROM volumes WHERE volume_type_id = ? AND deleted = 0 LIMIT 1',
      [id],
    );
    if (used.length > 0) throw new VolumeTypeSpecsInUseError(id);
    const found: unknown[] = await q.query('SELECT id FROM volume_types WHERE id = ? AND deleted = 0', [id]);
    if (found.length === 0) throw new VolumeTypeNotFoundError(id, 'id');
  }

  // ---- availability zones ------------------------------------------------------------------------

  availabilityZones(): Promise<{ name: string; available: boolean }[]> {
    return this.db.zones();
  }

  // ---- snapshots --------------------------------------------------------------------------------

  /**
   * Creates a snapshot of a volume (Cinder's `_create_snapshot`): the volume must be `available`
   * (`in-use` with force); reserves snapshots +1 and gigabytes +size, inserts the row (`creating`),
   * commits and casts to the volume's host. A failed cast removes the snapshot and gives the quota back;
   * any earlier failure leaves nothing.
   */
  async createSnapshot(
    ctx: VolumeApiContext,
    req: {
      readonly volumeId: string;
      readonly name: string | null;
      readonly description: string | null;
      readonly force: boolean;
      readonly metadata?: Readonly<Record<string, string>>;
    },
  ): Promise<SnapshotRecord> {
    const rpc = this.options.snapshots;
    if (rpc === undefined)
      throw new VolumeInvalidInputError('Snapshots are not supported by this deployment.');
    const vol = await this.getRecord(ctx, req.volumeId);
    const allowed = req.force ? ['available', 'in-use'] : ['available'];
    if (!allowed.includes(vol.status) || vol.host === null) {
      // Cinder's create_snapshot_in_db names the statuses it accepts here.
      throw new InvalidVolumeError(
        `Volume ${vol.id} status must be ${allowed.join(', ')}, but current status is: ${vol.status}.`,
      );
    }
    const qctx = { projectId: vol.projectId };
    const reservations = await reservePerType(
      this.quotas,
      this.db,
      vol.projectId,
      { snapshots: 1, gigabytes: vol.size },
      vol.volumeTypeId,
    ).catch((err: unknown) => {
      throw translateOverQuota(err, vol.size);
    });
    const now = new Date();
    const snap: SnapshotRecord = {
      id: uuidv4(),
      volumeId: vol.id,
      projectId: vol.projectId,
      userId: ctx.userId,
      status: 'creating',
      progress: '0%',
      volumeSize: vol.size,
      volumeTypeId: vol.volumeTypeId,
      displayName: req.name,
      displayDescription: req.description,
      createdAt: now,
      updatedAt: null,
    };
    try {
      await withWriteTransaction(this.ds, async (q) => {
        await q.manager.insert(SnapshotEntity, { ...snap, deletedAt: null, deleted: false });
        for (const [key, value] of Object.entries(req.metadata ?? {})) {
          await q.query(
            'INSERT INTO snapshot_metadata (snapshot_id, `key`, value, created_at, deleted) VALUES (?, ?, ?, ?, 0)',
            [snap.id, key, value, dbDate(this.ds, now)],
          );
        }
      });
    } catch (err) {
      await this.quotas.rollback(qctx, reservations);
      throw err;
    }
    await this.quotas.commit(qctx, reservations);
    try {
      await rpc.createSnapshot(this.rpcContext(ctx, vol.projectId), vol.host, snap.id);
    } catch (err) {
      // The caller never learns the snapshot's id, so nothing is left for them to clean up: the row goes
      // (soft-deleted) and its quota comes back, once (a row left behind in `error` would give it back a
      // second time when deleted).
      const now = new Date();
      const removed = await withWriteTransaction(this.ds, (q) =>
        q.manager.update(
          SnapshotEntity,
          { id: snap.id, deleted: false },
          { status: 'deleted', deleted: true, deletedAt: now, updatedAt: now },
        ),
      );
      if ((removed.affected ?? 0) === 1) {
        const ids = await reservePerType(
          this.quotas,
          this.db,
          vol.projectId,
          { snapshots: -1, gigabytes: -vol.size },
          vol.volumeTypeId,
        );
        await this.quotas.commit(qctx, ids);
      }
      throw err;
    }
    return snap;
  }

  /** A snapshot the caller may see. @throws SnapshotNotFoundError */
  async getSnapshot(
    ctx: Pick<VolumeApiContext, 'isAdmin' | 'projectId'>,
    id: string,
  ): Promise<SnapshotRecord> {
    const s = UUID_RE.test(id) ? await this.db.findSnapshot(id) : null;
    if (s === null || !(ctx.isAdmin || s.projectId === ctx.projectId)) throw new SnapshotNotFoundError(id);
    return s;
  }

  /** Snapshots of a project (null: all, for admins), newest first, with limit and marker. */
  async listSnapshots(
    ctx: VolumeApiContext,
    opts: SnapshotFilter & {
      readonly limit: number;
      readonly marker: string | null;
      readonly offset: number;
    },
  ): Promise<SnapshotRecord[]> {
    const qb = this.snapshotQuery(opts);
    if (opts.marker !== null) {
      const m = await this.getSnapshot(ctx, opts.marker);
      qb.andWhere('(s.created_at < :mc OR (s.created_at = :mc AND s.id < :mid))', {
        mc: m.createdAt,
        mid: m.id,
      });
    }
    return qb
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .skip(opts.offset)
      .take(opts.limit)
      .getMany();
  }

  /** The metadata of each snapshot (`{}` for one without), in insertion order. */
  snapshotMetadataOf(snapshotIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    return this.snapshotMetadata.of(snapshotIds);
  }

  /** GET /snapshots/{id}/metadata. @throws SnapshotNotFoundError */
  async getSnapshotMetadata(ctx: VolumeApiContext, id: string): Promise<Record<string, string>> {
    await this.getSnapshot(ctx, id);
    return (await this.snapshotMetadata.of([id])).get(id) ?? {};
  }

  /** POST (merge) or PUT (replace) /snapshots/{id}/metadata. @returns the whole set after the write */
  async setSnapshotMetadata(
    ctx: VolumeApiContext,
    id: string,
    metadata: Readonly<Record<string, string>>,
    replace: boolean,
  ): Promise<Record<string, string>> {
    await this.getSnapshot(ctx, id);
    await this.snapshotMetadata.write(id, metadata, replace);
    return (await this.snapshotMetadata.of([id])).get(id) ?? {};
  }

  /** @throws SnapshotNotFoundError, SnapshotMetadataNotFoundError */
  async getSnapshotMetadataItem(ctx: VolumeApiContext, id: string, key: string): Promise<string> {
    const meta = await this.getSnapshotMetadata(ctx, id);
    if (!Object.prototype.hasOwnProperty.call(meta, key)) throw new SnapshotMetadataNotFoundError(id, key);
    return meta[key]!;
  }

  /** @throws SnapshotNotFoundError, SnapshotMetadataNotFoundError */
  async deleteSnapshotMetadataItem(ctx: VolumeApiContext, id: string, key: string): Promise<void> {
    await this.getSnapshot(ctx, id);
    if (!(await this.snapshotMetadata.deleteKey(id, key))) throw new SnapshotMetadataNotFoundError(id, key);
  }

  /** How many snapshots match (with_count). */
  countSnapshots(filter: SnapshotFilter): Promise<number> {
    return this.snapshotQuery(filter).getCount();
  }

  private snapshotQuery(f: SnapshotFilter) {
    const qb = this.ds
      .getRepository(SnapshotEntity)
      .createQueryBuilder('s')
      .where('s.deleted = :no', { no: false });
    if (f.projectId !== null) qb.andWhere('s.project_id = :p', { p: f.projectId });
    if (f.status !== undefined) qb.andWhere('s.status = :st', { st: f.status });
    if (f.volumeId !== undefined) qb.andWhere('s.volume_id = :vid', { vid: f.volumeId });
    if (f.name !== undefined) qb.andWhere('s.display_name = :name', { name: f.name });
    return qb;
  }

  /**
   * Deletes a snapshot: it must be `available` or `error`; it goes to `deleting` and the delete is cast to
   * its volume's host. @throws SnapshotNotFoundError, InvalidSnapshotError
   */
  async deleteSnapshot(
    ctx: VolumeApiContext,
    id: string,
    options: { readonly force?: boolean } = {},
  ): Promise<void> {
    const rpc = this.options.snapshots;
    if (rpc === undefined)
      throw new VolumeInvalidInputError('Snapshots are not supported by this deployment.');
    const snap = await this.getSnapshot(ctx, id);
    const vol = await this.db.findVolume(snap.volumeId);
    const changed = await withWriteTransaction(this.ds, (q) =>
      q.manager
        .createQueryBuilder()
        .update(SnapshotEntity)
        .set({ status: 'deleting', updatedAt: new Date() })
        .where('id = :id AND deleted = :no', { id, no: false })
        .andWhere('status IN (:...st)', {
          st: options.force === true ? SNAPSHOT_FORCE_DELETABLE : ['available', 'error'],
        })
        .execute(),
    );
    if ((changed.affected ?? 0) !== 1 || vol === null || vol.host === null) {
      throw new InvalidSnapshotError(
        options.force === true
          ? 'Snapshot must not be part of a group.'
          : 'Snapshot status must be available or error and must not be part of a group.',
      );
    }
    await rpc.deleteSnapshot(this.rpcContext(ctx, snap.projectId), vol.host, id);
  }

  // ---- services ---------------------------------------------------------------------------------

  /** The service records (os-services), optionally by host and/or binary, oldest first. */
  listServices(
    filter: { readonly host?: string | undefined; readonly binary?: string | undefined } = {},
  ): Promise<ServiceEntity[]> {
    return this.ds.getRepository(ServiceEntity).find({
      where: {
        deleted: 0,
        ...(filter.host !== undefined ? { host: filter.host } : {}),
        ...(filter.binary !== undefined ? { binary: filter.binary } : {}),
      },
      order: { id: 'ASC' },
    });
  }
}
