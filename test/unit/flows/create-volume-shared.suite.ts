/**
 * volume:create built once (sharedCreateVolumeFlow, as VolumeAPI runs it) and run by concurrent creates
 * that fail in different tasks: each run's reverts must see that run's own data (its reservations, its
 * row, its context's quota_committed), never another run's, and the flow must stay reusable.
 */
import {
  createVolumeStore,
  sharedCreateVolumeFlow,
  type CreateVolumeRequestSpec,
} from '../../../src/flows/create-volume';
import { QuotaEngine } from '../../../src/quota';
import { Engine } from '../../../src/taskflow';
import type { VolumeProperties, VolumeQuotas } from '../../../src/tasks/volume';
import { VolumeDb } from '../../../src/volume/volume-db';
import type { TestDatabase } from '../../helpers/db';
import { FakeScheduler, PROJECT, dbState, truncate } from '../volume-api/harness';

/** The runs, by name: where each one fails (its size tells the quota calls apart). */
const RUNS = [
  { name: 'ok-a', size: 1, fails: null },
  { name: 'fail-reserve', size: 2, fails: 'volume:create.quota-reserve' },
  { name: 'fail-entry', size: 3, fails: 'volume:create.entry-create' },
  { name: 'ok-b', size: 4, fails: null },
  { name: 'fail-commit', size: 5, fails: 'volume:create.quota-commit' },
  { name: 'fail-cast', size: 6, fails: 'volume:create.cast' },
] as const;
type RunName = (typeof RUNS)[number]['name'];

class Refused extends Error {
  constructor(readonly run: string) {
    super(`refused for ${run}`);
    this.name = new.target.name;
  }
}

/** A few turns of the event loop, different per call, so the concurrent runs interleave. */
let turn = 0;
const yieldSome = async (): Promise<void> => {
  for (let i = (turn++ * 7) % 5; i >= 0; i--) await new Promise((resolve) => setImmediate(resolve));
};

function spec(name: string, size: number, requestId: string): CreateVolumeRequestSpec {
  return {
    context: {
      project_id: PROJECT,
      user_id: 'alice',
      is_admin: false,
      request_id: requestId,
      roles: ['member'],
    },
    size,
    name,
    description: null,
    availability_zone: null,
    metadata: { run: name },
    image_id: null,
    snapshot: null,
    source_volume: null,
    volume_type: null,
    scheduler_hints: null,
  };
}

export function createVolumeSharedFlowSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`volume:create built once, run by concurrent creates (${label})`, () => {
    let db: TestDatabase;
    let realQuotas: QuotaEngine;
    let volumes: VolumeDb;
    let scheduler: FakeScheduler;
    /** What each run did and what the reverts were called with, by run name. */
    let reserved: Map<RunName, string[]>;
    let inserted: Map<RunName, string>;
    let reverts: { call: string; run: RunName | undefined; arg: string[] }[];
    let flow: ReturnType<typeof sharedCreateVolumeFlow>;

    const runOfSize = (size: number): RunName | undefined => RUNS.find((r) => r.size === size)?.name;
    const runOfReservations = (ids: readonly string[]): RunName | undefined =>
      [...reserved].find(([, own]) => own.length === ids.length && own.every((id) => ids.includes(id)))?.[0];
    const runOfVolume = (id: string): RunName | undefined => [...inserted].find(([, own]) => own === id)?.[0];

    beforeAll(async () => {
      db = await makeDb();
      realQuotas = new QuotaEngine(db.dataSource);
      scheduler = new FakeScheduler(() => db.dataSource);
      volumes = new VolumeDb(db.dataSource, { defaultVolumeType: '__DEFAULT__', defaultZone: 'nova' });
      const quotas: VolumeQuotas = {
        checkPerVolumeSize: (...a) => realQuotas.checkPerVolumeSize(...a),
        reserve: async (ctx, deltas, options) => {
          await yieldSome();
          const size = deltas['gigabytes'] ?? 0;
          if (runOfSize(size) === 'fail-reserve') throw new Refused('fail-reserve');
          const ids = await realQuotas.reserve(ctx, deltas, options);
          // QuotaCommit's revert reserves -size: only the creates' own reservations are recorded.
          if (size > 0) reserved.set(runOfSize(size)!, ids);
          return ids;
        },
        commit: async (ctx, ids) => {
          await yieldSome();
          if (runOfReservations(ids) === 'fail-commit') throw new Refused('fail-commit');
          return realQuotas.commit(ctx, ids);
        },
        rollback: async (ctx, ids) => {
          reverts.push({ call: 'rollback', run: runOfReservations(ids), arg: [...ids] });
          await yieldSome();
          return realQuotas.rollback(ctx, ids);
        },
      };
      const store: VolumeDb = Object.create(volumes) as VolumeDb;
      Object.assign(store, {
        insertVolume: async (props: VolumeProperties) => {
          await yieldSome();
          if (props.display_name === 'fail-entry') throw new Refused('fail-entry');
          await volumes.insertVolume(props);
          inserted.set(props.display_name as RunName, props.id);
        },
        destroyVolume: async (id: string) => {
          reverts.push({ call: 'destroyVolume', run: runOfVolume(id), arg: [id] });
          await yieldSome();
          await volumes.destroyVolume(id);
        },
        setVolumeStatus: async (id: string, status: string) => {
          reverts.push({ call: `setVolumeStatus ${status}`, run: runOfVolume(id), arg: [id] });
          await yieldSome();
          await volumes.setVolumeStatus(id, status);
        },
        releaseVolumeQuota: async (id: string) => {
          reverts.push({ call: 'releaseVolumeQuota', run: runOfVolume(id), arg: [id] });
          await yieldSome();
          return volumes.releaseVolumeQuota(id);
        },
      });
      flow = sharedCreateVolumeFlow({
        quotas,
        volumes: store,
        types: volumes,
        zones: volumes,
        scheduler: {
          createVolume: async (ctx, args) => {
            await yieldSome();
            if (runOfVolume(args.volumeId) === 'fail-cast') throw new Refused('fail-cast');
            await scheduler.createVolume(ctx, args);
          },
        },
      });
    });
    afterAll(async () => {
      await db?.drop();
    });

    it.each([1, 2, 3])(
      'round %i: each failed run reverts only its own reservations and row; the others are untouched',
      async (round) => {
        await truncate(db.dataSource);
        reserved = new Map();
        inserted = new Map();
        reverts = [];
        const castsBefore = scheduler.casts.length;

        const engines = RUNS.map(
          (r) =>
            new Engine(flow, { store: createVolumeStore(spec(r.name, r.size, `req-${round}-${r.name}`)) }),
        );
        const outcomes = await Promise.allSettled(engines.map((e) => e.run()));

        // Each run failed where it was told to, with its own error, or succeeded.
        RUNS.forEach((r, i) => {
          const o = outcomes[i]!;
          if (r.fails === null) expect(o.status).toBe('fulfilled');
          else expect(o).toEqual({ status: 'rejected', reason: new Refused(r.name) });
          expect(engines[i]!.storage.fetch('create_volume_request')).toMatchObject({
            name: r.name,
            size: r.size,
            context: {
              request_id: `req-${round}-${r.name}`,
              quota_committed: r.name === 'fail-cast' || r.fails === null,
            },
          });
        });
        // The successful runs' results are their own.
        for (const i of [0, 3]) {
          expect(engines[i]!.storage.fetch('volume')).toMatchObject({
            displayName: RUNS[i]!.name,
            size: RUNS[i]!.size,
          });
          expect(engines[i]!.storage.fetch('volume_id')).toBe(inserted.get(RUNS[i]!.name));
        }

        // Every revert call named the run it belongs to, and only runs that failed after doing that much.
        const byRun = (run: RunName): string[] =>
          reverts
            .filter((c) => c.run === run)
            .map((c) => c.call)
            .sort();
        expect(reverts.filter((c) => c.run === undefined)).toEqual([]);
        expect(byRun('ok-a')).toEqual([]);
        expect(byRun('ok-b')).toEqual([]);
        expect(byRun('fail-reserve')).toEqual([]); // nothing reserved, nothing to give back
        expect(byRun('fail-entry')).toEqual(['rollback']); // its own reservations, not committed
        expect(byRun('fail-commit')).toEqual(['destroyVolume', 'rollback']); // its row, its reservations
        // Committed: its row is marked error and its quota given back; its reservations were committed.
        expect(byRun('fail-cast')).toEqual(['releaseVolumeQuota', 'setVolumeStatus error']);
        for (const c of reverts.filter((x) => x.call === 'rollback'))
          expect(c.arg.sort()).toEqual([...reserved.get(c.run!)!].sort());

        const after = await dbState(db.dataSource);
        const statusOf = (run: RunName): string | undefined =>
          after.volumes.find((v) => v.id === inserted.get(run))?.status;
        expect(after.volumes).toHaveLength(3);
        expect([statusOf('ok-a'), statusOf('ok-b'), statusOf('fail-cast')]).toEqual([
          'creating',
          'creating',
          'error',
        ]);
        expect(after.reservations).toBe(0);
        expect(after.usage).toEqual({
          gigabytes: { in_use: 5, reserved: 0 },
          gigabytes___DEFAULT__: { in_use: 5, reserved: 0 },
          volumes: { in_use: 2, reserved: 0 },
          volumes___DEFAULT__: { in_use: 2, reserved: 0 },
        });
        expect(
          scheduler.casts
            .slice(castsBefore)
            .map((c) => c.args.volumeId)
            .sort(),
        ).toEqual([inserted.get('ok-a'), inserted.get('ok-b')].sort());
      },
    );
  });
}
