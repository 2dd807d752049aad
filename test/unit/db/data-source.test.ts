import * as path from 'node:path';
import {
  DatabaseUrlError,
  appliedMigrationNames,
  dataSourceOptionsFromUrl,
  revertLastMigration,
  runMigrations,
} from '../../../src/db/data-source';
import { ENTITIES } from '../../../src/db/entities';
import { MIGRATIONS } from '../../../src/db/migrations';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';

describe('dataSourceOptionsFromUrl', () => {
  it('maps sqlite::memory: to better-sqlite3 in memory without WAL', () => {
    const opts = dataSourceOptionsFromUrl('sqlite::memory:');

    expect(opts).toMatchObject({
      type: 'better-sqlite3',
      database: ':memory:',
      enableWAL: false,
      synchronize: false,
    });
  });

  it('maps sqlite:<path> to an absolute file with WAL and a busy timeout', () => {
    const opts = dataSourceOptionsFromUrl('sqlite:data/cinder.sqlite');

    expect(opts).toMatchObject({
      type: 'better-sqlite3',
      database: path.resolve('data/cinder.sqlite'),
      enableWAL: true,
      timeout: 5000,
    });
  });

  it('accepts the SQLAlchemy sqlite:////absolute form', () => {
    expect(dataSourceOptionsFromUrl('sqlite:////tmp/x.db')).toMatchObject({ database: '/tmp/x.db' });
    expect(dataSourceOptionsFromUrl('sqlite:///rel.db')).toMatchObject({ database: path.resolve('rel.db') });
  });

  it.each(['mysql', 'mariadb', 'mysql+pymysql'])('maps %s:// to mysql2 in UTC with utf8mb4', (scheme) => {
    const opts = dataSourceOptionsFromUrl(`${scheme}://cinder:s%40cret@db.example:3307/cinder?charset=utf8`);

    expect(opts).toMatchObject({
      type: scheme === 'mariadb' ? 'mariadb' : 'mysql',
      connectorPackage: 'mysql2',
      host: 'db.example',
      port: 3307,
      username: 'cinder',
      password: 's@cret',
      database: 'cinder',
      timezone: 'Z',
      charset: 'utf8mb4',
      synchronize: false,
      poolSize: 10,
    });
  });

  it('defaults the MySQL port to 3306 and honours max_pool_size', () => {
    expect(dataSourceOptionsFromUrl('mysql://root@localhost/db?max_pool_size=3')).toMatchObject({
      port: 3306,
      poolSize: 3,
    });
  });

  it('lists every entity and migration class explicitly', () => {
    const opts = dataSourceOptionsFromUrl('sqlite::memory:');

    expect(opts.entities).toEqual([...ENTITIES]);
    expect(opts.migrations).toEqual([...MIGRATIONS]);
  });

  it.each([
    ['', /empty/],
    ['sqlite:', /names no SQLite file/],
    ['postgres://u@h/db', /scheme 'postgres' is not supported/],
    ['mysql://root@localhost', /names no database/],
    ['mysql://root@localhost/db?max_pool_size=0', /max_pool_size/],
    ['not a url', /is not a URL/],
  ])('rejects %j with a clear DatabaseUrlError', (url, message) => {
    expect(() => dataSourceOptionsFromUrl(url)).toThrow(DatabaseUrlError);
    expect(() => dataSourceOptionsFromUrl(url)).toThrow(message);
  });

  it('never echoes the password in an error', () => {
    expect(() => dataSourceOptionsFromUrl('mysql://root:hunter2@localhost')).toThrow(/root:\*\*\*@/);
  });
});

describe('migrations on SQLite', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestSqliteDatabase({ migrate: false });
  });
  afterEach(async () => {
    await db.drop();
  });

  it('apply, revert and re-apply cleanly', async () => {
    const applied = await runMigrations(db.dataSource);
    const again = await runMigrations(db.dataSource);
    const tables = await db.dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'");

    expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect(again).toEqual([]);
    expect(tables.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['volumes', 'quota_usages', 'atomdetails']),
    );

    const reverted = await revertLastMigration(db.dataSource);

    expect(reverted).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.name);
    expect(await appliedMigrationNames(db.dataSource)).toEqual(MIGRATIONS.slice(0, -1).map((m) => m.name));
    expect(await runMigrations(db.dataSource)).toEqual([MIGRATIONS[MIGRATIONS.length - 1]!.name]);

    // Every migration's down, newest first, leaves no table of ours behind; then all apply again.
    const downs: string[] = [];
    for (
      let name = await revertLastMigration(db.dataSource);
      name !== null;
      name = await revertLastMigration(db.dataSource)
    )
      downs.push(name);
    const left = await db.dataSource.query(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('volumes', 'quota_usages', 'atomdetails')",
    );

    expect(downs).toEqual(MIGRATIONS.map((m) => m.name).reverse());
    expect(left).toEqual([]);
    expect(await runMigrations(db.dataSource)).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it('seeds the default volume type and the default quota class', async () => {
    await runMigrations(db.dataSource);

    const types = await db.dataSource.query('SELECT name, description FROM volume_types');
    const classes = await db.dataSource.query(
      "SELECT resource, hard_limit FROM quota_classes WHERE class_name = 'default' ORDER BY resource",
    );

    expect(types).toEqual([{ name: '__DEFAULT__', description: 'Default Volume Type' }]);
    expect(
      Object.fromEntries(
        classes.map((r: { resource: string; hard_limit: number }) => [r.resource, r.hard_limit]),
      ),
    ).toEqual({
      backup_gigabytes: 1000,
      backups: 10,
      gigabytes: 1000,
      groups: 10,
      per_volume_gigabytes: -1,
      snapshots: 10,
      volumes: 10,
    });
  });
});
