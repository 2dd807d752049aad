/**
 * Counts the SQL statements this process sends through mysql2 (TypeORM's driver included), by text;
 * {@link statementKind} groups them into `START TRANSACTION`, `SELECT volumes`, `UPDATE quota_usages` … For the benchmark's
 * "queries per create". It wraps the query method every mysql2 connection inherits, so nothing in the
 * code under test changes.
 */
import * as mysql2 from 'mysql2';

export type QueryCounts = Record<string, number>;

export interface QueryCounter {
  snapshot(): QueryCounts;
  reset(): void;
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
  const base = Object.getPrototypeOf(mysql2.Connection.prototype) as {
    query: (...args: unknown[]) => unknown;
  };
  const original = base.query;
  base.query = function countedQuery(this: unknown, ...args: unknown[]): unknown {
    const first = args[0];
    const sql = typeof first === 'string' ? first : (first as { sql?: unknown } | null)?.sql;
    // Counted by text (cheap on the hot path); statementKind groups them when they are read.
    if (typeof sql === 'string') counts.set(sql, (counts.get(sql) ?? 0) + 1);
    return original.apply(this, args);
  };
  installed = {
    snapshot: () => Object.fromEntries(counts),
    reset: () => {
      counts = new Map();
    },
  };
  return installed;
}
