import type { DataSource } from 'typeorm';
import { dbDate, dbFlavor } from '../db/sql';
import { retryOnLockConflict, withWriteTransaction, type WriteTransactionOptions } from '../db/transaction';
import { quotaSql } from './quota-sql';

/**
 * Creates the `quota_usages` rows (0 in use, 0 reserved) a project does not have yet for `resources`;
 * rows that exist, or that a concurrent caller creates first, are left alone (the unique
 * (project_id, resource) index keeps one row per resource). Call it outside any transaction, before the
 * transaction that locks the rows: the engine's reserve and the usage audit's fix do.
 *
 * MySQL/MariaDB: one autocommit `INSERT IGNORE` per row, deadlock-retried. Each statement holds at
 * most the row it creates and waits on nothing while holding it, so it cannot close a lock cycle with
 * the engine's locking transactions or with another creator. (One multi-row INSERT in a transaction
 * keeps its first rows locked while its duplicate check waits on the next ones — in our sort order,
 * which the index collation need not share — which can.)
 * SQLite: one multi-row `INSERT OR IGNORE` in a write transaction (the database lock serializes writers).
 */
export async function createMissingUsageRows(
  ds: DataSource,
  projectId: string,
  resources: readonly string[],
  now: Date,
  retry?: WriteTransactionOptions,
): Promise<void> {
  const sorted = [...new Set(resources)].sort();
  if (sorted.length === 0) return;
  const at = dbDate(ds, now);
  const flavor = dbFlavor(ds);
  if (flavor === 'sqlite') {
    await withWriteTransaction(
      ds,
      (q) =>
        q.query(
          quotaSql.createUsages(flavor, sorted.length),
          sorted.flatMap((r) => [projectId, r, at]),
        ),
      retry,
    );
    return;
  }
  for (const resource of sorted) {
    await retryOnLockConflict(
      () => ds.query(quotaSql.createUsages(flavor, 1), [projectId, resource, at]),
      retry,
    );
  }
}
