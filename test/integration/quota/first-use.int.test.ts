import { v4 as uuidv4 } from 'uuid';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../../src/db/data-source';
import { OverQuotaError, QuotaEngine, quotaSql } from '../../../src/quota';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';

const newProject = (): string => uuidv4().replace(/-/g, '');

/**
 * The first reservations of brand-new projects on MariaDB, from several pools at once. This is where
 * `Deadlock found when trying to get lock` on `INSERT IGNORE INTO quota_usages` came from: the
 * usage-row UPDATEs (`WHERE id IN (…)`) were planned as full primary-key scans while InnoDB's
 * statistics still described an empty table, X-locking every usage row including a concurrent
 * creator's uncommitted one. The plans are pinned (FORCE INDEX) and the rows are created one
 * autocommit statement at a time, so these runs must not deadlock at all, not merely retry.
 */
describe('QuotaEngine first use on MariaDB', () => {
  let db: TestDatabase;
  const pools: DataSource[] = [];
  beforeAll(async () => {
    db = await createTestMysqlDatabase();
    pools.push(db.dataSource);
    for (let i = 0; i < 3; i++) {
      const ds = createDataSource(db.url);
      await ds.initialize();
      pools.push(ds);
    }
  });
  afterAll(async () => {
    for (const ds of pools.slice(1)) await ds.destroy();
    await db?.drop();
  });

  it('32 concurrent first reserves of new projects over 4 pools: no deadlock, exact usage, one row per resource', async () => {
    const ds = db.dataSource;
    const types: string[] = [];
    for (const name of ['gold', 'zz_last', 'aa_first']) {
      const id = uuidv4();
      await ds.query(
        'INSERT INTO volume_types (id, name, is_public, created_at, deleted) VALUES (?, ?, 1, ?, 0)',
        [id, name, new Date()],
      );
      types.push(id);
    }
    // Different resource sets per caller, so creators race on overlapping, not identical, rows.
    const shapes: Array<[Record<string, number>, string | undefined]> = [
      [{ volumes: 1, gigabytes: 1 }, types[0]],
      [{ volumes: 1, gigabytes: 1 }, undefined],
      [{ volumes: 1, gigabytes: 2 }, types[1]],
      [{ snapshots: 1, gigabytes: 1 }, types[2]],
      [{ gigabytes: 1 }, undefined],
      [{ volumes: 1, gigabytes: 1 }, types[2]],
    ];
    const retries: unknown[] = [];
    const engines = pools.map((p) => new QuotaEngine(p, { retry: { onRetry: (err) => retries.push(err) } }));
    const unexpected: unknown[] = [];
    const limit = 9;

    for (let round = 0; round < 8; round++) {
      const p = newProject();
      // Odd rounds: every caller the same shape (all race on the same rows); even rounds: mixed shapes.
      const shapeOf = (i: number) =>
        shapes[round % 2 === 1 ? round % shapes.length : (i + round) % shapes.length]!;
      if (round >= 4) await engines[0]!.setLimits(p, { volumes: limit, snapshots: limit }); // half the rounds limited
      const results = await Promise.all(
        Array.from({ length: 32 }, async (_, i) => {
          const [deltas, volumeTypeId] = shapeOf(i);
          try {
            const ids = await engines[i % engines.length]!.reserve(
              { projectId: p },
              deltas,
              volumeTypeId === undefined ? {} : { volumeTypeId },
            );
            return { ids, deltas, volumeTypeId };
          } catch (err) {
            if (!(err instanceof OverQuotaError)) unexpected.push(err);
            return null;
          }
        }),
      );
      expect(unexpected).toEqual([]);
      const ok = results.filter((r) => r !== null);
      const want: Record<string, number> = {};
      for (const r of ok) {
        const typeName =
          r.volumeTypeId === undefined
            ? undefined
            : ['gold', 'zz_last', 'aa_first'][types.indexOf(r.volumeTypeId)];
        for (const [resource, d] of Object.entries(r.deltas)) {
          want[resource] = (want[resource] ?? 0) + d;
          if (typeName !== undefined)
            want[`${resource}_${typeName}`] = (want[`${resource}_${typeName}`] ?? 0) + d;
        }
      }
      if (round >= 4) {
        expect(want.volumes ?? 0).toBeLessThanOrEqual(limit);
        expect(want.snapshots ?? 0).toBeLessThanOrEqual(limit);
      }
      const rows: Array<{ resource: string; in_use: number; reserved: number }> = await ds.query(
        'SELECT resource, in_use, reserved FROM quota_usages WHERE project_id = ? ORDER BY resource',
        [p],
      );
      expect(
        Object.fromEntries(
          rows.filter((r) => Number(r.reserved) > 0).map((r) => [r.resource, Number(r.reserved)]),
        ),
      ).toEqual(want);
      expect(new Set(rows.map((r) => r.resource)).size).toBe(rows.length);

      // Settle everything concurrently too: half committed, half rolled back.
      await Promise.all(
        ok.map((r, i) =>
          i % 2 === 0
            ? engines[(i + 1) % engines.length]!.commit({ projectId: p }, r.ids)
            : engines[(i + 1) % engines.length]!.rollback({ projectId: p }, r.ids),
        ),
      );
      const after: Array<{ n: number }> = await ds.query(
        'SELECT SUM(reserved) AS n FROM quota_usages WHERE project_id = ?',
        [p],
      );
      expect(Number(after[0]!.n)).toBe(0);
    }

    expect(retries.map((e) => String(e))).toEqual([]);
  }, 120_000);

  // Whether MariaDB would scan without the hints depends on when InnoDB's background statistics recount
  // runs (the burst above deadlocks without them); this pins that the hinted statements are valid and
  // take the intended index — lockUsages and the reservation reads lock only this project's entries.
  it('plans every locking statement through the index that holds only the locked rows', async () => {
    const ds = db.dataSource;
    const engine = new QuotaEngine(ds);
    for (let i = 0; i < 12; i++) {
      const p = newProject();
      await engine.commit(
        { projectId: p },
        await engine.reserve({ projectId: p }, { volumes: 1, gigabytes: 1 }),
      );
      await engine.reserve({ projectId: p }, { volumes: 1, gigabytes: 1, snapshots: 1 });
    }
    const usageIds: number[] = (await ds.query('SELECT id FROM quota_usages ORDER BY id DESC LIMIT 4')).map(
      (r: { id: number }) => Number(r.id),
    );
    const resIds: number[] = (await ds.query('SELECT id FROM reservations ORDER BY id DESC LIMIT 3')).map(
      (r: { id: number }) => Number(r.id),
    );
    const plan = async (sql: string, params: unknown[]): Promise<string> => {
      const [row] = await ds.query(`EXPLAIN ${sql}`, params);
      return `${row.type} ${row.key}`;
    };
    const pairs = usageIds.flatMap((id) => [id, 1]);

    expect({
      lockUsages: await plan(quotaSql.lockUsages('mysql'), ['p']),
      addReserved: await plan(quotaSql.addReserved(4, 'mysql'), [...pairs, new Date(), ...usageIds]),
      settleUsages: await plan(quotaSql.settleUsages(4, 'mysql'), [
        ...pairs,
        ...pairs,
        new Date(),
        ...usageIds,
      ]),
      deleteReservations: await plan(quotaSql.deleteReservations(3, 'mysql'), resIds),
      selectReservations: await plan(quotaSql.selectReservations('mysql', 2), ['p', 'a', 'b']),
      selectExpired: await plan(quotaSql.selectExpired('mysql'), ['p', new Date()]),
    }).toEqual({
      lockUsages: 'ref uniq_quota_usages_project_id_resource',
      addReserved: 'range PRIMARY',
      settleUsages: 'range PRIMARY',
      deleteReservations: 'range PRIMARY',
      selectReservations: 'range ix_reservations_project_id_uuid',
      selectExpired: 'ref ix_reservations_project_id_uuid',
    });
  });

  it('a fresh engine on a 2-connection pool finishes a burst of 16 reserve+commit cycles (nothing inside a transaction waits for a second connection)', async () => {
    const p = newProject();
    const warm = new QuotaEngine(db.dataSource);
    await warm.setLimits(p, { volumes: -1, gigabytes: -1 });
    await warm.commit({ projectId: p }, await warm.reserve({ projectId: p }, { volumes: 1, gigabytes: 1 }));
    const url = new URL(db.url);
    url.searchParams.set('max_pool_size', '2');
    const small = createDataSource(url.toString());
    await small.initialize();
    try {
      const engine = new QuotaEngine(small); // fresh: nothing probed or cached yet
      const burst = Promise.all(
        Array.from({ length: 16 }, async () => {
          const ids = await engine.reserve({ projectId: p }, { volumes: 1, gigabytes: 1 });
          await engine.commit({ projectId: p }, ids);
        }),
      ).then(() => 'done');
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<string>((resolve) => {
        timer = setTimeout(
          () => resolve('hung: every connection held by a transaction waiting for another'),
          20_000,
        );
      });

      expect(await Promise.race([burst, hung])).toBe('done');
      clearTimeout(timer);
      const rows = await db.dataSource.query(
        "SELECT in_use, reserved FROM quota_usages WHERE project_id = ? AND resource = 'volumes'",
        [p],
      );
      expect([Number(rows[0].in_use), Number(rows[0].reserved)]).toEqual([17, 0]);
    } finally {
      await small.destroy();
    }
  }, 60_000);
});
