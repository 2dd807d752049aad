import { v4 as uuidv4 } from 'uuid';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../../src/db/data-source';
import { dbDate } from '../../../src/db/sql';
import { outsideTransaction, withWriteTransaction } from '../../../src/db/transaction';
import {
  InvalidQuotaValueError,
  OverQuotaError,
  QuotaEngine,
  QuotaLimitBelowUsageError,
  QuotaVolumeTypeNotFoundError,
  UnknownQuotaResourceError,
} from '../../../src/quota';
import type { TestDatabase } from '../../helpers/db';
import {
  DEFAULT_SCENARIO,
  runConcurrencyScenario,
  scenarioFromEnv,
  type ConcurrencyScenario,
} from './concurrency-scenario';

const newProject = (): string => uuidv4().replace(/-/g, '');

async function usage(
  ds: DataSource,
  projectId: string,
  resource: string,
): Promise<{ in_use: number; reserved: number } | undefined> {
  const rows = await ds.query(
    'SELECT in_use, reserved FROM quota_usages WHERE project_id = ? AND resource = ?',
    [projectId, resource],
  );
  return rows[0] === undefined
    ? undefined
    : { in_use: Number(rows[0].in_use), reserved: Number(rows[0].reserved) };
}

async function reservationCount(ds: DataSource, projectId: string): Promise<number> {
  const rows = await ds.query('SELECT COUNT(*) AS n FROM reservations WHERE project_id = ?', [projectId]);
  return Number(rows[0].n);
}

async function createVolumeType(ds: DataSource, name: string): Promise<string> {
  const id = uuidv4();
  await ds.query(
    'INSERT INTO volume_types (id, name, is_public, created_at, deleted) VALUES (?, ?, 1, ?, 0)',
    [id, name, dbDate(ds, new Date())],
  );
  return id;
}

/** The quota engine's behaviour, run against SQLite (npm test) and MariaDB (npm run test:int). */
export function quotaEngineSuite(
  label: string,
  makeDb: () => Promise<TestDatabase>,
  opts: { multiPool: boolean },
): void {
  describe(`QuotaEngine on ${label}`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let quotas: QuotaEngine;
    beforeAll(async () => {
      db = await makeDb();
      ds = db.dataSource;
      quotas = new QuotaEngine(ds);
    });
    afterAll(async () => {
      await db?.drop();
    });

    describe('limits', () => {
      it('gives a new project the default class, with -1 for every volume type resource, in Cinder order', async () => {
        const limits = await quotas.getProjectQuotas(newProject());

        expect(Object.entries(limits)).toEqual([
          ['volumes', 10],
          ['per_volume_gigabytes', -1],
          ['snapshots', 10],
          ['gigabytes', 1000],
          ['backups', 10],
          ['backup_gigabytes', 1000],
          ['volumes___DEFAULT__', -1],
          ['gigabytes___DEFAULT__', -1],
          ['snapshots___DEFAULT__', -1],
          ['groups', 10],
        ]);
      });

      it('sets a partial set of limits and reports them with usage', async () => {
        const p = newProject();

        const after = await quotas.setLimits(p, { volumes: 2, gigabytes: 50 });
        await quotas.reserve({ projectId: p }, { volumes: 1, gigabytes: 5 });
        const view = await quotas.getProjectQuotas(p, { usages: true });

        expect(after).toMatchObject({ volumes: 2, gigabytes: 50, snapshots: 10 });
        expect(view.volumes).toEqual({ limit: 2, inUse: 0, reserved: 1 });
        expect(view.gigabytes).toEqual({ limit: 50, inUse: 0, reserved: 5 });
        expect(view.snapshots).toEqual({ limit: 10, inUse: 0, reserved: 0 });
      });

      it("refuses a limit below in_use + reserved with Cinder's wording, and writes nothing", async () => {
        const p = newProject();
        const ids = await quotas.reserve({ projectId: p }, { volumes: 2, gigabytes: 2 });
        await quotas.commit({ projectId: p }, ids);

        const attempt = quotas.setLimits(p, { snapshots: 5, volumes: 1 });

        await expect(attempt).rejects.toBeInstanceOf(QuotaLimitBelowUsageError);
        await expect(attempt).rejects.toMatchObject({
          resource: 'volumes',
          limit: 1,
          usage: 2,
          message:
            'Quota volumes limit must be equal or greater than existing resources. Current usage is 2 and the requested limit is 1.',
        });
        expect((await quotas.getProjectQuotas(p)).snapshots).toBe(10);
        await expect(quotas.setLimits(p, { volumes: -1 })).resolves.toMatchObject({ volumes: -1 });
      });

      it('rejects unknown resources and values that are not integers >= -1', async () => {
        const p = newProject();

        await expect(quotas.setLimits(p, { volumes_nosuchtype: 1, bogus: 2 })).rejects.toMatchObject({
          constructor: UnknownQuotaResourceError,
          resources: ['bogus', 'volumes_nosuchtype'],
        });
        await expect(quotas.setLimits(p, { volumes: -2 })).rejects.toBeInstanceOf(InvalidQuotaValueError);
        await expect(quotas.setLimits(p, { volumes: 1.5 })).rejects.toBeInstanceOf(InvalidQuotaValueError);
        await expect(quotas.setLimits(p, { volumes: 'abc' as unknown as number })).rejects.toMatchObject({
          resource: 'volumes',
          value: 'abc',
        });
      });

      it('resets a project to the defaults', async () => {
        const p = newProject();
        await quotas.setLimits(p, { volumes: 3 });

        await quotas.resetLimits(p);

        expect((await quotas.getProjectQuotas(p)).volumes).toBe(10);
      });

      it('takes defaults from the default quota class', async () => {
        const p = newProject();
        try {
          await quotas.setClassLimits('default', { volumes: 3 });

          expect((await quotas.getDefaults()).volumes).toBe(3);
          expect((await quotas.getProjectQuotas(p)).volumes).toBe(3);
          await quotas.reserve({ projectId: p }, { volumes: 3 });
          await expect(quotas.reserve({ projectId: p }, { volumes: 1 })).rejects.toBeInstanceOf(
            OverQuotaError,
          );
        } finally {
          await quotas.setClassLimits('default', { volumes: 10 });
        }
      });

      it('falls back to the configured defaults for a resource the default class has no row for', async () => {
        const configured = new QuotaEngine(ds, { defaults: { backups: 3 } });
        await ds.query("DELETE FROM quota_classes WHERE class_name = 'default' AND resource = 'backups'");
        try {
          expect((await configured.getDefaults()).backups).toBe(3);
          expect((await quotas.getDefaults()).backups).toBe(10);
          await configured.reserve({ projectId: newProject() }, { backups: 3 });
          await expect(
            configured.reserve({ projectId: newProject() }, { backups: 4 }),
          ).rejects.toBeInstanceOf(OverQuotaError);
        } finally {
          await quotas.setClassLimits('default', { backups: 10 });
        }
      });

      it('checks per_volume_gigabytes as a limit on one volume', async () => {
        const p = newProject();
        await quotas.setLimits(p, { per_volume_gigabytes: 100 });

        await expect(quotas.checkPerVolumeSize(p, 100)).resolves.toBeUndefined();
        await expect(quotas.checkPerVolumeSize(p, 101)).rejects.toMatchObject({
          overs: ['per_volume_gigabytes'],
          quotas: { per_volume_gigabytes: 100 },
        });
      });

      it('reserve with perVolumeGigabytes refuses an oversized volume first, reserving nothing', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        await quotas.setLimits(p, { per_volume_gigabytes: 100, gigabytes: 150 });

        const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 100 }, { perVolumeGigabytes: 100 });
        expect(ids).toHaveLength(2);
        // Over both per_volume_gigabytes and gigabytes: the per-volume limit is the one reported, as when
        // checkPerVolumeSize ran before the reserve.
        await expect(
          quotas.reserve(ctx, { volumes: 1, gigabytes: 101 }, { perVolumeGigabytes: 101 }),
        ).rejects.toMatchObject({
          overs: ['per_volume_gigabytes'],
          quotas: { per_volume_gigabytes: 100 },
          requested: { per_volume_gigabytes: 101 },
        });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 0, reserved: 100 });
        expect(await reservationCount(ds, p)).toBe(2);
      });
    });

    describe('reserve, commit, rollback', () => {
      it('reserves, then commit moves reserved into in_use and deletes the reservations', async () => {
        const p = newProject();
        const ctx = { projectId: p };

        const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 10 });

        expect(ids).toHaveLength(2);
        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 0, reserved: 1 });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 0, reserved: 10 });

        expect(await quotas.commit(ctx, ids)).toBe(2);

        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 0 });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 10, reserved: 0 });
        expect(await reservationCount(ds, p)).toBe(0);
      });

      it('rollback gives reserved back and leaves in_use alone', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        await quotas.commit(ctx, await quotas.reserve(ctx, { volumes: 1, gigabytes: 3 }));

        const ids = await quotas.reserve(ctx, { volumes: 2, gigabytes: 7 });
        expect(await quotas.rollback(ctx, ids)).toBe(2);

        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 0 });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 3, reserved: 0 });
        expect(await reservationCount(ds, p)).toBe(0);
      });

      it('counts reserved against the limit: in_use + reserved + delta <= limit', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        await quotas.setLimits(p, { volumes: 3 });
        await quotas.commit(ctx, await quotas.reserve(ctx, { volumes: 1 }));
        await quotas.reserve(ctx, { volumes: 1 });

        await expect(quotas.reserve(ctx, { volumes: 1 })).resolves.toHaveLength(1);
        await expect(quotas.reserve(ctx, { volumes: 1 })).rejects.toBeInstanceOf(OverQuotaError);
      });

      it('is all or nothing: one resource over quota reserves nothing and reports overs, quotas and usages', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        await quotas.setLimits(p, { gigabytes: 20 });
        await quotas.commit(ctx, await quotas.reserve(ctx, { volumes: 1, gigabytes: 15 }));

        const attempt = quotas.reserve(ctx, { volumes: 1, gigabytes: 6 });

        await expect(attempt).rejects.toBeInstanceOf(OverQuotaError);
        await expect(attempt).rejects.toMatchObject({
          projectId: p,
          overs: ['gigabytes'],
          quotas: { volumes: 10, gigabytes: 20 },
          usages: { volumes: { inUse: 1, reserved: 0 }, gigabytes: { inUse: 15, reserved: 0 } },
          requested: { volumes: 1, gigabytes: 6 },
        });
        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 0 });
        expect(await reservationCount(ds, p)).toBe(0);
      });

      it('lists every resource that is over, sorted', async () => {
        const p = newProject();
        await quotas.setLimits(p, { volumes: 0, gigabytes: 0 });

        await expect(quotas.reserve({ projectId: p }, { volumes: 1, gigabytes: 1 })).rejects.toMatchObject({
          overs: ['gigabytes', 'volumes'],
        });
      });

      it('never limits a resource whose limit is -1', async () => {
        const p = newProject();
        await quotas.setLimits(p, { volumes: -1, gigabytes: -1 });

        const ids = await quotas.reserve({ projectId: p }, { volumes: 5000, gigabytes: 10_000_000 });

        expect(ids).toHaveLength(2);
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 0, reserved: 10_000_000 });
      });

      it('applies negative deltas at commit only and never blocks them', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        await quotas.commit(ctx, await quotas.reserve(ctx, { volumes: 2, gigabytes: 20 }));
        await quotas.setLimits(p, { volumes: 2, gigabytes: 20 });

        const ids = await quotas.reserve(ctx, { volumes: -1, gigabytes: -10 });
        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 2, reserved: 0 });
        await quotas.commit(ctx, ids);

        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 0 });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 10, reserved: 0 });
      });

      it('reserves against opts.projectId over the context project', async () => {
        const p = newProject();

        const ids = await quotas.reserve({ projectId: 'someone-else' }, { volumes: 1 }, { projectId: p });

        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 0, reserved: 1 });
        expect(await quotas.commit(null, ids)).toBe(1);
      });

      it('rejects unknown, limit-only and non-integer deltas, and a missing project', async () => {
        const ctx = { projectId: newProject() };

        await expect(quotas.reserve(ctx, { bogus: 1 })).rejects.toMatchObject({
          constructor: UnknownQuotaResourceError,
          resources: ['bogus'],
        });
        await expect(quotas.reserve(ctx, { per_volume_gigabytes: 1 })).rejects.toBeInstanceOf(
          UnknownQuotaResourceError,
        );
        await expect(quotas.reserve(ctx, { volumes: 0.5 })).rejects.toBeInstanceOf(InvalidQuotaValueError);
        await expect(quotas.reserve({ projectId: '' }, { volumes: 1 })).rejects.toBeInstanceOf(
          InvalidQuotaValueError,
        );
        await expect(quotas.reserve({ projectId: 'p'.repeat(256) }, { volumes: 1 })).rejects.toBeInstanceOf(
          InvalidQuotaValueError,
        );
        await expect(quotas.reserve(ctx, { [`volumes_${'t'.repeat(300)}`]: 1 })).rejects.toBeInstanceOf(
          UnknownQuotaResourceError,
        );
        await expect(quotas.reserve(ctx, { volumes: 1 }, { expire: -5 })).rejects.toBeInstanceOf(
          InvalidQuotaValueError,
        );
        expect(await reservationCount(ds, ctx.projectId)).toBe(0);
      });
    });

    describe('idempotency', () => {
      it('commit and rollback ignore ids that no longer exist', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 4 });

        expect(await quotas.commit(ctx, ids)).toBe(2);
        expect(await quotas.commit(ctx, ids)).toBe(0);
        expect(await quotas.rollback(ctx, ids)).toBe(0);
        expect(await quotas.commit(ctx, [uuidv4()])).toBe(0);
        expect(await quotas.rollback(ctx, [])).toBe(0);

        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 0 });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 4, reserved: 0 });
      });

      it('settles ids of another project than the context one, under that project', async () => {
        const p = newProject();
        const ids = await quotas.reserve({ projectId: p }, { volumes: 1 });

        expect(await quotas.commit({ projectId: newProject() }, ids)).toBe(1);
        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 0 });
      });

      it('a concurrent double commit applies once', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 1 });

        const counts = await Promise.all([
          quotas.commit(ctx, ids),
          quotas.commit(ctx, ids),
          quotas.rollback(ctx, ids),
        ]);

        expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
        const v = await usage(ds, p, 'volumes');
        expect(v!.reserved).toBe(0);
        expect(v!.in_use === 0 || v!.in_use === 1).toBe(true);
      });
    });

    describe('group commit (concurrent operations of one project share a transaction)', () => {
      it('applies a burst in arrival order: the reserves after the limit are refused alone, the rest kept', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        await quotas.setLimits(p, { volumes: 5, gigabytes: -1 });
        await quotas.commit(ctx, await quotas.reserve(ctx, { volumes: 1, gigabytes: 1 }));

        const outcomes = await Promise.allSettled(
          Array.from({ length: 12 }, () => quotas.reserve(ctx, { volumes: 1, gigabytes: 2 })),
        );

        const kept = outcomes.filter((o) => o.status === 'fulfilled');
        const refused = outcomes.filter((o) => o.status === 'rejected');
        expect(kept).toHaveLength(4);
        for (const o of refused) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(OverQuotaError);
        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 4 });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 1, reserved: 8 });
        expect(await reservationCount(ds, p)).toBe(8);
      });

      it('commits, rolls back and reserves side by side, and a reserve sees what a settle before it freed', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        await quotas.setLimits(p, { volumes: 2, gigabytes: -1 });
        const a = await quotas.reserve(ctx, { volumes: 1, gigabytes: 3 });
        const b = await quotas.reserve(ctx, { volumes: 1, gigabytes: 5 });

        // Issued together: the rollback of b comes before the reserve, which it makes room for.
        const [committed, rolledBack, c, twice] = await Promise.all([
          quotas.commit(ctx, a),
          quotas.rollback(ctx, b),
          quotas.reserve(ctx, { volumes: 1, gigabytes: 7 }),
          quotas.commit(ctx, a),
        ]);

        expect([committed, rolledBack, twice]).toEqual([2, 2, 0]);
        expect(c).toHaveLength(2);
        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 1 });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 3, reserved: 7 });
        expect(await quotas.commit(ctx, c)).toBe(2);
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 10, reserved: 0 });
        expect(await reservationCount(ds, p)).toBe(0);
      });

      it('keeps projects apart: a burst over several projects settles each under its own usage', async () => {
        const projects = [newProject(), newProject(), newProject()];
        for (const p of projects) await quotas.setLimits(p, { volumes: 3, gigabytes: -1 });

        await Promise.all(
          projects.flatMap((p) =>
            Array.from({ length: 5 }, async () => {
              const ids = await quotas.reserve({ projectId: p }, { volumes: 1 }).catch(() => null);
              if (ids !== null) await quotas.commit({ projectId: p }, ids);
            }),
          ),
        );

        for (const p of projects) {
          expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 3, reserved: 0 });
          expect(await reservationCount(ds, p)).toBe(0);
        }
      });

      it('a reserve from inside a write transaction does not wait for a batch behind that transaction', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        await quotas.commit(ctx, await quotas.reserve(ctx, { volumes: 1 }));

        let other: Promise<string[]> | undefined;
        const inner = await withWriteTransaction(ds, () => {
          // Another caller of the same project arrives meanwhile, outside the transaction.
          other = outsideTransaction(() => quotas.reserve(ctx, { volumes: 1 }));
          return quotas.reserve(ctx, { volumes: 1 });
        });
        const ids = [inner, await other!];

        expect(ids.flat()).toHaveLength(2);
        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 1, reserved: 2 });
      });
    });

    describe('per volume type', () => {
      it('adds volumes_<type> and gigabytes_<type> from the type and limits them', async () => {
        const p = newProject();
        const ctx = { projectId: p };
        const typeName = `ssd-${uuidv4().slice(0, 6)}`;
        const typeId = await createVolumeType(ds, typeName);
        await quotas.setLimits(p, { [`volumes_${typeName}`]: 1 });

        const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 5 }, { volumeTypeId: typeId });
        const second = quotas.reserve(ctx, { volumes: 1, gigabytes: 5 }, { volumeTypeId: typeId });

        expect(ids).toHaveLength(4);
        await expect(second).rejects.toMatchObject({ overs: [`volumes_${typeName}`] });
        await quotas.commit(ctx, ids);
        const view = await quotas.getProjectQuotas(p, { usages: true });
        expect(view[`volumes_${typeName}`]).toEqual({ limit: 1, inUse: 1, reserved: 0 });
        expect(view[`gigabytes_${typeName}`]).toEqual({ limit: -1, inUse: 5, reserved: 0 });
        expect(view[`snapshots_${typeName}`]).toEqual({ limit: -1, inUse: 0, reserved: 0 });
        expect(view.volumes).toEqual({ limit: 10, inUse: 1, reserved: 0 });
      });

      it('rejects an unknown volume type and reserves nothing', async () => {
        const p = newProject();

        await expect(
          quotas.reserve({ projectId: p }, { volumes: 1 }, { volumeTypeId: uuidv4() }),
        ).rejects.toBeInstanceOf(QuotaVolumeTypeNotFoundError);
        expect(await usage(ds, p, 'volumes')).toBeUndefined();
      });
    });

    describe('expiry', () => {
      it('rolls back expired reservations only, and a later commit of them is a no-op', async () => {
        let now = new Date('2030-01-01T00:00:00Z');
        const clocked = new QuotaEngine(ds, { now: () => now, reservationExpireSeconds: 3600 });
        const p = newProject();
        const ctx = { projectId: p };
        const shortLived = await clocked.reserve(ctx, { volumes: 1, gigabytes: 2 }, { expire: 60 });
        const longLived = await clocked.reserve(ctx, { volumes: 1, gigabytes: 3 });

        now = new Date('2030-01-01T00:02:00Z');
        const expired = await clocked.expire(); // global: earlier tests' reservations are past 2030 too

        expect(expired).toBeGreaterThanOrEqual(2);
        expect(await reservationCount(ds, p)).toBe(2);
        expect(await usage(ds, p, 'volumes')).toEqual({ in_use: 0, reserved: 1 });
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 0, reserved: 3 });
        expect(await clocked.commit(ctx, shortLived)).toBe(0);
        expect(await clocked.commit(ctx, longLived)).toBe(2);

        now = new Date('2030-01-02T00:00:00Z');
        await clocked.expire();
        expect(await usage(ds, p, 'gigabytes')).toEqual({ in_use: 3, reserved: 0 });
      });

      it('accepts an absolute expiry date', async () => {
        let now = new Date('2031-01-01T00:00:00Z');
        const clocked = new QuotaEngine(ds, { now: () => now });
        const p = newProject();
        await clocked.reserve({ projectId: p }, { volumes: 1 }, { expire: new Date('2031-01-01T00:00:30Z') });

        now = new Date('2031-01-01T00:00:29Z');
        await clocked.expire();
        const early = await reservationCount(ds, p);
        now = new Date('2031-01-01T00:00:31Z');
        await clocked.expire();
        const late = await reservationCount(ds, p);

        expect([early, late]).toEqual([1, 0]);
      });
    });

    describe('concurrency', () => {
      const envScenario = scenarioFromEnv();
      const scenarios: Array<[string, ConcurrencyScenario]> = [
        ['the issue scenario (or QUOTA_TEST_* overrides)', envScenario],
        [
          'mixed sizes against a tight gigabyte limit',
          {
            ...DEFAULT_SCENARIO,
            workers: 96,
            volumeLimit: 7,
            gigabyteLimit: 12,
            sizes: [1, 2, 3, 5],
            seed: 7,
          },
        ],
        [
          'a limit of 1 and mostly rollbacks',
          { ...DEFAULT_SCENARIO, workers: 64, volumeLimit: 1, sizes: [1], commitRatio: 0.2, seed: 3 },
        ],
        [
          '128 workers, a limit of 3, mixed sizes under a tight gigabyte limit, every reservation committed',
          {
            ...DEFAULT_SCENARIO,
            workers: 128,
            volumeLimit: 3,
            gigabyteLimit: 5,
            sizes: [1, 2, 3],
            commitRatio: 1,
            seed: 11,
          },
        ],
        [
          '128 workers, every reservation rolled back',
          { ...DEFAULT_SCENARIO, workers: 128, volumeLimit: 10, commitRatio: 0, seed: 12 },
        ],
      ];

      it.each(scenarios)('keeps usage exact: %s', async (_name, scenario) => {
        const result = await runConcurrencyScenario([quotas], ds, newProject(), scenario);

        // -1 is unlimited (QUOTA_TEST_VOLUME_LIMIT=-1): nothing to stay under.
        if (scenario.volumeLimit >= 0)
          expect(result.committedVolumes).toBeLessThanOrEqual(scenario.volumeLimit);
      });

      // better-sqlite3 is synchronous: two connections in one process would block each other's event loop,
      // so only MariaDB runs the two-pool variant (two SQLite processes are covered by BEGIN IMMEDIATE + busy_timeout).
      if (opts.multiPool)
        it("keeps usage exact with two DataSources (two processes' pools) contending", async () => {
          const second = createDataSource(db.url);
          await second.initialize();
          try {
            const result = await runConcurrencyScenario(
              [quotas, new QuotaEngine(second)],
              ds,
              newProject(),
              envScenario,
            );

            // A limit of 0 (QUOTA_TEST_VOLUME_LIMIT=0) refuses every reserve: none can succeed then.
            if (envScenario.volumeLimit !== 0) expect(result.burstSuccesses).toBeGreaterThan(0);
            else expect(result.burstSuccesses).toBe(0);
          } finally {
            await second.destroy();
          }
        }, 120_000);
    });
  });
}
