import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { v4 as uuidv4 } from 'uuid';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../../src/db/data-source';

/** A migrated, initialized test database and how to get rid of it. */
export interface TestDatabase {
  dataSource: DataSource;
  /** The URL of this database (pass it to another DataSource or a child process). */
  url: string;
  /** Destroys the DataSource and drops the database (or deletes the file). Safe to call twice. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Run the migrations. @default true */
  migrate?: boolean;
  /** Initialize the DataSource. @default true */
  initialize?: boolean;
}

function requireTestMysqlUrl(): URL {
  const raw = process.env.TEST_MYSQL_URL;
  if (raw === undefined || raw.trim() === '') {
    throw new Error(
      'TEST_MYSQL_URL is not set: the MariaDB suites need a server, e.g. TEST_MYSQL_URL=mysql://root@127.0.0.1:3306 npm run test:int',
    );
  }
  try {
    return new URL(raw.trim());
  } catch {
    throw new Error(`TEST_MYSQL_URL '${raw}' is not a URL; expected mysql://user:pass@host:port`);
  }
}

/**
 * Creates a uniquely named MariaDB/MySQL database on the server named by `TEST_MYSQL_URL`
 * (any database in that URL is ignored), runs the migrations and returns it initialized.
 *
 * @throws a clear Error when TEST_MYSQL_URL is unset or the server cannot be reached — call it in
 *   `beforeAll` so the suite fails instead of skipping.
 */
export async function createTestMysqlDatabase(opts: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = requireTestMysqlUrl();
  const name = `test_${Date.now().toString(36)}_${uuidv4().replace(/-/g, '').slice(0, 10)}`;
  const admin = await createConnection({
    host: server.hostname,
    port: server.port === '' ? 3306 : Number(server.port),
    user: decodeURIComponent(server.username) || 'root',
    password: decodeURIComponent(server.password),
  }).catch((err: unknown) => {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot reach the MariaDB server at TEST_MYSQL_URL (${server.host}): ${detail}`);
  });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  const dropDatabase = async (): Promise<void> => {
    const conn = await createConnection({
      host: server.hostname,
      port: server.port === '' ? 3306 : Number(server.port),
      user: decodeURIComponent(server.username) || 'root',
      password: decodeURIComponent(server.password),
    });
    try {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await conn.end();
    }
  };
  return prepare(url.toString(), opts, dropDatabase);
}

/**
 * Creates a migrated SQLite test database: a fresh file in the OS temp dir, or `:memory:` when asked.
 * `drop()` destroys the DataSource and deletes the file (with its WAL/SHM companions).
 */
export async function createTestSqliteDatabase(
  opts: TestDatabaseOptions & { memory?: boolean } = {},
): Promise<TestDatabase> {
  if (opts.memory === true) return prepare('sqlite::memory:', opts, async () => undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-test-'));
  const file = path.join(dir, 'test.sqlite');
  return prepare(`sqlite:${file}`, opts, async () => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

async function prepare(
  url: string,
  opts: TestDatabaseOptions,
  cleanup: () => Promise<void>,
): Promise<TestDatabase> {
  const dataSource = createDataSource(url);
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    if (dataSource.isInitialized) await dataSource.destroy();
    await cleanup();
  };
  try {
    if (opts.initialize !== false) {
      await dataSource.initialize();
      if (opts.migrate !== false) await runMigrations(dataSource);
    }
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { dataSource, url, drop };
}
