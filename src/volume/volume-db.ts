/**
 * The volume API's data access (TypeORM over MariaDB/SQLite): the create flow's ports (entry store, type
 * lookup, zones) and the reads and conditional writes VolumeAPI needs. Nothing here knows about HTTP.
 */
import { In, IsNull, type DataSource, type EntityManager } from 'typeorm';
import { dbDate, dbFlavor } from '../db/sql';
import { withWriteTransaction } from '../db/transaction';
import {
  ServiceEntity,
  SnapshotEntity,
  VolumeEntity,
  VolumeMetadataEntity,
  VolumeTypeEntity,
  VolumeTypeExtraSpecEntity,
} from '../db/entities';
import {
  VolumeTypeNotFoundError,
  type AvailabilityZoneLookup,
  type VolumeEntryStore,
  type VolumeProperties,
  type VolumeTypeLookup,
  type VolumeTypeNamer,
  type VolumeTypeRef,
} from '../tasks/volume';

/** A volume type with its extra specs. */
export interface VolumeTypeRecord extends VolumeTypeRef {
  readonly description: string | null;
  readonly is_public: boolean;
}

/** Parses the flow's `created_at` text (UTC, no zone) into a Date. */
function utc(text: string): Date {
  return new Date(`${text}Z`);
}

/** A new volume row: no host yet, not bootable, not multiattach, counted in the quota, not deleted. */
const INSERT_VOLUME_SQL =
  'INSERT INTO volumes (id, project_id, user_id, size, status, attach_status, display_name, display_description, ' +
  'availability_zone, volume_type_id, snapshot_id, source_volid, host, bootable, encryption_key_id, multiattach, ' +
  'migration_status, use_quota, created_at, updated_at, deleted_at, deleted) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, 0, NULL, 1, ?, NULL, NULL, 0)';

/** How long the zone list is cached (Cinder caches it for az_cache_duration). */
const ZONE_CACHE_MS = 5_000;

export class VolumeDb implements VolumeEntryStore, VolumeTypeLookup, VolumeTypeNamer, AvailabilityZoneLookup {
  private zoneCache: { at: number; names: ReadonlySet<string> } | undefined;
  private typeCache: { at: number; types: VolumeTypeRecord[] } | undefined;

  constructor(
    readonly ds: DataSource,
    private readonly opts: {
      readonly defaultVolumeType: string;
      readonly defaultZone: string;
      /** The binary whose services' zones count as availability zones. @default 'cinder-volume' */
      readonly volumeBinary?: string;
    },
  ) {}

  get defaultZone(): string {
    return this.opts.defaultZone;
  }

  // ---- VolumeEntryStore -------------------------------------------------------------------------

  async insertVolume(p: VolumeProperties): Promise<void> {
    const createdAt = utc(p.created_at);
    // Plain SQL: TypeORM's insert builds the statement (costly on the hot path) and then reads back the
    // columns that have database defaults, one more round trip for values we already know.
    const params = [
      p.id,
      p.project_id,
      p.user_id,
      p.size,
      p.status,
      p.attach_status,
      p.display_name,
      p.display_description,
      p.availability_zone,
      p.volume_type_id,
      p.snapshot_id,
      p.source_volid,
      p.encryption_key_id,
      dbDate(this.ds, createdAt),
    ];
    if (Object.keys(p.metadata).length === 0 && dbFlavor(this.ds) === 'mysql') {
      // One statement needs no transaction on MySQL. (Not on SQLite: its one shared connection would run
      // it inside whatever transaction another request has open, so every write goes through the queue.)
      await this.ds.query(INSERT_VOLUME_SQL, params);
      return;
    }
    await withWriteTransaction(this.ds, async (q) => {
      await q.query(INSERT_VOLUME_SQL, params);
      await insertMetadata(q.manager, p.id, p.metadata, createdAt);
    });
  }

  async destroyVolume(volumeId: string): Promise<void> {
    await withWriteTransaction(this.ds, async (q) => {
      await q.manager.delete(VolumeMetadataEntity, { volumeId });
      await q.manager.delete(VolumeEntity, { id: volumeId });
    });
  }

  async releaseVolumeQuota(volumeId: string): Promise<boolean> {
    const res = await withWriteTransaction(this.ds, (q) =>
      q.manager.update(VolumeEntity, { id: volumeId, useQuota: true }, { useQuota: false }),
    );
    return (res.affected ?? 0) === 1;
  }

  async restoreVolumeQuota(volumeId: string): Promise<void> {
    await withWriteTransaction(this.ds, (q) =>
      q.manager.update(VolumeEntity, { id: volumeId }, { useQuota: true }),
    );
  }

  async setVolumeStatus(volumeId: string, status: string): Promise<void> {
    await withWriteTransaction(this.ds, (q) =>
      q.manager.update(VolumeEntity, { id: volumeId, deleted: false }, { status, updatedAt: new Date() }),
    );
  }

  // ---- VolumeTypeLookup -------------------------------------------------------------------------

  async defaultType(): Promise<VolumeTypeRef> {
    const t = await this.findTypeByName(this.opts.defaultVolumeType);
    if (t === null) throw new VolumeTypeNotFoundError(this.opts.defaultVolumeType, 'name');
    return t;
  }

  /** Every non-deleted type, newest first (cached briefly; type changes through this API clear the cache). */
  async listTypes(): Promise<VolumeTypeRecord[]> {
    const now = Date.now();
    if (this.typeCache !== undefined && now - this.typeCache.at < 1_000) return this.typeCache.types;
    const rows = await this.ds
      .getRepository(VolumeTypeEntity)
      .find({ where: { deleted: false }, order: { createdAt: 'DESC', id: 'DESC' } }); // newest first, as Cinder
    const specs =
      rows.length === 0
        ? []
        : await this.ds
            .getRepository(VolumeTypeExtraSpecEntity)
            .find({ where: { volumeTypeId: In(rows.map((r) => r.id)), deleted: false } });
    const types = rows.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      is_public: r.isPublic,
      qos_specs_id: r.qosSpecsId,
      extra_specs: Object.fromEntries(
        specs.filter((s) => s.volumeTypeId === r.id).map((s) => [s.key, s.value]),
      ),
    }));
    this.typeCache = { at: now, types };
    return types;
  }

  async typeName(volumeTypeId: string): Promise<string | null> {
    return (await this.findTypeById(volumeTypeId))?.name ?? null;
  }

  invalidateTypes(): void {
    this.typeCache = undefined;
  }

  async findTypeByName(name: string): Promise<VolumeTypeRecord | null> {
    return (await this.listTypes()).find((t) => t.name === name) ?? null;
  }

  async findTypeById(id: string): Promise<VolumeTypeRecord | null> {
    return (await this.listTypes()).find((t) => t.id === id) ?? null;
  }

  // ---- AvailabilityZoneLookup -------------------------------------------------------------------

  async zoneNames(): Promise<ReadonlySet<string>> {
    const now = Date.now();
    if (this.zoneCache !== undefined && now - this.zoneCache.at < ZONE_CACHE_MS) return this.zoneCache.names;
    const zones = await this.zones();
    const names = new Set(zones.map((z) => z.name));
    this.zoneCache = { at: now, names };
    return names;
  }

  /** Zones of the volume services (available when one of them is enabled), plus the default zone. */
  async zones(): Promise<{ name: string; available: boolean }[]> {
    const rows = await this.ds.getRepository(ServiceEntity).find({
      where: { binary: this.opts.volumeBinary ?? 'cinder-volume', deleted: 0 },
    });
    const out = new Map<string, boolean>();
    for (const r of rows) out.set(r.availabilityZone, (out.get(r.availabilityZone) ?? false) || !r.disabled);
    if (!out.has(this.opts.defaultZone)) out.set(this.opts.defaultZone, true);
    return [...out].map(([name, available]) => ({ name, available }));
  }

  // ---- reads ------------------------------------------------------------------------------------

  findVolume(id: string): Promise<VolumeEntity | null> {
    return this.ds.getRepository(VolumeEntity).findOne({ where: { id, deleted: false } });
  }

  findSnapshot(id: string): Promise<SnapshotEntity | null> {
    return this.ds.getRepository(SnapshotEntity).findOne({ where: { id, deleted: false } });
  }

  async metadataOf(volumeIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>(volumeIds.map((id) => [id, {}]));
    if (volumeIds.length === 0) return out;
    const rows = await this.ds
      .getRepository(VolumeMetadataEntity)
      .find({ where: { volumeId: In([...volumeIds]), deleted: false }, order: { id: 'ASC' } });
    for (const r of rows) out.get(r.volumeId)![r.key] = r.value ?? '';
    return out;
  }

  countSnapshots(volumeId: string): Promise<number> {
    return this.ds.getRepository(SnapshotEntity).count({ where: { volumeId, deleted: false } });
  }

  // ---- conditional writes -----------------------------------------------------------------------

  /**
   * Soft-deletes a volume that has no host (never scheduled), with its metadata. Conditional on
   * `host IS NULL`, so a volume the scheduler has just placed is not deleted here.
   * @returns whether this call deleted it.
   */
  /**
   * Soft-deletes a live volume that has no host (never placed), with its metadata, in one transaction,
   * taking its quota claim with it (`use_quota` cleared in the same statement).
   * @returns null when there was no such volume (placed meanwhile, or gone); else whether it still
   * counted in the quota, i.e. whether the caller gives its quota back.
   */
  async softDeleteUnscheduled(volumeId: string): Promise<{ releaseQuota: boolean } | null> {
    return withWriteTransaction(this.ds, async (q) => {
      const now = new Date();
      const gone = { deleted: true, deletedAt: now, status: 'deleted', updatedAt: now, useQuota: false };
      const counted = await q.manager.update(
        VolumeEntity,
        { id: volumeId, deleted: false, host: IsNull(), useQuota: true },
        gone,
      );
      let releaseQuota = true;
      if ((counted.affected ?? 0) !== 1) {
        const uncounted = await q.manager.update(
          VolumeEntity,
          { id: volumeId, deleted: false, host: IsNull() },
          gone,
        );
        if ((uncounted.affected ?? 0) !== 1) return null;
        releaseQuota = false;
      }
      await q.manager.update(
        VolumeMetadataEntity,
        { volumeId, deleted: false },
        { deleted: true, deletedAt: now },
      );
      return { releaseQuota };
    });
  }

  /**
   * Cinder's `conditional_update`: sets `values` when the volume is not deleted and its status is one of
   * `fromStatuses`. @returns whether the row changed.
   */
  async conditionalStatus(
    volumeId: string,
    fromStatuses: readonly string[],
    status: string,
    extra: {
      noSnapshots?: boolean;
      /**
       * Cinder's cascade delete: every live snapshot of the volume must be `available` or `error`, and they
       * all go to `deleting` in the same transaction as the volume.
       */
      cascadeSnapshots?: boolean;
    } = {},
  ): Promise<boolean> {
    return withWriteTransaction(this.ds, async (q) => {
      let qb = q.manager
        .createQueryBuilder()
        .update(VolumeEntity)
        .set({ status, updatedAt: new Date() })
        .where('id = :volumeId AND deleted = :no AND host IS NOT NULL AND attach_status <> :attached', {
          volumeId,
          no: false,
          attached: 'attached',
        })
        .andWhere('status IN (:...fromStatuses)', { fromStatuses: [...fromStatuses] });
      if (extra.noSnapshots === true) {
        qb = qb.andWhere(
          'NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.volume_id = :volumeId AND s.deleted = :no)',
        );
      }
      if (extra.cascadeSnapshots === true) {
        qb = qb.andWhere(
          'NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.volume_id = :volumeId AND s.deleted = :no AND s.status NOT IN (:...deletable))',
          { deletable: ['available', 'error'] },
        );
      }
      const res = await qb.execute();
      if ((res.affected ?? 0) !== 1) return false;
      if (extra.cascadeSnapshots === true) {
        await q.manager.update(
          SnapshotEntity,
          { volumeId, deleted: false },
          { status: 'deleting', updatedAt: new Date() },
        );
      }
      return true;
    });
  }

  /** Replaces (or, with `replace: false`, merges) a volume's metadata. */
  async writeMetadata(
    volumeId: string,
    metadata: Readonly<Record<string, string>>,
    replace: boolean,
  ): Promise<void> {
    await withWriteTransaction(this.ds, async (q) => {
      const now = new Date();
      if (replace) {
        await q.manager.delete(VolumeMetadataEntity, { volumeId });
      } else if (Object.keys(metadata).length > 0) {
        await q.manager.delete(VolumeMetadataEntity, { volumeId, key: In(Object.keys(metadata)) });
      }
      await insertMetadata(q.manager, volumeId, metadata, now);
      await q.manager.update(VolumeEntity, { id: volumeId }, { updatedAt: now });
    });
  }

  async deleteMetadataKey(volumeId: string, key: string): Promise<boolean> {
    const res = await withWriteTransaction(this.ds, (q) =>
      q.manager.delete(VolumeMetadataEntity, { volumeId, key }),
    );
    return (res.affected ?? 0) > 0;
  }
}

async function insertMetadata(
  m: EntityManager,
  volumeId: string,
  metadata: Readonly<Record<string, string>>,
  at: Date,
): Promise<void> {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return;
  await m.insert(
    VolumeMetadataEntity,
    entries.map(([key, value]) => ({
      volumeId,
      key,
      value,
      createdAt: at,
      updatedAt: null,
      deletedAt: null,
      deleted: false,
    })),
  );
}
