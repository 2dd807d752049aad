/**
 * Cinder's legacy attach state machine (the volume actions Nova's cinder client drives):
 * os-reserve (available → attaching), os-unreserve (attaching → available, or in-use while attachments
 * remain), os-begin_detaching (in-use → detaching), os-roll_detaching (detaching → in-use).
 *
 * Every transition is one conditional UPDATE (a compare-and-set on the expected status, Cinder's
 * `conditional_update`), so of two racing requests exactly one moves the volume and the other gets
 * Cinder's 400 (or, where Cinder says nothing, nothing happens).
 */
import type { DataSource } from 'typeorm';
import { VolumeEntity } from '../db/entities';
import { withWriteTransaction } from '../db/transaction';
import { InvalidVolumeError, type VolumeRecord } from '../tasks/volume';

/** Cinder's `AVAILABLE_MIGRATION_STATUS`: migration states that do not hold a detach back. */
const AVAILABLE_MIGRATION_STATUS = ['deleting', 'error', 'success'] as const;

/** Cinder's `utils.build_or_str`: `a or b or c`. */
function orString(values: readonly string[]): string {
  return values.join(' or ');
}

/** Attachments still counting (Cinder's `volume_has_attachments_filter`). */
const HAS_ATTACHMENTS =
  "EXISTS (SELECT 1 FROM volume_attachment a WHERE a.volume_id = volumes.id AND a.deleted = 0 AND a.attach_status <> 'detached')";

export class VolumeAttachments {
  constructor(private readonly ds: DataSource) {}

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
    return withWriteTransaction(this.ds, async (q) => {
      let qb = q.manager
        .createQueryBuilder()
        .update(VolumeEntity)
        .set({ ...set, updatedAt: new Date() })
        .where('id = :id AND deleted = :no', { id, no: false })
        .andWhere('status IN (:...fromStatuses)', { fromStatuses: [...fromStatuses] });
      if (extraWhere !== undefined) qb = qb.andWhere(extraWhere.sql, extraWhere.params ?? {});
      const res = await qb.execute();
      return (res.affected ?? 0) === 1;
    });
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
      status: () => `CASE WHEN ${HAS_ATTACHMENTS} THEN 'in-use' ELSE 'available' END`,
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
}
