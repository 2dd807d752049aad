/**
 * The quota engine pipelines a transaction's statements on MariaDB (QuotaEngine.inOrder); the writes it
 * sends behind another statement are guarded by `@@in_transaction` so that, if the statement ahead
 * deadlocks (InnoDB rolls the whole transaction back, the connection is in autocommit again), they
 * change nothing instead of committing on their own. These tests pin that guard on the real server.
 */
import type { DataSource } from 'typeorm';
import { QuotaEngine } from '../../../src/quota';
import { isRetryableLockError } from '../../../src/db/transaction';
import { compound, inTransactionOnly, quotaSql } from '../../../src/quota/quota-sql';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';

let db: TestDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await createTestMysqlDatabase();
  ds = db.dataSource;
});

afterAll(async () => {
  await db?.drop();
});

async function volumesUsage(projectId: string): Promise<{ id: number; reserved: number }> {
  const rows: Array<{ id: number; reserved: number }> = await ds.query(
    "SELECT id, reserved FROM quota_usages WHERE project_id = ? AND resource = 'volumes'",
    [projectId],
  );
  return { id: Number(rows[0]!.id), reserved: Number(rows[0]!.reserved) };
}

describe('pipelined quota writes on MariaDB', () => {
  it('a guarded write changes nothing outside a transaction and applies inside one', async () => {
    const quotas = new QuotaEngine(ds);
    const projectId = 'pipelined-guard';
    await quotas.commit({ projectId }, await quotas.reserve({ projectId }, { volumes: 1 }));
    const { id } = await volumesUsage(projectId);
    const guarded = inTransactionOnly(quotaSql.addReserved(1, 'mysql'));

    const q = ds.createQueryRunner('master');
    try {
      // Autocommit, as after a deadlock rolled the transaction back: nothing happens.
      const outside = (await q.query(guarded, [id, 5, new Date(), id], true)) as { affected?: number };
      expect(outside.affected).toBe(0);
      expect((await volumesUsage(projectId)).reserved).toBe(0);

      await q.startTransaction();
      const inside = (await q.query(guarded, [id, 5, new Date(), id], true)) as { affected?: number };
      expect(inside.affected).toBe(1);
      await q.rollbackTransaction();
    } finally {
      await q.release();
    }
    expect((await volumesUsage(projectId)).reserved).toBe(0);
  });

  it('reserve and commit stay exact with their statements pipelined, at concurrency on one project', async () => {
    const quotas = new QuotaEngine(ds);
    const projectId = 'pipelined-exact';
    await quotas.setLimits(projectId, { volumes: -1, gigabytes: -1 });
    await quotas.commit({ projectId }, await quotas.reserve({ projectId }, { volumes: 1, gigabytes: 2 }));

    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 10; i++) {
          const ids = await quotas.reserve({ projectId }, { volumes: 1, gigabytes: 2 });
          if (i % 3 === 0) await quotas.rollback({ projectId }, ids);
          else await quotas.commit({ projectId }, ids);
        }
      }),
    );

    const usage = await quotas.getProjectQuotas(projectId, { usages: true });
    // 1 + 8 workers × (10 − 4 rolled back) committed volumes.
    expect(usage['volumes']).toMatchObject({ inUse: 49, reserved: 0 });
    expect(usage['gigabytes']).toMatchObject({ inUse: 98, reserved: 0 });
    const left: Array<{ n: number }> = await ds.query(
      'SELECT COUNT(*) AS n FROM reservations WHERE project_id = ?',
      [projectId],
    );
    expect(Number(left[0]!.n)).toBe(0);
  });

  it("a batch's writes and COMMIT in one compound statement: a failing statement rolls everything back, COMMIT never runs", async () => {
    const quotas = new QuotaEngine(ds);
    const projectId = 'compound-rollback';
    await quotas.commit({ projectId }, await quotas.reserve({ projectId }, { volumes: 1 }));
    const { id } = await volumesUsage(projectId);

    const q = ds.createQueryRunner('master');
    try {
      await q.startTransaction();
      const failing = compound(
        [
          [quotaSql.addReserved(1, 'mysql'), [id, 5, new Date(), id]],
          // A duplicate primary key: the usage row's own id.
          [
            'INSERT INTO quota_usages (id, project_id, resource, in_use, reserved, created_at) VALUES (?, ?, ?, 0, 0, ?)',
            [id, projectId, 'volumes', new Date()],
          ],
          ['COMMIT', []],
        ],
        true,
      );
      await expect(q.query(...failing)).rejects.toThrow();
      const [state] = (await q.query('SELECT @@in_transaction AS t')) as Array<{ t: number }>;
      expect(Number(state!.t)).toBe(0); // the handler rolled back
    } finally {
      await q.release();
    }
    expect((await volumesUsage(projectId)).reserved).toBe(0);
  });

  it('a compound statement reports a deadlock with its errno (the transaction is retried)', async () => {
    const projectId = 'compound-deadlock';
    const quotas = new QuotaEngine(ds);
    await quotas.setLimits(projectId, { volumes: -1, gigabytes: -1 });
    await quotas.commit({ projectId }, await quotas.reserve({ projectId }, { volumes: 1, gigabytes: 1 }));
    const rows: Array<{ id: number }> = await ds.query(
      'SELECT id FROM quota_usages WHERE project_id = ? ORDER BY id',
      [projectId],
    );
    const [a, b] = [Number(rows[0]!.id), Number(rows[1]!.id)];
    const q1 = ds.createQueryRunner('master');
    const q2 = ds.createQueryRunner('master');
    try {
      await q1.startTransaction();
      await q2.startTransaction();
      await q1.query('SELECT id FROM quota_usages WHERE id = ? FOR UPDATE', [a]);
      await q2.query('SELECT id FROM quota_usages WHERE id = ? FOR UPDATE', [b]);
      // Each now wants the other's row: InnoDB picks a victim and rolls it back.
      const outcomes = await Promise.allSettled([
        q1.query(
          ...compound(
            [
              ['SELECT id FROM quota_usages WHERE id = ? FOR UPDATE', [b]],
              ['COMMIT', []],
            ],
            true,
          ),
        ),
        q2.query(
          ...compound(
            [
              ['SELECT id FROM quota_usages WHERE id = ? FOR UPDATE', [a]],
              ['COMMIT', []],
            ],
            true,
          ),
        ),
      ]);
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect(isRetryableLockError(failed[0]!.reason)).toBe(true);
    } finally {
      await q1.query('ROLLBACK').catch(() => undefined);
      await q2.query('ROLLBACK').catch(() => undefined);
      await q1.release();
      await q2.release();
    }
  });
});
