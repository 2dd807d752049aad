/**
 * On MariaDB the reservations' uuid column compares as its collation does (case-insensitive, trailing
 * spaces ignored): a commit or rollback of an id written another way finds the reservation in SQL. A
 * batch must then apply it to the caller that asked, as a settle running alone did, not read it and
 * drop it (it stayed reserved until its expiry, a day, and the call answered 0).
 */
import type { DataSource } from 'typeorm';
import { QuotaEngine } from '../../../src/quota';
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

async function usageOf(projectId: string, resource: string): Promise<{ in_use: number; reserved: number }> {
  const rows: Array<{ in_use: number; reserved: number }> = await ds.query(
    'SELECT in_use, reserved FROM quota_usages WHERE project_id = ? AND resource = ?',
    [projectId, resource],
  );
  return { in_use: Number(rows[0]?.in_use ?? 0), reserved: Number(rows[0]?.reserved ?? 0) };
}

describe('settling reservation ids as MariaDB matches them', () => {
  it('a commit of the ids in upper case applies them', async () => {
    const quotas = new QuotaEngine(ds);
    const ctx = { projectId: 'ids-upper' };
    const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 4 });

    expect(
      await quotas.commit(
        ctx,
        ids.map((id) => id.toUpperCase()),
      ),
    ).toBe(2);
    expect(await usageOf(ctx.projectId, 'gigabytes')).toEqual({ in_use: 4, reserved: 0 });
  });

  it('a rollback of the ids with trailing spaces applies them', async () => {
    const quotas = new QuotaEngine(ds);
    const ctx = { projectId: 'ids-padded' };
    const ids = await quotas.reserve(ctx, { volumes: 1 });

    expect(
      await quotas.rollback(
        ctx,
        ids.map((id) => `${id}  `),
      ),
    ).toBe(1);
    expect(await usageOf(ctx.projectId, 'volumes')).toEqual({ in_use: 0, reserved: 0 });
  });

  it('the same ids written two ways in one batch are applied once', async () => {
    const quotas = new QuotaEngine(ds);
    const ctx = { projectId: 'ids-twice' };
    const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 2 });

    const applied = await Promise.all([
      quotas.commit(ctx, ids),
      quotas.commit(
        ctx,
        ids.map((id) => id.toUpperCase()),
      ),
      quotas.rollback(ctx, [...ids, ids[0]!.toUpperCase()]),
    ]);

    expect(applied.reduce((a, n) => a + n, 0)).toBe(2);
    expect(await usageOf(ctx.projectId, 'volumes')).toEqual({
      in_use: applied[0] === 2 ? 1 : 0,
      reserved: 0,
    });
    const left: Array<{ n: number }> = await ds.query(
      'SELECT COUNT(*) AS n FROM reservations WHERE project_id = ?',
      [ctx.projectId],
    );
    expect(Number(left[0]!.n)).toBe(0);
  });
});
