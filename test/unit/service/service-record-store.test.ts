import { DbServiceRecordStore } from '../../../src/service/db-service-record-store';
import { InMemoryServiceRecordStore } from '../../../src/service/service-record-store';
import { createTestSqliteDatabase } from '../../helpers/db';
import { serviceRecordStoreContract } from '../../contracts/service-record-store.contract';

serviceRecordStoreContract('in-memory', async () => {
  let now = new Date();
  return {
    store: new InMemoryServiceRecordStore(() => now),
    setNow: (d) => (now = d),
    dispose: async () => undefined,
  };
});

serviceRecordStoreContract('TypeORM on SQLite', async () => {
  const db = await createTestSqliteDatabase();
  let now = new Date();
  return {
    store: new DbServiceRecordStore(db.dataSource, () => now),
    setNow: (d) => (now = d),
    dispose: () => db.drop(),
  };
});
