/**
 * The quota engine on a server without MariaDB's compound statements and `@@in_transaction` (MySQL):
 * it must notice both and fall back to one statement per round trip in a plain transaction. No MySQL
 * server runs in CI, so this pool answers both as MySQL does (a syntax error, an unknown variable)
 * and the engine on it takes the fallback against the real MariaDB underneath.
 */
import { QueryFailedError, type DataSource, type QueryRunner, type ReplicationMode } from 'typeorm';
import { createDataSource } from '../../../src/db/data-source';
import { QuotaEngine } from '../../../src/quota';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';
import { DEFAULT_SCENARIO, runConcurrencyScenario } from '../../unit/quota/concurrency-scenario';

let db: TestDatabase;
let ds: DataSource;
/** A pool that refuses what MySQL does not know; the engine under test runs on it. */
let mysqlLike: DataSource;
const refused: string[] = [];

function mysqlError(sql: string, params: unknown[], errno: number, message: string): QueryFailedError {
  const driverError = Object.assign(new Error(message), { errno, sqlState: '42000', code: 'ER_PARSE_ERROR' });
  return new QueryFailedError(sql, params, driverError);
}

beforeAll(async () => {
  db = await createTestMysqlDatabase();
  ds = db.dataSource;
  mysqlLike = createDataSource(db.url);
  await mysqlLike.initialize();
  const create = mysqlLike.createQueryRunner.bind(mysqlLike);
  mysqlLike.createQueryRunner = (mode?: ReplicationMode): QueryRunner => {
    const q = create(mode);
    const query = q.query.bind(q) as (
      sql: string,
      params?: unknown[],
      structured?: boolean,
    ) => Promise<unknown>;
    q.query = (async (sql: string, params: unknown[] = [], structured?: boolean) => {
      if (/^\s*BEGIN NOT ATOMIC/i.test(sql)) {
        refused.push('compound');
        throw mysqlError(sql, params, 1064, 'You have an error in your SQL syntax');
      }
      if (sql.includes('@@in_transaction')) {
        refused.push('in_transaction');
        throw mysqlError(sql, params, 1193, "Unknown system variable 'in_transaction'");
      }
      return query(sql, params, structured);
    }) as typeof q.query;
    return q;
  };
});

afterAll(async () => {
  await mysqlLike?.destroy();
  await db?.drop();
});

describe('quota engine on a MySQL-like server (no compound statements, no @@in_transaction)', () => {
  it('falls back and keeps a burst of reserves, commits and rollbacks in arrival order', async () => {
    const quotas = new QuotaEngine(mysqlLike);
    const projectId = 'fallback-burst';
    const ctx = { projectId };
    await quotas.setLimits(projectId, { volumes: 2, gigabytes: -1 });
    const a = await quotas.reserve(ctx, { volumes: 1, gigabytes: 3 });
    const b = await quotas.reserve(ctx, { volumes: 1, gigabytes: 5 });

    const [committed, rolledBack, c, twice] = await Promise.all([
      quotas.commit(ctx, a),
      quotas.rollback(ctx, b),
      quotas.reserve(ctx, { volumes: 1, gigabytes: 7 }),
      quotas.commit(ctx, a),
    ]);

    expect(refused).toContain('compound');
    expect([committed, rolledBack, twice]).toEqual([2, 2, 0]);
    expect(c).toHaveLength(2);
    const usage = await quotas.getProjectQuotas(projectId, { usages: true });
    expect(usage['volumes']).toMatchObject({ inUse: 1, reserved: 1 });
    expect(usage['gigabytes']).toMatchObject({ inUse: 3, reserved: 7 });
  });

  it.each([
    ['the default scenario', DEFAULT_SCENARIO],
    [
      'mixed sizes, a tight gigabyte limit, mostly commits',
      {
        ...DEFAULT_SCENARIO,
        workers: 160,
        volumeLimit: 6,
        gigabyteLimit: 11,
        sizes: [1, 2, 4],
        commitRatio: 0.8,
        seed: 9,
      },
    ],
  ])(
    'keeps usage exact at concurrency, with a second process on the MariaDB path: %s',
    async (_name, scenario) => {
      const result = await runConcurrencyScenario(
        [new QuotaEngine(mysqlLike), new QuotaEngine(ds)],
        ds,
        `fallback-${scenario.seed}`,
        scenario,
      );

      expect(result.committedVolumes).toBeLessThanOrEqual(scenario.volumeLimit);
      expect(refused).toContain('in_transaction');
    },
    120_000,
  );
});
