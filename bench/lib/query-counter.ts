/**
 * Counts the SQL statements this process sends through mysql2 (TypeORM's driver included), by text;
 * {@link statementKind} groups them into `START TRANSACTION`, `SELECT volumes`, `UPDATE quota_usages` … For the benchmark's
 * "queries per create". It wraps the query method every mysql2 connection inherits, so nothing in the
 * code under test changes.
 */
import { performance } from 'node:perf_hooks';
import * as mysql2 from 'mysql2';

export type QueryCounts = Record<string, number>;

/**
 * How long transactions held a project's quota usage rows, seen from this process: from the answer to
 * the locking read (`… quota_usages … FOR UPDATE`) to the answer to that connection's next COMMIT (or
 * ROLLBACK), which includes this process's turns between the statements in between.
 */
export interface LockTimes {
  readonly transactions: number;
  readonly heldMs: number;
  /** From sending the locking read to its answer. */
  readonly waitMs: number;
}

export interface QueryCounter {
  snapshot(): QueryCounts;
  lockTimes(): LockTimes;
  /** Queries sent: one per statement, except a compound statement, one for all of its statements. */
  roundTrips(): number;
  reset(): void;
}

const LOCK_READ = /\bquota_usages\b.*\bFOR UPDATE\b/s;

/**
 * The statements inside a MariaDB compound statement as the quota engine writes one (`BEGIN NOT ATOMIC`,
 * an optional exit handler, one statement per line, `END`), so each counts as the statement it is.
 */
function innerStatements(sql: string): string[] {
  return sql
    .split('\n')
    .slice(1, -1)
    .filter((line) => !line.startsWith('DECLARE '))
    .map((line) => line.replace(/;$/, ''));
}

/** `SELECT … FROM \`volumes\` …` → `SELECT volumes`; transaction control keeps its words. */
export function statementKind(sql: string): string {
  const text = sql.trim().replace(/\s+/g, ' ');
  const verb = (/^\w+/.exec(text)?.[0] ?? '?').toUpperCase();
  const table = (re: RegExp): string => (re.exec(text)?.[1] ?? '?').replace(/[`"]/g, '');
  switch (verb) {
    case 'SELECT':
      return /\bFROM\b/i.test(text) ? `SELECT ${table(/\bFROM\s+([`"]?\w+[`"]?)/i)}` : 'SELECT (no table)';
    case 'INSERT':
      return `INSERT ${table(/\bINTO\s+([`"]?\w+[`"]?)/i)}`;
    case 'UPDATE':
      return `UPDATE ${table(/^UPDATE\s+([`"]?\w+[`"]?)/i)}`;
    case 'DELETE':
      return `DELETE ${table(/\bFROM\s+([`"]?\w+[`"]?)/i)}`;
    default:
      return text.length > 40 ? text.slice(0, 40) : text;
  }
}

let installed: QueryCounter | undefined;

/** Starts counting (once per process; later calls return the same counter). */
export function countQueries(): QueryCounter {
  if (installed !== undefined) return installed;
  let counts = new Map<string, number>();
  let lock = { transactions: 0, heldMs: 0, waitMs: 0 };
  let roundTrips = 0;
  const lockedAt = new WeakMap<object, number>();
  const base = Object.getPrototypeOf(mysql2.Connection.prototype) as {
    query: (...args: unknown[]) => unknown;
  };
  const original = base.query;
  base.query = function countedQuery(this: unknown, ...args: unknown[]): unknown {
    const first = args[0];
    const sql = typeof first === 'string' ? first : (first as { sql?: unknown } | null)?.sql;
    // Counted by text (cheap on the hot path); statementKind groups them when they are read.
    if (typeof sql === 'string') {
      roundTrips++;
      const statements = sql.startsWith('BEGIN NOT ATOMIC\n') ? innerStatements(sql) : [sql];
      for (const s of statements) counts.set(s, (counts.get(s) ?? 0) + 1);
      const locking = LOCK_READ.test(sql);
      const ending = statements.some((s) => s === 'COMMIT' || s === 'ROLLBACK');
      const at = args.findIndex((a) => typeof a === 'function');
      if ((locking || ending) && at >= 0) {
        const conn = this as object;
        const callback = args[at] as (...r: unknown[]) => unknown;
        const sent = performance.now();
        args[at] = function timed(this: unknown, ...r: unknown[]): unknown {
          const now = performance.now();
          if (locking) {
            lockedAt.set(conn, now);
            lock.waitMs += now - sent;
          } else {
            const since = lockedAt.get(conn);
            if (since !== undefined) {
              lockedAt.delete(conn);
              lock.transactions++;
              lock.heldMs += now - since;
            }
          }
          return callback.apply(this, r);
        };
      }
    }
    return original.apply(this, args);
  };
  installed = {
    snapshot: () => Object.fromEntries(counts),
    lockTimes: () => ({ ...lock }),
    roundTrips: () => roundTrips,
    reset: () => {
      counts = new Map();
      roundTrips = 0;
      lock = { transactions: 0, heldMs: 0, waitMs: 0 };
    },
  };
  return installed;
}
