/**
 * The volume scheduler's placement as a compare-and-set on a real database: two scheduler processes
 * (two managers, each with its own DataSource on the same database) handle a copy each of the same
 * create_volume cast at the same moment, and exactly one places the volume and casts it to a backend.
 * Run by `volume-placement.test.ts` (SQLite) and
 * `test/integration/scheduler/volume-placement.int.test.ts` (MariaDB).
 */
import { v4 as uuidv4 } from 'uuid';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../../src/db/data-source';
import { VolumeEntity } from '../../../src/db/entities';
import { RequestContext } from '../../../src/rpc/context';
import type { ServiceCapabilities } from '../../../src/scheduler/host-manager';
import { VolumeSchedulerManager } from '../../../src/scheduler/scheduler-manager';
import type { VolumeRpcApi } from '../../../src/volume/rpc-api';
import { VolumeRows } from '../../../src/volume/volume-rows';
import type { TestDatabase } from '../../helpers/db';

const caps: ServiceCapabilities = {
  volume_backend_name: 'file',
  vendor_name: 'Open Source',
  driver_version: '1.0.0',
  storage_protocol: 'file',
  total_capacity_gb: 1000,
  free_capacity_gb: 1000,
  allocated_capacity_gb: 0,
  reserved_percentage: 0,
  thin_provisioning_support: true,
  availability_zone: 'nova',
};

/** Records the create_volume casts to the backends. */
class RecordingVolumeRpc {
  readonly casts: Array<{ volumeId: string; host: string }> = [];
  async createVolume(_ctx: unknown, host: string, args: { volumeId: string }): Promise<void> {
    this.casts.push({ volumeId: args.volumeId, host });
  }
}

async function insertCreating(ds: DataSource, id: string, host: string | null = null): Promise<void> {
  await ds.getRepository(VolumeEntity).insert({
    id,
    projectId: 'p1',
    userId: 'u1',
    size: 1,
    status: 'creating',
    attachStatus: 'detached',
    displayName: null,
    displayDescription: null,
    availabilityZone: 'nova',
    volumeTypeId: null,
    snapshotId: null,
    sourceVolid: null,
    host,
    bootable: false,
    encryptionKeyId: null,
    multiattach: false,
    migrationStatus: null,
    createdAt: new Date(),
    updatedAt: null,
    deletedAt: null,
    deleted: false,
  });
}

const argsFor = (volumeId: string) => ({
  volumeId,
  requestSpec: { volume_id: volumeId, size: 1, availability_zone: 'nova', volume_type: { extra_specs: {} } },
  filterProperties: { scheduler_hints: {}, retry: { num_attempts: 0, hosts: [] } },
});

export function volumePlacementSuite(name: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`volume scheduler placement is a compare-and-set (${name})`, () => {
    let db: TestDatabase;
    let second: DataSource;

    beforeAll(async () => {
      db = await makeDb();
      second = createDataSource(db.url);
      await second.initialize();
    });

    afterAll(async () => {
      if (second?.isInitialized) await second.destroy();
      await db?.drop();
    });

    function scheduler(ds: DataSource, rpc: RecordingVolumeRpc, host: string): VolumeSchedulerManager {
      const m = new VolumeSchedulerManager({
        host,
        rows: new VolumeRows(ds),
        volumeRpc: rpc as unknown as VolumeRpcApi,
      });
      // Two equal backends, so the two processes' selections can differ (the loser must not cast).
      for (const backend of ['v1@file', 'v2@file']) {
        m.update_service_capabilities(RequestContext.admin(), {
          serviceName: 'volume',
          host: backend,
          capabilities: caps,
          timestamp: 1,
        });
      }
      return m;
    }

    it('of two processes placing the same volumes at once, exactly one places each volume', async () => {
      const rpc = new RecordingVolumeRpc();
      const a = scheduler(db.dataSource, rpc, 'sched-a');
      const b = scheduler(second, rpc, 'sched-b');
      const ids = Array.from({ length: 20 }, () => uuidv4());
      for (const id of ids) await insertCreating(db.dataSource, id);

      await Promise.all(
        ids.flatMap((id) => [
          a.create_volume(RequestContext.admin(), argsFor(id)),
          b.create_volume(RequestContext.admin(), argsFor(id)),
        ]),
      );

      const rows = new VolumeRows(db.dataSource);
      for (const id of ids) {
        const casts = rpc.casts.filter((c) => c.volumeId === id);
        expect(casts).toHaveLength(1);
        expect(await rows.get(id)).toMatchObject({ status: 'creating', host: casts[0]!.host });
      }
      // Each process's view counts only the volumes it placed: the losers gave their space back.
      const allocated = [a, b].flatMap((m) =>
        ['v1@file', 'v2@file'].map((k) => m.hostManager.get(k)!.allocatedCapacityGb),
      );
      expect(allocated.reduce((s, x) => s + x, 0)).toBe(ids.length);
    });

    it('a cast that fails after its backend rescheduled the volume, placed elsewhere since, leaves that placement alone', async () => {
      const id = uuidv4();
      await insertCreating(db.dataSource, id);
      const rows = new VolumeRows(db.dataSource);
      // The backend got the cast, failed the create and cast it back (host cleared); another scheduler
      // placed it on the other backend; only then does this cast report its failure (a confirm timeout).
      const rpc = {
        casts: [] as Array<{ volumeId: string; host: string }>,
        async createVolume(_ctx: unknown, host: string, args: { volumeId: string }): Promise<void> {
          this.casts.push({ volumeId: args.volumeId, host });
          const other = host.startsWith('v1@') ? 'v2@file#file' : 'v1@file#file';
          await rows.transition(id, ['creating'], 'creating', { host: null });
          await rows.transition(id, ['creating'], 'creating', { host: other }, { unplaced: true });
          throw new Error('publisher confirm timed out');
        },
      };
      const m = scheduler(db.dataSource, rpc as unknown as RecordingVolumeRpc, 'sched-a');

      await m.create_volume(RequestContext.admin(), argsFor(id));

      expect(rpc.casts).toHaveLength(1);
      const placedFirst = rpc.casts[0]!.host;
      expect(await rows.get(id)).toMatchObject({ status: 'creating' });
      expect((await rows.get(id))!.host).not.toBe(placedFirst);
      expect((await rows.get(id))!.host).not.toBeNull();
    });

    it('transition with only.unplaced: of many concurrent writers exactly one changes the row', async () => {
      const id = uuidv4();
      await insertCreating(db.dataSource, id);
      const writers = [new VolumeRows(db.dataSource), new VolumeRows(second)];

      const won = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          writers[i % 2]!.transition(
            id,
            ['creating'],
            'creating',
            { host: `h${i}@file#file` },
            { unplaced: true },
          ),
        ),
      );

      expect(won.filter((w) => w)).toHaveLength(1);
      expect((await writers[0]!.get(id))!.host).toBe(`h${won.indexOf(true)}@file#file`);
    });

    it('transition with only.unplaced leaves alone a volume that has a host, and without it changes it', async () => {
      const id = uuidv4();
      await insertCreating(db.dataSource, id, 'v1@file#file');
      const rows = new VolumeRows(db.dataSource);

      expect(await rows.transition(id, ['creating'], 'error', { host: null }, { unplaced: true })).toBe(
        false,
      );
      expect(await rows.get(id)).toMatchObject({ status: 'creating', host: 'v1@file#file' });
      expect(await rows.transition(id, ['creating'], 'error', { host: null })).toBe(true);
      expect(await rows.get(id)).toMatchObject({ status: 'error', host: null });
    });
  });
}
