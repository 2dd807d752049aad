import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import type { DataSource } from 'typeorm';
import { dbDate } from '../../../src/db/sql';
import { QuotaEngine, runUsageAudit } from '../../../src/quota';
import type { TestDatabase } from '../../helpers/db';

const newProject = (): string => uuidv4().replace(/-/g, '');

/** The usage audit, run against SQLite (npm test) and MariaDB (npm run test:int). */
export function usageAuditSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`runUsageAudit on ${label}`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let quotas: QuotaEngine;
    let defaultTypeId: string;
    beforeAll(async () => {
      db = await makeDb();
      ds = db.dataSource;
      quotas = new QuotaEngine(ds);
      const rows = await ds.query("SELECT id FROM volume_types WHERE name = '__DEFAULT__'");
      defaultTypeId = rows[0].id;
    });
    afterAll(async () => {
      await db?.drop();
    });

    /** Creates a volume the way the API flow does: reserve, insert the row, commit. */
    async function createVolume(projectId: string, size: number, deleted = false): Promise<string> {
      const ids = await quotas.reserve(
        { projectId },
        { volumes: 1, gigabytes: size },
        { volumeTypeId: defaultTypeId },
      );
      const id = uuidv7();
      await insertVolume(ds, id, projectId, size, defaultTypeId, deleted);
      await quotas.commit({ projectId }, ids);
      return id;
    }

    async function inUse(projectId: string, resource: string): Promise<number | undefined> {
      const rows = await ds.query('SELECT in_use FROM quota_usages WHERE project_id = ? AND resource = ?', [
        projectId,
        resource,
      ]);
      return rows[0] === undefined ? undefined : Number(rows[0].in_use);
    }

    /** `reserved` of the project's rows that have any. */
    async function reservedOf(projectId: string): Promise<Record<string, number>> {
      const rows: Array<{ resource: string; reserved: number }> = await ds.query(
        'SELECT resource, reserved FROM quota_usages WHERE project_id = ? AND reserved <> 0 ORDER BY resource',
        [projectId],
      );
      return Object.fromEntries(rows.map((r) => [r.resource, Number(r.reserved)]));
    }

    it('finds no drift when usage was kept by the quota engine', async () => {
      const p = newProject();
      await createVolume(p, 3);
      await createVolume(p, 4);

      const report = await runUsageAudit(ds, { projectId: p });

      expect(report.drift).toEqual([]);
      expect(report.reservedDrift).toEqual([]);
      expect(report.expiredReservations).toEqual([]);
      expect(report.orphanReservations).toEqual([]);
      expect(report.projectsChecked).toBe(1);
    });

    it('reports drift planted by hand, including a missing usage row, and fixes it', async () => {
      const p = newProject();
      const volumeId = await createVolume(p, 5);
      await createVolume(p, 2);
      await insertSnapshot(ds, p, volumeId, 5, defaultTypeId); // never went through quota
      await ds.query("UPDATE quota_usages SET in_use = 99 WHERE project_id = ? AND resource = 'volumes'", [
        p,
      ]);
      await ds.query("DELETE FROM quota_usages WHERE project_id = ? AND resource = 'gigabytes___DEFAULT__'", [
        p,
      ]);

      const report = await runUsageAudit(ds, { projectId: p });

      expect(report.drift).toEqual([
        { projectId: p, resource: 'gigabytes', recorded: 7, actual: 12, reserved: 0, fixed: false },
        {
          projectId: p,
          resource: 'gigabytes___DEFAULT__',
          recorded: 0,
          actual: 12,
          reserved: 0,
          fixed: false,
        },
        { projectId: p, resource: 'snapshots', recorded: 0, actual: 1, reserved: 0, fixed: false },
        {
          projectId: p,
          resource: 'snapshots___DEFAULT__',
          recorded: 0,
          actual: 1,
          reserved: 0,
          fixed: false,
        },
        { projectId: p, resource: 'volumes', recorded: 99, actual: 2, reserved: 0, fixed: false },
      ]);
      expect(await inUse(p, 'volumes')).toBe(99); // report only

      const fixed = await runUsageAudit(ds, { projectId: p, fix: true });

      expect(fixed.fixedCount).toBe(5);
      expect(fixed.drift.every((d) => d.fixed)).toBe(true);
      expect(await inUse(p, 'volumes')).toBe(2);
      expect(await inUse(p, 'gigabytes')).toBe(12);
      expect(await inUse(p, 'gigabytes___DEFAULT__')).toBe(12);
      expect(await inUse(p, 'snapshots')).toBe(1);
      expect((await runUsageAudit(ds, { projectId: p })).drift).toEqual([]);
    });

    it('ignores deleted volumes and counts a project that never used the quota engine', async () => {
      const p = newProject();
      await createVolume(p, 1);
      await insertVolume(ds, uuidv7(), p, 10, defaultTypeId, true);
      const q = newProject();
      await insertVolume(ds, uuidv7(), q, 6, null, false);

      const report = await runUsageAudit(ds);
      const forP = report.drift.filter((d) => d.projectId === p);
      const forQ = report.drift.filter((d) => d.projectId === q);

      expect(forP).toEqual([]);
      expect(forQ.map((d) => [d.resource, d.recorded, d.actual])).toEqual([
        ['gigabytes', 0, 6],
        ['volumes', 0, 1],
      ]);
      expect(report.projectsChecked).toBeGreaterThanOrEqual(2);
    });

    it('does not count a volume whose quota already went back (use_quota cleared), and does not "fix" it back in', async () => {
      const p = newProject();
      await createVolume(p, 2);
      // What a create whose cast failed leaves: the row in error, its quota given back, use_quota cleared.
      const failed = await createVolume(p, 3);
      await ds.query('UPDATE volumes SET status = ?, use_quota = ? WHERE id = ?', ['error', 0, failed]);
      const back = await quotas.reserve(
        { projectId: p },
        { volumes: -1, gigabytes: -3 },
        { volumeTypeId: defaultTypeId },
      );
      await quotas.commit({ projectId: p }, back);

      const report = await runUsageAudit(ds, { projectId: p, fix: true });

      expect(report.drift).toEqual([]);
      expect([await inUse(p, 'volumes'), await inUse(p, 'gigabytes')]).toEqual([1, 2]);
    });

    it('reports reserved drift, expired and orphan reservations planted by hand, and fixes them under the lock', async () => {
      const p = newProject();
      const ctx = { projectId: p };
      await createVolume(p, 2);
      const pending = await quotas.reserve(ctx, { volumes: 1, gigabytes: 1 }); // in flight, stays
      const [expiredId] = await quotas.reserve(
        ctx,
        { gigabytes: 4 },
        { expire: new Date(Date.now() - 60_000) },
      );
      const rows: Array<{ id: number; resource: string }> = await ds.query(
        'SELECT id, resource FROM quota_usages WHERE project_id = ?',
        [p],
      );
      const usageId = (resource: string): number => Number(rows.find((r) => r.resource === resource)!.id);
      // An orphan: says `volumes` but hangs on the project's gigabytes row (the engine never writes that).
      const orphanId = uuidv7();
      await ds.query(
        'INSERT INTO reservations (uuid, usage_id, project_id, resource, delta, expire, created_at, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, 0)',
        [
          orphanId,
          usageId('gigabytes'),
          p,
          'volumes',
          1,
          dbDate(ds, new Date(Date.now() + 3_600_000)),
          dbDate(ds, new Date()),
        ],
      );
      await ds.query(
        "UPDATE quota_usages SET reserved = 5 WHERE project_id = ? AND resource = 'volumes___DEFAULT__'",
        [p],
      );
      await ds.query("UPDATE quota_usages SET in_use = 9 WHERE project_id = ? AND resource = 'volumes'", [p]);

      const report = await runUsageAudit(ds, { projectId: p });

      expect(report.drift).toEqual([
        { projectId: p, resource: 'volumes', recorded: 9, actual: 1, reserved: 1, fixed: false },
      ]);
      expect(report.reservedDrift).toEqual([
        { projectId: p, resource: 'gigabytes', recorded: 5, actual: 1, fixed: false }, // 1 pending + 4 expired
        { projectId: p, resource: 'volumes___DEFAULT__', recorded: 5, actual: 0, fixed: false },
      ]);
      expect(report.expiredReservations.map((r) => [r.uuid, r.resource, r.delta, r.fixed])).toEqual([
        [expiredId, 'gigabytes', 4, false],
      ]);
      expect(report.orphanReservations.map((r) => [r.uuid, r.resource, r.delta, r.fixed])).toEqual([
        [orphanId, 'volumes', 1, false],
      ]);
      expect(await reservedOf(p)).toEqual({ gigabytes: 5, volumes: 1, volumes___DEFAULT__: 5 }); // report only

      const fixed = await runUsageAudit(ds, { projectId: p, fix: true });

      expect(fixed.reservedDrift.every((d) => d.fixed)).toBe(true);
      expect(fixed.expiredReservations.every((r) => r.fixed)).toBe(true);
      expect(fixed.orphanReservations.every((r) => r.fixed)).toBe(true);
      // in_use waits: a reservation is still in flight.
      expect([fixed.fixedCount, fixed.skippedProjects]).toEqual([0, [p]]);
      expect(await reservedOf(p)).toEqual({ gigabytes: 1, volumes: 1 });
      expect(await quotas.commit(ctx, [expiredId!, orphanId])).toBe(0); // gone: nothing to settle
      expect(await quotas.rollback(ctx, pending)).toBe(2);

      const last = await runUsageAudit(ds, { projectId: p, fix: true });

      expect([last.fixedCount, last.skippedProjects]).toEqual([1, []]);
      expect(await inUse(p, 'volumes')).toBe(1);
      const clean = await runUsageAudit(ds, { projectId: p });
      expect([clean.drift, clean.reservedDrift, clean.expiredReservations, clean.orphanReservations]).toEqual(
        [[], [], [], []],
      );
      expect(await reservedOf(p)).toEqual({});
    });

    it('leaves a project with reservations in flight alone when fixing', async () => {
      const p = newProject();
      await createVolume(p, 1);
      await ds.query("UPDATE quota_usages SET in_use = 5 WHERE project_id = ? AND resource = 'volumes'", [p]);
      const pending = await quotas.reserve({ projectId: p }, { volumes: 1, gigabytes: 1 });

      const report = await runUsageAudit(ds, { projectId: p, fix: true });

      expect(report.skippedProjects).toEqual([p]);
      expect(report.fixedCount).toBe(0);
      expect(await inUse(p, 'volumes')).toBe(5);
      await quotas.rollback({ projectId: p }, pending);
      expect((await runUsageAudit(ds, { projectId: p, fix: true })).fixedCount).toBe(1);
      expect(await inUse(p, 'volumes')).toBe(1);
    });
  });
}

async function insertVolume(
  ds: DataSource,
  id: string,
  projectId: string,
  size: number,
  typeId: string | null,
  deleted: boolean,
): Promise<void> {
  await ds.query(
    'INSERT INTO volumes (id, project_id, user_id, size, status, volume_type_id, created_at, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [id, projectId, 'u1', size, 'available', typeId, dbDate(ds, new Date()), deleted ? 1 : 0],
  );
}

async function insertSnapshot(
  ds: DataSource,
  projectId: string,
  volumeId: string,
  size: number,
  typeId: string,
): Promise<void> {
  await ds.query(
    'INSERT INTO snapshots (id, volume_id, project_id, user_id, status, volume_size, volume_type_id, created_at, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [uuidv7(), volumeId, projectId, 'u1', 'available', size, typeId, dbDate(ds, new Date()), 0],
  );
}
