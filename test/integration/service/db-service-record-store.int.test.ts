/**
 * The ServiceRecordStore contract on real MariaDB (TEST_MYSQL_URL), plus a race between two
 * separate connection pools, as two service processes on one host would have.
 */
import { DbServiceRecordStore } from '../../../src/service/db-service-record-store';
import { createDataSource } from '../../../src/db/data-source';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';
import { serviceRecordStoreContract } from '../../contracts/service-record-store.contract';

serviceRecordStoreContract('TypeORM on MariaDB', async () => {
  const db = await createTestMysqlDatabase();
  let now = new Date();
  return {
    store: new DbServiceRecordStore(db.dataSource, () => now),
    setNow: (d) => (now = d),
    dispose: () => db.drop(),
  };
});

describe('DbServiceRecordStore across two processes (two pools) on MariaDB', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestMysqlDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('lets exactly one of many racing workers create the record; all end on it', async () => {
    const other = createDataSource(db.url);
    await other.initialize();
    try {
      const a = new DbServiceRecordStore(db.dataSource);
      const b = new DbServiceRecordStore(other);

      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? a : b).getOrCreate({ host: 'n1', binary: 'cinder-volume', topic: 'volume' }),
        ),
      );

      expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await a.list()).toHaveLength(1);
    } finally {
      await other.destroy();
    }
  });
});
