import * as path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { installSqliteGate } from './transaction';

/** A database URL that cannot be turned into DataSource options. The message names what was expected. */
export class DatabaseUrlError extends Error {
  readonly code = 'DATABASE_URL_INVALID';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Connections per MySQL pool unless the URL says `?max_pool_size=N` (oslo.db's option name). @default 10 */
export const DEFAULT_MYSQL_POOL_SIZE = 10;
/** How long SQLite waits on a locked database before SQLITE_BUSY. @default 5000 */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

const MYSQL_SCHEMES = new Set(['mysql:', 'mariadb:', 'mysql+pymysql:', 'mysql+mysql2:', 'mysql+mysqldb:']);

/** Whether a DataSource talks to MySQL/MariaDB (as opposed to SQLite). */
export function isMysql(ds: DataSource | DataSourceOptions): boolean {
  const type = ds instanceof DataSource ? ds.options.type : ds.type;
  return type === 'mysql' || type === 'mariadb';
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function sqliteOptions(database: string): DataSourceOptions {
  const memory = database === ':memory:';
  return {
    type: 'better-sqlite3',
    database,
    entities: [...ENTITIES],
    migrations: [...MIGRATIONS],
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    enableWAL: !memory,
    timeout: SQLITE_BUSY_TIMEOUT_MS,
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      db.pragma('foreign_keys = ON');
    },
  };
}

/**
 * Turns a database URL into TypeORM DataSource options.
 *
 * Accepted forms:
 * - `sqlite::memory:` — an in-memory SQLite database;
 * - `sqlite:<path>` — an SQLite file (relative to the working directory unless absolute); the
 *   SQLAlchemy form `sqlite:///<relative>` / `sqlite:////<absolute>` is accepted too;
 * - `mysql://user:pass@host:port/db`, `mariadb://…` and OpenStack's `mysql+pymysql://…`, driver mysql2.
 *   Query parameters: `max_pool_size` (default {@link DEFAULT_MYSQL_POOL_SIZE}); `charset` is accepted
 *   and ignored (the connection is always utf8mb4).
 *
 * Entities and migrations are listed explicitly, `synchronize` is off, MySQL runs in UTC
 * (`timezone: 'Z'`) with utf8mb4, SQLite in WAL mode with a busy timeout.
 *
 * @throws DatabaseUrlError for anything else, with a message naming what was expected.
 * @example dataSourceOptionsFromUrl('mysql+pymysql://cinder:secret@db:3306/cinder?charset=utf8')
 */
export function dataSourceOptionsFromUrl(url: string): DataSourceOptions {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new DatabaseUrlError(
      'database URL is empty; expected sqlite:<path>, sqlite::memory: or mysql://user:pass@host:port/db',
    );
  }
  const trimmed = url.trim();
  if (/^sqlite:/i.test(trimmed)) {
    let rest = trimmed.slice('sqlite:'.length);
    if (rest.startsWith('//')) {
      rest = rest.slice(2); // sqlite://<x>: SQLAlchemy puts an empty host before the path
      if (rest.startsWith('/')) rest = rest.slice(1); // sqlite:///rel → rel, sqlite:////abs → /abs
    }
    if (rest === '') {
      throw new DatabaseUrlError(
        `database URL '${trimmed}' names no SQLite file; expected sqlite:<path> or sqlite::memory:`,
      );
    }
    if (rest === ':memory:') return sqliteOptions(':memory:');
    return sqliteOptions(path.resolve(rest));
  }

  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new DatabaseUrlError(
      `database URL '${redact(trimmed)}' is not a URL; expected sqlite:<path>, sqlite::memory: or mysql://user:pass@host:port/db`,
    );
  }
  const scheme = parsed.protocol.toLowerCase();
  if (!MYSQL_SCHEMES.has(scheme)) {
    throw new DatabaseUrlError(
      `database URL scheme '${scheme.replace(/:$/, '')}' is not supported; expected sqlite, mysql, mariadb or mysql+pymysql`,
    );
  }
  if (parsed.hostname === '') {
    throw new DatabaseUrlError(
      `database URL '${redact(trimmed)}' names no host; expected mysql://user:pass@host:port/db`,
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new DatabaseUrlError(
      `database URL '${redact(trimmed)}' names no database; expected mysql://user:pass@host:port/db`,
    );
  }
  let port = 3306;
  if (parsed.port !== '') {
    port = Number(parsed.port);
  }
  let poolSize = DEFAULT_MYSQL_POOL_SIZE;
  const poolParam = parsed.searchParams.get('max_pool_size');
  if (poolParam !== null) {
    poolSize = Number(poolParam);
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      throw new DatabaseUrlError(`database URL max_pool_size '${poolParam}' is not a positive integer`);
    }
  }
  return {
    type: scheme === 'mariadb:' ? 'mariadb' : 'mysql',
    connectorPackage: 'mysql2',
    host: parsed.hostname,
    port,
    username: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
    entities: [...ENTITIES],
    migrations: [...MIGRATIONS],
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    timezone: 'Z',
    charset: 'utf8mb4',
    poolSize,
    extra: { connectionLimit: poolSize, waitForConnections: true },
  };
}

/**
 * A DataSource (not yet initialized) for a database URL. On SQLite, initializing it also installs the
 * transaction gate (see installSqliteGate in ./transaction). @see dataSourceOptionsFromUrl
 */
export function createDataSource(url: string): DataSource {
  const ds = new DataSource(dataSourceOptionsFromUrl(url));
  if (ds.options.type === 'better-sqlite3') {
    // One shared SQLite connection: install the transaction gate as soon as it exists.
    const initialize = ds.initialize.bind(ds);
    ds.initialize = async () => {
      await initialize();
      installSqliteGate(ds);
      return ds;
    };
  }
  return ds;
}

/**
 * Applies every pending migration.
 * @returns the names of the migrations applied, in order (empty when the schema was current).
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const applied = await ds.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/**
 * Reverts the most recently applied migration.
 * @returns the name of the migration reverted, or null when none was applied.
 */
export async function revertLastMigration(ds: DataSource): Promise<string | null> {
  const before = await appliedMigrationNames(ds);
  if (before.length === 0) return null;
  await ds.undoLastMigration({ transaction: 'each' });
  return before[before.length - 1] ?? null;
}

/** Names of the migrations recorded as applied, oldest first. */
export async function appliedMigrationNames(ds: DataSource): Promise<string[]> {
  const table = ds.options.migrationsTableName ?? 'migrations';
  const runner = ds.createQueryRunner();
  try {
    if (!(await runner.hasTable(table))) return [];
  } finally {
    await runner.release();
  }
  const rows: Array<{ name: string }> = await ds.query(
    `SELECT name FROM ${table} ORDER BY timestamp ASC, id ASC`,
  );
  return rows.map((r) => r.name);
}
