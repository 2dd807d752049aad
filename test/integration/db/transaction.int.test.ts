import { dbDate } from '../../../src/db/sql';
import { withWriteTransaction } from '../../../src/db/transaction';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';

describe('withWriteTransaction on MariaDB', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestMysqlDatabase();
    const now = dbDate(db.dataSource, new Date());
    await db.dataSource.query(
      "INSERT INTO quota_usages (project_id, resource, in_use, reserved, created_at) VALUES ('p', 'a', 0, 0, ?), ('p', 'b', 0, 0, ?)",
      [now, now],
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('retries a real deadlock inside and both transactions commit', async () => {
    let retries = 0;
    let attempts = 0;
    let bothLockedFirst: () => void = () => undefined;
    const firstLocks = new Promise<void>((r) => (bothLockedFirst = r));
    let locked = 0;
    // Two transactions lock a and b in opposite orders; on their first attempt each waits until the
    // other holds its first row, which makes InnoDB pick a deadlock victim.
    const crossed = (first: string, second: string) =>
      withWriteTransaction(
        db.dataSource,
        async (q) => {
          attempts++;
          await q.query(
            "UPDATE quota_usages SET in_use = in_use + 1 WHERE project_id = 'p' AND resource = ?",
            [first],
          );
          if (attempts <= 2) {
            if (++locked === 2) bothLockedFirst();
            await firstLocks;
          }
          await q.query(
            "UPDATE quota_usages SET in_use = in_use + 1 WHERE project_id = 'p' AND resource = ?",
            [second],
          );
        },
        { onRetry: () => void retries++ },
      );

    await Promise.all([crossed('a', 'b'), crossed('b', 'a')]);
    const rows = await db.dataSource.query(
      "SELECT resource, in_use FROM quota_usages WHERE project_id = 'p' ORDER BY resource",
    );

    expect(retries).toBeGreaterThanOrEqual(1);
    expect(rows.map((r: { in_use: number }) => Number(r.in_use))).toEqual([2, 2]);
  });
});
