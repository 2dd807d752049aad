/**
 * The volume rows the scheduler and the volume manager read and write (Cinder's `db.volume_*` calls
 * they make). Every state change is a conditional update on the status it expects, so a redelivered
 * or raced message never moves a volume backwards.
 */
import { In, IsNull, Not, type DataSource } from 'typeorm';
import {
  SnapshotEntity,
  VolumeEntity,
  VolumeMetadataEntity,
  VolumeTypeExtraSpecEntity,
} from '../db/entities';
import { dbDate, parseDbDate } from '../db/sql';
import { withWriteTransaction } from '../db/transaction';

/** The fields of a volume the backend side works with (JSON-safe: it goes into flow storage). */
export interface VolumeRef {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly size: number;
  readonly status: string;
  readonly host: string | null;
  readonly volumeTypeId: string | null;
  readonly availabilityZone: string | null;
  /** The snapshot the volume is created from, if any. */
  readonly snapshotId: string | null;
  /** The volume this one is a clone of, if any. */
  readonly sourceVolid: string | null;
  /** Cinder's `use_quota`: the volume counts in the quota usage (false once its quota went back). */
  readonly useQuota: boolean;
  /** When the row last changed (its creation if never), ms since the epoch. */
  readonly changedAtMs: number;
}

/** The fields of a snapshot the volume service works with. */
export interface SnapshotRowRef {
  readonly id: string;
  readonly volumeId: string;
  readonly projectId: string;
  readonly status: string;
  /** Size in GiB of the volume when the snapshot was taken (what it counts against `gigabytes`). */
  readonly volumeSize: number;
  readonly volumeTypeId: string | null;
}

function snapshotRefOf(e: SnapshotEntity): SnapshotRowRef {
  return {
    id: e.id,
    volumeId: e.volumeId,
    projectId: e.projectId,
    status: e.status,
    volumeSize: Number(e.volumeSize),
    volumeTypeId: e.volumeTypeId,
  };
}

function refOf(e: VolumeEntity): VolumeRef {
  return {
    id: e.id,
    projectId: e.projectId,
    userId: e.userId,
    size: Number(e.size),
    status: e.status,
    host: e.host,
    volumeTypeId: e.volumeTypeId,
    availabilityZone: e.availabilityZone,
    snapshotId: e.snapshotId,
    sourceVolid: e.sourceVolid,
    useQuota: e.useQuota !== false && Number(e.useQuota) !== 0,
    changedAtMs: (e.updatedAt ?? e.createdAt).getTime(),
  };
}

/** The columns {@link VolumeRef} reads, by primary key, live rows only. */
const GET_SQL =
  'SELECT id, project_id, user_id, size, status, host, volume_type_id, availability_zone, snapshot_id, source_volid, use_quota, created_at, updated_at ' +
  'FROM volumes WHERE id = ? AND deleted = 0';

type RawVolumeRow = Record<string, unknown>;

/** A raw `volumes` row (either driver: mysql2 gives Dates, better-sqlite3 text) → VolumeRef, as {@link refOf}. */
function refOfRow(r: RawVolumeRow): VolumeRef {
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r['id']),
    projectId: String(r['project_id']),
    userId: String(r['user_id']),
    size: Number(r['size']),
    status: String(r['status']),
    host: str(r['host']),
    volumeTypeId: str(r['volume_type_id']),
    availabilityZone: str(r['availability_zone']),
    snapshotId: str(r['snapshot_id']),
    sourceVolid: str(r['source_volid']),
    useQuota: r['use_quota'] !== false && Number(r['use_quota']) !== 0,
    changedAtMs: parseDbDate(r['updated_at'] ?? r['created_at']).getTime(),
  };
}

export class VolumeRows {
  constructor(readonly ds: DataSource) {}

  /** The live (not deleted) volume, or null. */
  async get(volumeId: string): Promise<VolumeRef | null> {
    // Plain SQL: this and transition() run several times per create, and TypeORM's query building
    // cost more CPU than the statement itself.
    const rows = (await this.ds.query(GET_SQL, [volumeId])) as RawVolumeRow[];
    return rows.length === 0 ? null : refOfRow(rows[0]!);
  }

  /**
   * Moves a live volume from one of `from` to `to` (and sets host when given). With `only.unplaced` the
   * volume must also have no host: the scheduler places a volume with this compare-and-set, so of two
   * copies of a create cast handled at once (two processes) exactly one wins. With `only.host` it must
   * be on that host (the scheduler fails only the placement it made, not a later one).
   * @returns whether the volume was in one of those states (and changed).
   */
  async transition(
    volumeId: string,
    from: readonly string[],
    to: string,
    changes: { host?: string | null; size?: number } = {},
    only: { unplaced?: boolean; host?: string } = {},
  ): Promise<boolean> {
    if (from.length === 0) return false;
    const sets = ['status = ?', 'updated_at = ?'];
    const params: unknown[] = [to, dbDate(this.ds, new Date())];
    if (changes.host !== undefined) {
      sets.push('host = ?');
      params.push(changes.host);
    }
    if (changes.size !== undefined) {
      sets.push('size = ?');
      params.push(changes.size);
    }
    params.push(volumeId, ...from);
    let unplaced = only.unplaced === true ? ' AND host IS NULL' : '';
    if (only.host !== undefined) {
      unplaced += ' AND host = ?';
      params.push(only.host);
    }
    const sql = `UPDATE volumes SET ${sets.join(', ')} WHERE id = ? AND deleted = 0 AND status IN (${from.map(() => '?').join(', ')})${unplaced}`;
    return (await this.execute(sql, params)) > 0;
  }

  /** Runs one write statement. @returns the rows it changed (both drivers report them in a structured result). */
  private async execute(sql: string, params: unknown[]): Promise<number> {
    const runner = this.ds.createQueryRunner('master');
    try {
      const result = (await runner.query(sql, params, true)) as { affected?: number };
      return result.affected ?? 0;
    } finally {
      await runner.release();
    }
  }

  /**
   * Soft-deletes a live volume and its metadata in one transaction, clearing `use_quota` in the same
   * statement. @returns null when it was already gone; else whether it still counted in the quota (only
   * then is its quota given back: a failed create may have given it back already).
   */
  async softDelete(volumeId: string): Promise<{ releaseQuota: boolean } | null> {
    return withWriteTransaction(this.ds, async (q) => {
      const now = new Date();
      const gone = { deleted: true, deletedAt: now, updatedAt: now, status: 'deleted', useQuota: false };
      const counted = await q.manager.update(
        VolumeEntity,
        { id: volumeId, deleted: false, useQuota: true },
        gone,
      );
      let releaseQuota = true;
      if ((counted.affected ?? 0) === 0) {
        const uncounted = await q.manager.update(VolumeEntity, { id: volumeId, deleted: false }, gone);
        if ((uncounted.affected ?? 0) === 0) return null;
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

  /** The live (not deleted) snapshot, or null. */
  async getSnapshot(snapshotId: string): Promise<SnapshotRowRef | null> {
    const e = await this.ds
      .getRepository(SnapshotEntity)
      .findOne({ where: { id: snapshotId, deleted: false } });
    return e === null ? null : snapshotRefOf(e);
  }

  /**
   * Moves a live snapshot from one of `from` to `to` (and sets its progress when given).
   * @returns whether the snapshot was in one of those states (and changed).
   */
  async snapshotTransition(
    snapshotId: string,
    from: readonly string[],
    to: string,
    changes: { progress?: string } = {},
  ): Promise<boolean> {
    const res = await this.ds.getRepository(SnapshotEntity).update(
      { id: snapshotId, deleted: false, status: In([...from]) },
      {
        status: to,
        updatedAt: new Date(),
        ...(changes.progress !== undefined ? { progress: changes.progress } : {}),
      },
    );
    return (res.affected ?? 0) > 0;
  }

  /** Soft-deletes a live snapshot. @returns false when it was already gone. */
  async softDeleteSnapshot(snapshotId: string): Promise<boolean> {
    const now = new Date();
    const res = await this.ds
      .getRepository(SnapshotEntity)
      .update(
        { id: snapshotId, deleted: false },
        { deleted: true, deletedAt: now, updatedAt: now, status: 'deleted' },
      );
    return (res.affected ?? 0) > 0;
  }

  /** The live snapshots of a volume, oldest first. */
  async snapshotsOfVolume(volumeId: string): Promise<SnapshotRowRef[]> {
    const snaps = await this.ds
      .getRepository(SnapshotEntity)
      .find({ where: { volumeId, deleted: false }, order: { createdAt: 'ASC' } });
    return snaps.map(snapshotRefOf);
  }

  /** Live snapshots of a backend's volumes in one of `statuses` (for recovery at start). */
  async snapshotsOnBackend(backend: string, statuses: readonly string[]): Promise<SnapshotRowRef[]> {
    const snaps = await this.ds
      .getRepository(SnapshotEntity)
      .find({ where: { deleted: false, status: In([...statuses]) }, order: { createdAt: 'ASC' } });
    if (snaps.length === 0) return [];
    const vols = await this.ds
      .getRepository(VolumeEntity)
      .find({ where: { id: In([...new Set(snaps.map((x) => x.volumeId))]) } });
    const hostOf = new Map(vols.map((v) => [v.id, v.host]));
    return snaps
      .filter((x) => {
        const h = hostOf.get(x.volumeId);
        return typeof h === 'string' && backendOf(h) === backend;
      })
      .map(snapshotRefOf);
  }

  /** Live volumes in `status` with no host (not placed yet), oldest first. */
  async unplaced(status: string, limit = 100): Promise<VolumeRef[]> {
    const rows = await this.ds.getRepository(VolumeEntity).find({
      where: { host: IsNull(), deleted: false, status },
      order: { createdAt: 'ASC' },
      take: limit,
    });
    return rows.map(refOf);
  }

  /** A volume type's extra specs (empty for an unknown type). */
  async typeExtraSpecs(volumeTypeId: string): Promise<Record<string, string | null>> {
    const rows = await this.ds
      .getRepository(VolumeTypeExtraSpecEntity)
      .find({ where: { volumeTypeId, deleted: false } });
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Live volumes on a backend (`host@backend`, any pool) in one of `statuses`, oldest first. */
  async onBackend(backend: string, statuses: readonly string[]): Promise<VolumeRef[]> {
    // Few volumes are ever in the transient states asked for here, so the host is matched in code
    // (no LIKE: its escaping differs between MariaDB and SQLite, and host names may contain `_`).
    const rows = await this.ds.getRepository(VolumeEntity).find({
      where: { host: Not(IsNull()), deleted: false, status: In([...statuses]) },
      order: { createdAt: 'ASC' },
    });
    return rows.filter((r) => r.host !== null && backendOf(r.host) === backend).map(refOf);
  }
}

/** Cinder's `extract_host(host, 'backend')`: `host@backend#pool` → `host@backend`. */
export function backendOf(host: string): string {
  const i = host.indexOf('#');
  return i < 0 ? host : host.slice(0, i);
}
