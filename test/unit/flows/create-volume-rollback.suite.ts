/**
 * Rollback scenarios of volume:create (the engine's rollback-scenario harness): a failure injected into
 * each of the seven tasks in turn, on a real database, with the exact aftermath asserted.
 */
import {
  createVolumeFlow,
  type CreateVolumeFlowDeps,
  type CreateVolumeRequestSpec,
} from '../../../src/flows/create-volume';
import { extendVolumeFlow } from '../../../src/flows/extend-volume';
import { QuotaEngine } from '../../../src/quota';
import { Engine } from '../../../src/taskflow';
import { formatRollbackReport, runRollbackScenarios } from '../../../src/taskflow/testing';
import { InvalidVolumeError, VolumeLimitExceededError } from '../../../src/tasks/volume';
import { VolumeAPI } from '../../../src/volume/api';
import { VolumeDb } from '../../../src/volume/volume-db';
import type { TestDatabase } from '../../helpers/db';
import { FakeBackend, FakeScheduler, PROJECT, dbState, truncate } from '../volume-api/harness';

const TASKS = [
  'volume:create.inject',
  'volume:create.extract-request',
  'volume:create.quota-reserve',
  'volume:create.entry-create',
  'volume:create.quota-commit',
  'volume:create.on-failure',
  'volume:create.cast',
];

function spec(size = 3): CreateVolumeRequestSpec {
  return {
    context: {
      project_id: PROJECT,
      user_id: 'alice',
      is_admin: false,
      request_id: 'req-1',
      roles: ['member'],
    },
    size,
    name: 'v',
    description: null,
    availability_zone: null,
    metadata: { env: 'test', tier: 'gold' },
    image_id: null,
    snapshot: null,
    source_volume: null,
    volume_type: null,
    scheduler_hints: null,
  };
}

export function createVolumeRollbackSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`volume:create rollback scenarios (${label})`, () => {
    let db: TestDatabase;
    let deps: CreateVolumeFlowDeps;
    let scheduler: FakeScheduler;
    let quotas: QuotaEngine;

    beforeAll(async () => {
      db = await makeDb();
      quotas = new QuotaEngine(db.dataSource);
      scheduler = new FakeScheduler(() => db.dataSource);
      const volumes = new VolumeDb(db.dataSource, { defaultVolumeType: '__DEFAULT__', defaultZone: 'nova' });
      deps = { quotas, volumes, types: volumes, zones: volumes, scheduler };
    });
    afterAll(async () => {
      await db?.drop();
    });

    async function seedUsage(): Promise<void> {
      await truncate(db.dataSource);
      // A committed 1 GB volume's worth of usage, so "unchanged" is not just "empty".
      const ids = await quotas.reserve({ projectId: PROJECT }, { volumes: 1, gigabytes: 1 });
      await quotas.commit({ projectId: PROJECT }, ids);
    }

    it('fails before QuotaCommit leave no row, no metadata and no reservation; usage unchanged', async () => {
      const results = await runRollbackScenarios({
        flow: () => createVolumeFlow(deps, spec()),
        setup: seedUsage,
        snapshot: () => dbState(db.dataSource),
        atoms: TASKS.slice(0, 5),
      });

      expect(results.map((r) => r.failAt)).toEqual(TASKS.slice(0, 5));
      for (const r of results) {
        expect({
          scenario: r.scenario,
          state: r.flowState,
          injected: r.failedAsInjected,
          restored: r.restored,
        }).toEqual({
          scenario: r.scenario,
          state: 'REVERTED',
          injected: true,
          restored: true,
        });
        expect(r.after.volumes).toEqual([]);
        expect(r.after.reservations).toBe(0);
        expect(r.after.usage).toEqual({
          gigabytes: { in_use: 1, reserved: 0 },
          volumes: { in_use: 1, reserved: 0 },
        });
      }
      expect(scheduler.casts).toHaveLength(0);
      expect(formatRollbackReport(results)).not.toContain('LEAK');
    });

    it('reverts QuotaReserve and EntryCreate in reverse order when QuotaCommit fails', async () => {
      const [r] = await runRollbackScenarios({
        flow: () => createVolumeFlow(deps, spec()),
        setup: seedUsage,
        snapshot: () => dbState(db.dataSource),
        atoms: ['volume:create.quota-commit'],
      });

      expect(r!.executed).toEqual(TASKS.slice(0, 5));
      expect(r!.reverted.slice(0, 3)).toEqual([
        'volume:create.quota-commit',
        'volume:create.entry-create',
        'volume:create.quota-reserve',
      ]);
    });

    it('fails after QuotaCommit (OnFailure, Cast) leave the row in error with its quota given back (use_quota off)', async () => {
      const results = await runRollbackScenarios({
        flow: () => createVolumeFlow(deps, spec()),
        setup: seedUsage,
        snapshot: () => dbState(db.dataSource),
        atoms: TASKS.slice(5),
      });

      expect(results.map((r) => r.failAt)).toEqual(TASKS.slice(5));
      for (const r of results) {
        expect(r.flowState).toBe('REVERTED');
        expect(r.failedAsInjected).toBe(true);
        expect(r.after.volumes).toEqual([{ id: expect.any(String), status: 'error', size: 3, deleted: 0 }]);
        expect(r.after.reservations).toBe(0);
        expect(r.after.usage).toEqual(r.before.usage);
        expect(r.reverted).toEqual(
          expect.arrayContaining(['volume:create.on-failure', 'volume:create.quota-commit']),
        );
      }
    });

    it('marks the volume error and returns the quota when the scheduler cast really fails; deleting it then gives nothing back again', async () => {
      await seedUsage();
      const before = await dbState(db.dataSource);
      scheduler.fail = new Error('transport down');

      const engine = new Engine(createVolumeFlow(deps, spec(2)));
      await expect(engine.run()).rejects.toThrow('transport down');
      scheduler.fail = null;

      const after = await dbState(db.dataSource);
      expect(after.volumes).toEqual([{ id: expect.any(String), status: 'error', size: 2, deleted: 0 }]);
      expect(after.usage).toEqual(before.usage);
      expect(after.reservations).toBe(0);
      const flags: Array<{ use_quota: unknown }> = await db.dataSource.query(
        'SELECT use_quota FROM volumes WHERE id = ?',
        [after.volumes[0]!.id],
      );
      expect(flags.map((f) => Number(f.use_quota))).toEqual([0]);

      // What the API's delete does with a volume that never got a host.
      const api = new VolumeAPI(db.dataSource, quotas, scheduler, new FakeBackend(() => db.dataSource), {
        defaultVolumeType: '__DEFAULT__',
        defaultAvailabilityZone: 'nova',
      });
      await api.delete(
        { projectId: PROJECT, userId: 'alice', isAdmin: false, roles: ['member'], requestId: 'req-2' },
        after.volumes[0]!.id,
      );
      const deleted = await dbState(db.dataSource);
      expect(deleted.volumes).toEqual([{ id: after.volumes[0]!.id, status: 'deleted', size: 2, deleted: 1 }]);
      expect(deleted.reservations).toBe(0);
      expect(deleted.usage).toEqual(before.usage);
    });

    it('commits exactly volumes +1 and gigabytes +size (per type too) on success and casts once', async () => {
      await seedUsage();
      const casts = scheduler.casts.length;

      const engine = new Engine(createVolumeFlow(deps, spec(5)));
      await engine.run();

      const after = await dbState(db.dataSource);
      expect(after.usage).toEqual({
        gigabytes: { in_use: 6, reserved: 0 },
        gigabytes___DEFAULT__: { in_use: 5, reserved: 0 },
        volumes: { in_use: 2, reserved: 0 },
        volumes___DEFAULT__: { in_use: 1, reserved: 0 },
      });
      expect(after.volumes).toEqual([
        { id: engine.storage.fetch('volume_id'), status: 'creating', size: 5, deleted: 0 },
      ]);
      expect(after.metadata).toBe(2);
      expect(scheduler.casts.length).toBe(casts + 1);
      expect(scheduler.casts.at(-1)!.args.requestSpec).toMatchObject({
        size: 5,
        availability_zone: 'nova',
        volume_type: { name: '__DEFAULT__' },
      });
    });

    it('over quota: VolumeLimitExceeded, nothing written', async () => {
      await seedUsage();
      await quotas.setLimits(PROJECT, { volumes: 1 });
      const before = await dbState(db.dataSource);

      await expect(new Engine(createVolumeFlow(deps, spec(1))).run()).rejects.toBeInstanceOf(
        VolumeLimitExceededError,
      );

      expect(await dbState(db.dataSource)).toEqual(before);
      await quotas.resetLimits(PROJECT);
    });

    it('volume:extend reverts its reservation and the extending status when the cast fails', async () => {
      await seedUsage();
      await db.dataSource.query(
        "INSERT INTO volumes (id, project_id, user_id, size, status, attach_status, host, bootable, multiattach, created_at, deleted) VALUES ('11111111-1111-4111-8111-111111111111', ?, 'alice', 1, 'available', 'detached', 'h@b#p', 0, 0, '2026-01-01 00:00:00', 0)",
        [PROJECT],
      );
      const backend = new FakeBackend();
      backend.fail = new Error('cast failed');
      const volumes = deps.volumes as VolumeDb;
      const flow = () =>
        extendVolumeFlow(
          { quotas, volumes, backend, onRefused: (id) => new InvalidVolumeError(`${id} not available`) },
          {
            context: { project_id: PROJECT, user_id: 'alice', is_admin: false, request_id: 'r', roles: [] },
            volume: {
              id: '11111111-1111-4111-8111-111111111111',
              size: 1,
              host: 'h@b#p',
              volume_type_id: null,
            },
            newSizeGb: 4,
          },
        );
      const before = await dbState(db.dataSource);

      await expect(new Engine(flow()).run()).rejects.toThrow('cast failed');

      expect(await dbState(db.dataSource)).toEqual(before);
      backend.fail = null;
      await new Engine(flow()).run();
      const after = await dbState(db.dataSource);
      expect(after.volumes[0]!.status).toBe('extending');
      expect(after.usage.gigabytes).toEqual({ in_use: 1, reserved: 3 });
      expect(backend.extends).toEqual([expect.objectContaining({ newSizeGb: 4, host: 'h@b#p' })]);
    });
  });
}
