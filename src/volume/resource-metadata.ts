/**
 * Key/value metadata rows of a resource other than a volume (today: `snapshot_metadata`), with the
 * semantics of the volume metadata endpoints: read in insertion order, merge or replace, delete one key.
 * Plain SQL, so it needs no entity; every write goes through the write-transaction queue.
 */
import type { DataSource } from 'typeorm';
import { dbDate } from '../db/sql';
import { withWriteTransaction } from '../db/transaction';

/** Which table holds the rows, which column names the owner, and which table the owner lives in. */
export interface MetadataTable {
  readonly table: 'snapshot_metadata';
  readonly ownerColumn: 'snapshot_id';
  readonly ownerTable: 'snapshots';
}

export const SNAPSHOT_METADATA: MetadataTable = {
  table: 'snapshot_metadata',
  ownerColumn: 'snapshot_id',
  ownerTable: 'snapshots',
};

export class ResourceMetadata {
  constructor(
    private readonly ds: DataSource,
    private readonly t: MetadataTable,
  ) {}

  /** The live metadata of each owner (`{}` for one without), in insertion order. */
  async of(ownerIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>(ownerIds.map((id) => [id, {}]));
    if (ownerIds.length === 0) return out;
    const rows: { owner: string; key: string; value: string | null }[] = await this.ds.query(
      `SELECT ${this.t.ownerColumn} AS owner, \`key\`, value FROM ${this.t.table} WHERE deleted = 0 AND ${this.t.ownerColumn} IN (${ownerIds.map(() => '?').join(', ')}) ORDER BY id`,
      [...ownerIds],
    );
    // defineProperty, so a key named `__proto__` is a key like any other.
    for (const r of rows)
      Object.defineProperty(out.get(r.owner)!, r.key, {
        value: r.value ?? '',
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }

  /** Merges `metadata` into the owner's (or, with `replace`, makes it the whole set) and touches the owner. */
  async write(ownerId: string, metadata: Readonly<Record<string, string>>, replace: boolean): Promise<void> {
    const entries = Object.entries(metadata);
    await withWriteTransaction(this.ds, async (q) => {
      const now = dbDate(this.ds, new Date());
      if (replace) {
        await q.query(`DELETE FROM ${this.t.table} WHERE ${this.t.ownerColumn} = ?`, [ownerId]);
      } else if (entries.length > 0) {
        await q.query(
          `DELETE FROM ${this.t.table} WHERE ${this.t.ownerColumn} = ? AND \`key\` IN (${entries.map(() => '?').join(', ')})`,
          [ownerId, ...entries.map(([k]) => k)],
        );
      }
      for (const [key, value] of entries) {
        await q.query(
          `INSERT INTO ${this.t.table} (${this.t.ownerColumn}, \`key\`, value, created_at, deleted) VALUES (?, ?, ?, ?, 0)`,
          [ownerId, key, value, now],
        );
      }
      await q.query(`UPDATE ${this.t.ownerTable} SET updated_at = ? WHERE id = ?`, [now, ownerId]);
    });
  }

  /** @returns whether the key was there. */
  async deleteKey(ownerId: string, key: string): Promise<boolean> {
    return withWriteTransaction(this.ds, async (q) => {
      const live: unknown[] = await q.query(
        `SELECT id FROM ${this.t.table} WHERE ${this.t.ownerColumn} = ? AND \`key\` = ? AND deleted = 0`,
        [ownerId, key],
      );
      if (live.length === 0) return false;
      await q.query(`DELETE FROM ${this.t.table} WHERE ${this.t.ownerColumn} = ? AND \`key\` = ?`, [
        ownerId,
        key,
      ]);
      return true;
    });
  }
}
