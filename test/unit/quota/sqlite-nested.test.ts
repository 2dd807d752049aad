/**
 * SQLite: a quota call from inside a write transaction holds the connection's gate, so it must run in
 * that transaction, never wait for a batch (which would wait for the gate): every path that can start a
 * batch is covered, with other callers of the same project queued outside meanwhile.
 */
import type { DataSource } from 'typeorm';
import { outsideTransaction, withWriteTransaction } from '../../../src/db/transaction';
import { QuotaEngine } from '../../../src/quota';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';

let db: TestDatabase;
let ds: DataSource;
let quotas: QuotaEngine;

beforeAll(async () => {
  db = await createTestSqliteDatabase();
  ds = db.dataSource;
  quotas = new QuotaEngine(ds);
});

afterAll(async () => {
  await db?.drop();
});

async function usageOf(projectId: string, resource: string): Promise<{ in_use: number; reserved: number }> {
  const rows: Array<{ in_use: number; reserved: number }> = await ds.query(
    'SELECT in_use, reserved FROM quota_usages WHERE project_id = ? AND resource = ?',
    [projectId, resource],
  );
  return { in_use: Number(rows[0]?.in_use ?? 0), reserved: Number(rows[0]?.reserved ?? 0) };
}

describe('quota calls inside a SQLite write transaction', () => {
  it('first use (usage rows created), commit, rollback and ids of another project, with callers queued outside', async () => {
    const p = 'nested-p';
    const q = 'nested-q';
    const elsewhere = await quotas.reserve({ projectId: q }, { volumes: 1 });
    const outside: Array<Promise<unknown>> = [];

    await withWriteTransaction(ds, async () => {
      outside.push(outsideTransaction(() => quotas.reserve({ projectId: p }, { volumes: 1 })));
      const a = await quotas.reserve({ projectId: p }, { volumes: 1, gigabytes: 2, snapshots: 1 });
      outside.push(outsideTransaction(() => quotas.reserve({ projectId: q }, { volumes: 1 })));
      const b = await quotas.reserve({ projectId: p }, { volumes: 1 });
      expect(await quotas.commit({ projectId: p }, a)).toBe(3);
      expect(await quotas.rollback({ projectId: p }, b)).toBe(1);
      // Ids of q under p's context: found under q's usage lock, in this transaction too.
      expect(await quotas.commit({ projectId: p }, elsewhere)).toBe(1);
      expect(await quotas.expire()).toBe(0);
    });
    await Promise.all(outside);

    expect(await usageOf(p, 'volumes')).toEqual({ in_use: 1, reserved: 1 });
    expect(await usageOf(p, 'snapshots')).toEqual({ in_use: 1, reserved: 0 });
    expect(await usageOf(q, 'volumes')).toEqual({ in_use: 1, reserved: 1 });
  }, 10_000);
});
