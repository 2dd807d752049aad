/**
 * How a batch (group commit) of the quota engine on MariaDB ends when its connection dies around the
 * second round trip, the one that carries the writes and the COMMIT. The callers must learn what the
 * database did: a reserve answered with an error must have left nothing behind (it would hold quota
 * until its expiry, a day), and a commit answered with an error must not have counted the usage (the
 * create flow then deletes the volume and rolls the reservations back, a no-op by then: in_use would
 * keep a volume that does not exist).
 */
import type { DataSource, QueryRunner, ReplicationMode } from 'typeorm';
import { createDataSource } from '../../../src/db/data-source';
import { QuotaEngine } from '../../../src/quota';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';

let db: TestDatabase;
let ds: DataSource;
/** A second pool whose connections the tests kill: the engine under test runs on it. */
let victim: DataSource;
/** When the next writes-and-COMMIT compound statement on `victim` loses its connection. */
let lose: 'before-commit' | 'after-commit' | null = null;

beforeAll(async () => {
  db = await createTestMysqlDatabase();
  ds = db.dataSource;
  victim = createDataSource(db.url);
  await victim.initialize();
  const create = victim.createQueryRunner.bind(victim);
  victim.createQueryRunner = (mode?: ReplicationMode): QueryRunner => {
    const q = create(mode);
    const query = q.query.bind(q) as (
      sql: string,
      params?: unknown[],
      structured?: boolean,
    ) => Promise<unknown>;
    q.query = (async (sql: string, params?: unknown[], structured?: boolean) => {
      const when = lose;
      if (when === null || !sql.startsWith('BEGIN NOT ATOMIC') || !/\bCOMMIT;/.test(sql)) {
        return query(sql, params, structured);
      }
      lose = null;
      const [{ id }] = (await query('SELECT CONNECTION_ID() AS id')) as [{ id: number }];
      // The server kills the connection: before the statement (its transaction is rolled back), or
      // after it ran (committed) but before the client saw its answer.
      if (when === 'after-commit') await query(sql, params, structured);
      await ds.query(`KILL CONNECTION ${Number(id)}`);
      return query(when === 'after-commit' ? 'DO 1' : sql, params, structured);
    }) as typeof q.query;
    return q;
  };
});

afterAll(async () => {
  await victim?.destroy();
  await db?.drop();
});

async function usageOf(projectId: string, resource: string): Promise<{ in_use: number; reserved: number }> {
  const rows: Array<{ in_use: number; reserved: number }> = await ds.query(
    'SELECT in_use, reserved FROM quota_usages WHERE project_id = ? AND resource = ?',
    [projectId, resource],
  );
  return { in_use: Number(rows[0]?.in_use ?? 0), reserved: Number(rows[0]?.reserved ?? 0) };
}

async function reservations(projectId: string): Promise<number> {
  const rows: Array<{ n: number }> = await ds.query(
    'SELECT COUNT(*) AS n FROM reservations WHERE project_id = ?',
    [projectId],
  );
  return Number(rows[0]!.n);
}

describe('quota batches on MariaDB whose connection is lost', () => {
  it('a reserve whose COMMIT ran before the connection died answers its ids, and they can be committed', async () => {
    const quotas = new QuotaEngine(victim);
    const projectId = 'lost-after-commit-reserve';
    const ctx = { projectId };
    await quotas.commit(ctx, await quotas.reserve(ctx, { volumes: 1 }));

    lose = 'after-commit';
    const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 3 });

    expect(ids).toHaveLength(2);
    expect(await usageOf(projectId, 'volumes')).toEqual({ in_use: 1, reserved: 1 });
    expect(await quotas.commit(ctx, ids)).toBe(2);
    expect(await usageOf(projectId, 'volumes')).toEqual({ in_use: 2, reserved: 0 });
    expect(await usageOf(projectId, 'gigabytes')).toEqual({ in_use: 3, reserved: 0 });
    expect(await reservations(projectId)).toBe(0);
  });

  it('a commit whose COMMIT ran before the connection died answers the count it applied', async () => {
    const quotas = new QuotaEngine(victim);
    const projectId = 'lost-after-commit-settle';
    const ctx = { projectId };
    const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 2 });

    lose = 'after-commit';
    const applied = await quotas.commit(ctx, ids);

    expect(applied).toBe(2);
    expect(await usageOf(projectId, 'volumes')).toEqual({ in_use: 1, reserved: 0 });
    expect(await reservations(projectId)).toBe(0);
  });

  it('a batch whose connection died before its COMMIT fails its callers and leaves nothing applied', async () => {
    const quotas = new QuotaEngine(victim);
    const projectId = 'lost-before-commit';
    const ctx = { projectId };
    const ids = await quotas.reserve(ctx, { volumes: 1 });

    lose = 'before-commit';
    const outcomes = await Promise.allSettled([
      quotas.commit(ctx, ids),
      quotas.reserve(ctx, { volumes: 1, gigabytes: 1 }),
    ]);

    // Both shared one batch, or the commit's batch failed alone and the reserve ran after it.
    expect(outcomes[0].status).toBe('rejected');
    const kept = outcomes[1].status === 'fulfilled' ? 1 : 0;
    expect(await usageOf(projectId, 'volumes')).toEqual({ in_use: 0, reserved: 1 + kept });
    expect(await reservations(projectId)).toBe(1 + kept * 2);
    // The reservation is still there, and a retried commit applies it once.
    expect(await quotas.commit(ctx, ids)).toBe(1);
    expect(await usageOf(projectId, 'volumes')).toEqual({ in_use: 1, reserved: kept });
  });

  it('a batch of refused reserves only answers their refusals even when its COMMIT is lost', async () => {
    const quotas = new QuotaEngine(victim);
    const projectId = 'lost-refused';
    const ctx = { projectId };
    await quotas.setLimits(projectId, { volumes: 0 });
    await quotas.reserve(ctx, { volumes: 0, gigabytes: 1 }).catch(() => undefined);
    await quotas.reserve(ctx, { volumes: 1 }).catch(() => undefined);

    lose = 'before-commit';
    await expect(quotas.reserve(ctx, { volumes: 1 })).rejects.toMatchObject({ name: 'OverQuotaError' });
  });
});
