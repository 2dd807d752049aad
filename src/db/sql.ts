import type { DataSource } from 'typeorm';

/** The database flavours this project runs on. */
export type DbFlavor = 'mysql' | 'sqlite';

/** Which flavour a DataSource talks to. */
export function dbFlavor(ds: Pick<DataSource, 'options'>): DbFlavor {
  const type = ds.options.type;
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  if (type === 'better-sqlite3' || type === 'sqlite') return 'sqlite';
  throw new Error(`unsupported database type '${type}'; expected mysql, mariadb or better-sqlite3`);
}

/**
 * A Date as a raw-query parameter. mysql2 formats Date objects itself (in UTC: the pool runs with
 * `timezone: 'Z'`); better-sqlite3 cannot bind a Date, so SQLite gets the UTC text TypeORM itself
 * writes for `datetime` columns ('YYYY-MM-DD HH:MM:SS.sss'), which also sorts and compares correctly.
 */
export function dbDate(ds: Pick<DataSource, 'options'>, date: Date): Date | string {
  if (dbFlavor(ds) === 'mysql') return date;
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** Reads a boolean column returned by a raw query (true/false from some drivers, 1/0 or '1'/'0' from others). */
export function dbFlag(value: unknown): boolean {
  return value === true || Number(value) === 1;
}

/** Reads a datetime returned by a raw query (a Date from mysql2, UTC text from SQLite) as a Date. */
export function parseDbDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') return new Date(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`);
  throw new Error(`not a datetime: ${String(value)}`);
}
