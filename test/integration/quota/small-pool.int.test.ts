/**
 * Group commit on MariaDB with a pool of one connection: batches of many projects queue for it, and a
 * batch never holds its connection while it waits for another one (the compound-statement probe, the
 * MySQL fallback and the lost-COMMIT check all give theirs back first), so nothing waits forever.
 */
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../../src/db/data-source';
import { QuotaEngine } from '../../../src/quota';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';

let db: TestDatabase;
let ds: DataSource;
let tiny: DataSource;

beforeAll(async () => {
  db = await createTestMysqlDatabase();
  ds = db.dataSource;
  const url = new URL(db.url);
  url.searchParams.set('max_pool_size', '1');
  tiny = createDataSource(url.toString());
  await tiny.initialize();
});

afterAll(async () => {
  await tiny?.destroy();
  await db?.drop();
});

describe('quota batches on a pool of one connection', () => {
  it('a burst over many projects completes, each project exact', async () => {
    const quotas = new QuotaEngine(tiny);
    const projects = Array.from({ length: 20 }, (_, i) => `tiny-${i}`);
    for (const p of projects) await quotas.setLimits(p, { volumes: 3, gigabytes: -1 });

    await Promise.all(
      projects.flatMap((p, i) =>
        Array.from({ length: 6 }, async (_, j) => {
          const ids = await quotas
            .reserve({ projectId: p }, { volumes: 1, gigabytes: j + 1 })
            .catch(() => null);
          if (ids === null) return;
          if ((i + j) % 2 === 0) await quotas.commit({ projectId: p }, ids);
          else await quotas.rollback({ projectId: p }, ids);
        }),
      ),
    );

    for (const p of projects) {
      const rows: Array<{ resource: string; reserved: number }> = await ds.query(
        'SELECT resource, reserved FROM quota_usages WHERE project_id = ?',
        [p],
      );
      for (const r of rows) expect(Number(r.reserved)).toBe(0);
      const [v] = (await ds.query(
        "SELECT in_use FROM quota_usages WHERE project_id = ? AND resource = 'volumes'",
        [p],
      )) as Array<{ in_use: number }>;
      expect(Number(v!.in_use)).toBeLessThanOrEqual(3);
    }
    const left: Array<{ n: number }> = await ds.query('SELECT COUNT(*) AS n FROM reservations');
    expect(Number(left[0]!.n)).toBe(0);
  }, 30_000);
});
