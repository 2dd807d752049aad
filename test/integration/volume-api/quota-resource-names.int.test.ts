/** Exact quota resource names on MariaDB (the binary-collation migration); TEST_MYSQL_URL. */
import { revertLastMigration, runMigrations } from '../../../src/db/data-source';
import { QuotaResourceBinaryCollation1795360000000 } from '../../../src/db/migrations/1795360000000-quota-resource-binary-collation';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';
import { quotaResourceNamesSuite } from '../../unit/volume-api/quota-resource-names.suite';

quotaResourceNamesSuite('MariaDB', () => createTestMysqlDatabase());

describe('QuotaResourceBinaryCollation on MariaDB', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestMysqlDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const collations = async (): Promise<string[]> =>
    (
      await db.dataSource.query(
        "SELECT table_name AS t, collation_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND column_name = 'resource'",
      )
    )
      .map((r: { t: string; c: string }) => `${r.t}:${r.c}`)
      .sort();

  it('makes every quota resource column binary, keeps their character set, and reverts to the table default', async () => {
    expect(await collations()).toEqual([
      'quota_classes:utf8mb4_bin',
      'quota_usages:utf8mb4_bin',
      'quotas:utf8mb4_bin',
      'reservations:utf8mb4_bin',
    ]);
    await db.dataSource.query(
      "INSERT INTO quotas (project_id, resource, hard_limit, created_at) VALUES ('p', 'volumes_a', 1, NOW()), ('p', 'volumes_A', 2, NOW())",
    );

    await db.dataSource.query('DELETE FROM quotas');
    // Revert down to and including this migration (later migrations come off first).
    let name: string | null;
    do name = await revertLastMigration(db.dataSource);
    while (name !== null && name !== QuotaResourceBinaryCollation1795360000000.name);
    expect(name).toBe(QuotaResourceBinaryCollation1795360000000.name);
    const reverted = await collations();
    expect(reverted.every((c) => /:utf8mb4_(?!bin)/.test(c))).toBe(true);
    // Under the default collation the two names collide on the (project_id, resource) unique index.
    await db.dataSource.query(
      "INSERT INTO quotas (project_id, resource, hard_limit, created_at) VALUES ('p', 'volumes_a', 1, NOW())",
    );
    await expect(
      db.dataSource.query(
        "INSERT INTO quotas (project_id, resource, hard_limit, created_at) VALUES ('p', 'volumes_A', 2, NOW())",
      ),
    ).rejects.toThrow(/Duplicate entry/);
    await db.dataSource.query('DELETE FROM quotas');
    await runMigrations(db.dataSource);
    expect(await collations()).toEqual([
      'quota_classes:utf8mb4_bin',
      'quota_usages:utf8mb4_bin',
      'quotas:utf8mb4_bin',
      'reservations:utf8mb4_bin',
    ]);
  });
});
