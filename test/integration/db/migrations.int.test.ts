import { appliedMigrationNames, revertLastMigration, runMigrations } from '../../../src/db/data-source';
import { MIGRATIONS } from '../../../src/db/migrations';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';

describe('migrations on MariaDB', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestMysqlDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const tables = async (): Promise<string[]> =>
    (
      await db.dataSource.query(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
      )
    ).map((r: { name: string }) => r.name);

  it('apply every table, revert to nothing but the migrations table, and re-apply', async () => {
    const applied = await runMigrations(db.dataSource);

    expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await tables()).toEqual(
      expect.arrayContaining([
        'volumes',
        'volume_metadata',
        'volume_types',
        'volume_type_extra_specs',
        'snapshots',
        'quotas',
        'quota_classes',
        'quota_usages',
        'reservations',
        'services',
        'compute_nodes',
        'instances',
        'logbooks',
        'flowdetails',
        'atomdetails',
      ]),
    );

    for (let i = 0; i < MIGRATIONS.length; i++) await revertLastMigration(db.dataSource);

    expect(await tables()).toEqual(['migrations']);
    expect(await appliedMigrationNames(db.dataSource)).toEqual([]);
    expect(await runMigrations(db.dataSource)).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it('seeds __DEFAULT__ and the default quota class, and uses utf8mb4 InnoDB tables', async () => {
    const types = await db.dataSource.query('SELECT name, description FROM volume_types');
    const classes = await db.dataSource.query(
      "SELECT COUNT(*) AS n FROM quota_classes WHERE class_name = 'default'",
    );
    const engines = await db.dataSource.query(
      "SELECT DISTINCT engine, table_collation AS c FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'migrations'",
    );

    expect(types).toEqual([{ name: '__DEFAULT__', description: 'Default Volume Type' }]);
    expect(Number(classes[0].n)).toBe(7);
    expect(engines).toEqual([{ engine: 'InnoDB', c: expect.stringMatching(/^utf8mb4/) }]);
  });

  it('allows one live service per host+binary but keeps soft-deleted ones', async () => {
    const now = new Date();
    const insert = (deleted: number): Promise<unknown> =>
      db.dataSource.query(
        "INSERT INTO services (host, `binary`, topic, created_at, deleted) VALUES ('h1', 'cinder-volume', 'volume', ?, ?)",
        [now, deleted],
      );

    await insert(0);
    await expect(insert(0)).rejects.toThrow(/Duplicate entry/);
    await db.dataSource.query('UPDATE services SET deleted = id');
    await insert(0);
    const rows = await db.dataSource.query("SELECT COUNT(*) AS n FROM services WHERE host = 'h1'");

    expect(Number(rows[0].n)).toBe(2);
  });
});
