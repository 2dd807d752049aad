import type { DbFlavor } from '../db/sql';

/**
 * Every statement of the quota engine's hot paths, in one place so the benchmark's direct-mysql2
 * baseline issues exactly the same SQL. Placeholders are `?` on both databases.
 */
export const quotaSql = {
  /**
   * Limits of the given resources: the project's own rows (src 1) and the `default` class (src 0).
   * Read before the transaction, as Cinder does; the usage lock is what makes the check safe.
   */
  limits(n: number): string {
    const list = placeholders(n);
    return (
      `SELECT resource, hard_limit, 1 AS src FROM quotas WHERE project_id = ? AND resource IN (${list}) ` +
      `UNION ALL SELECT resource, hard_limit, 0 AS src FROM quota_classes WHERE class_name = 'default' AND resource IN (${list})`
    );
  },

  /**
   * THE lock: every usage row of one project, through the (project_id, resource) unique index, in
   * resource order, with one statement. Reserve, commit, rollback, expire, setLimits and the audit all
   * lock with exactly this statement, so two transactions can never take the same rows in different
   * orders (an ORDER BY on another column, or a plan through another index, could). SQLite has no
   * row locks: there the surrounding BEGIN IMMEDIATE transaction holds the database write lock.
   */
  lockUsages(flavor: DbFlavor): string {
    return flavor === 'mysql'
      ? 'SELECT id, resource, in_use, reserved FROM quota_usages FORCE INDEX (uniq_quota_usages_project_id_resource) ' +
          'WHERE project_id = ? ORDER BY resource FOR UPDATE'
      : 'SELECT id, resource, in_use, reserved FROM quota_usages WHERE project_id = ? ORDER BY resource';
  },

  /** Creates missing usage rows; a row another transaction created first is left alone (no duplicates). */
  createUsages(flavor: DbFlavor, n: number): string {
    const verb = flavor === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    return `${verb} INTO quota_usages (project_id, resource, in_use, reserved, created_at) VALUES ${repeat('(?, ?, 0, 0, ?)', n)}`;
  },

  insertReservations(n: number): string {
    return (
      'INSERT INTO reservations (uuid, usage_id, project_id, resource, delta, expire, created_at, deleted) VALUES ' +
      repeat('(?, ?, ?, ?, ?, ?, ?, 0)', n)
    );
  },

  /**
   * `reserved += delta` for n usage rows (already locked): params are [id, delta]×n, updated_at, id×n.
   * The primary key is forced on MySQL: see {@link byPrimaryKey}.
   */
  addReserved(n: number, flavor: DbFlavor = 'mysql'): string {
    return (
      `UPDATE quota_usages${byPrimaryKey(flavor)} SET reserved = reserved + CASE id ${repeat('WHEN ? THEN ?', n, ' ')} ELSE 0 END, ` +
      `updated_at = ? WHERE id IN (${placeholders(n)})`
    );
  },

  /**
   * Outstanding reservations of one project by uuid (with the uuid: one read serves several callers'
   * settles in a batch). Read, not locked: it must run after
   * {@link lockUsages} in the same transaction, and a project's reservations are only ever inserted or
   * deleted under that project's usage lock, so nothing can change them meanwhile; and the transaction's
   * REPEATABLE READ snapshot is taken by this first plain read, i.e. after the lock was granted, so it
   * sees every committed one. (A `FOR UPDATE` here took next-key locks in the (project_id, uuid) index,
   * gaps other projects' reservation inserts and deletes need: bench:quota's one-project-per-worker mode
   * retried 50–220 cross-project deadlocks per run with it, none without.)
   */
  selectReservations(flavor: DbFlavor, n: number): string {
    return `SELECT id, uuid, usage_id, delta FROM reservations${projectReservations(flavor)} WHERE project_id = ? AND uuid IN (${placeholders(n)})`;
  },

  /**
   * Expired reservations of one project, read (not locked) under the usage lock like
   * {@link selectReservations}, through the (project_id, uuid) index so it reads only this project's.
   */
  selectExpired(flavor: DbFlavor): string {
    return `SELECT id, usage_id, delta FROM reservations${projectReservations(flavor)} WHERE project_id = ? AND expire < ?`;
  },

  /** Applies settled reservations (rows already locked): params are [id, reservedDec]×n, [id, inUseInc]×n, updated_at, id×n. */
  settleUsages(n: number, flavor: DbFlavor = 'mysql'): string {
    return (
      `UPDATE quota_usages${byPrimaryKey(flavor)} SET reserved = reserved - CASE id ${repeat('WHEN ? THEN ?', n, ' ')} ELSE 0 END, ` +
      `in_use = in_use + CASE id ${repeat('WHEN ? THEN ?', n, ' ')} ELSE 0 END, ` +
      `updated_at = ? WHERE id IN (${placeholders(n)})`
    );
  },

  /** Deletes settled reservations (already locked) by primary key; forced on MySQL like {@link addReserved}. */
  deleteReservations(n: number, flavor: DbFlavor = 'mysql'): string {
    return flavor === 'mysql'
      ? `DELETE r FROM reservations r FORCE INDEX (PRIMARY) WHERE r.id IN (${placeholders(n)})`
      : `DELETE FROM reservations WHERE id IN (${placeholders(n)})`;
  },
} as const;

/**
 * `FORCE INDEX (PRIMARY)` for the UPDATEs of usage rows by id on MySQL. Without it, while InnoDB's
 * statistics still describe a young (near-empty) table, MariaDB plans `WHERE id IN (…)` as a full scan
 * of the primary key, and an UPDATE under REPEATABLE READ then X-locks every row it scans: every usage
 * row of every project, plus the uncommitted row a concurrent first-use INSERT has just put in the
 * clustered index — a deadlock with that INSERT, which waits for this transaction's lock on the
 * project's existing unique-index entry. Forced, the UPDATE touches exactly the rows the usage lock holds.
 */
function byPrimaryKey(flavor: DbFlavor): string {
  return flavor === 'mysql' ? ' FORCE INDEX (PRIMARY)' : '';
}

/** The (project_id, uuid) index for reads of one project's reservations on MySQL. */
function projectReservations(flavor: DbFlavor): string {
  return flavor === 'mysql' ? ' FORCE INDEX (ix_reservations_project_id_uuid)' : '';
}

/**
 * Makes a write that ends in a WHERE clause a no-op unless the session is inside a transaction
 * (MariaDB's `@@in_transaction`). For statements the engine pipelines behind another one of the same
 * transaction: if that one deadlocks, InnoDB rolls the whole transaction back and the connection is
 * in autocommit again, where the guarded statement then changes nothing instead of committing alone.
 */
export function inTransactionOnly(sql: string): string {
  return `${sql} AND @@in_transaction = 1`;
}

/**
 * Statements as one MariaDB compound statement (`BEGIN NOT ATOMIC … END`): one round trip, and the server
 * stops at the first error. With `rollbackOnError` an exit handler first rolls the transaction back and
 * then reports the original error (same errno, so deadlocks are still retried). The SELECTs inside answer
 * one result set each. Parameters are inlined by the driver (`?`), as for any other statement.
 */
export function compound(
  statements: ReadonlyArray<readonly [string, unknown[]]>,
  rollbackOnError: boolean,
): [string, unknown[]] {
  const handler = rollbackOnError
    ? 'DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;\n'
    : '';
  const sql = `BEGIN NOT ATOMIC\n${handler}${statements.map(([text]) => `${text};\n`).join('')}END`;
  return [sql, statements.flatMap(([, params]) => params)];
}

export function placeholders(n: number): string {
  return repeat('?', n);
}

/** Built lists by (unit, n, sep): the statements are rebuilt for every query, with few distinct shapes. */
const repeated = new Map<string, string>();

function repeat(unit: string, n: number, sep = ', '): string {
  const key = `${n}\u0000${sep}\u0000${unit}`;
  let out = repeated.get(key);
  if (out === undefined) {
    out = Array.from({ length: n }, () => unit).join(sep);
    // Bounded: n is a count of resources, reservations or usage rows (small); the cap keeps a caller
    // with unusual sizes from growing it without end.
    if (repeated.size < 1000) repeated.set(key, out);
  }
  return out;
}
