/**
 * Snapshots on the volume backend end to end, without HTTP: VolumeAPI → volume service (create_snapshot /
 * delete_snapshot casts) → driver, and volumes created from a snapshot (scheduled onto the snapshot's
 * backend, copied by the driver). Quota (snapshots, gigabytes) exact after every step and failure.
 * Run by `snapshots.test.ts` (SQLite) and `test/integration/volume/snapshots.int.test.ts` (MariaDB).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SnapshotEntity } from '../../../src/db/entities';
import { RequestContext } from '../../../src/rpc/context';
import { InvalidSnapshotError, InvalidVolumeError } from '../../../src/tasks/volume';
import { FakeDriver, FileDriver, GIB } from '../../../src/volume/drivers';
import { VolumeRpcApi } from '../../../src/volume/rpc-api';
import type { TestDatabase } from '../../helpers/db';
import { startVolumeCloud, type VolumeCloud } from './backend-cloud';

interface Usage {
  volumes: [number, number];
  snapshots: [number, number];
  gigabytes: [number, number];
}

async function usage(cloud: VolumeCloud, projectId: string): Promise<Usage> {
  const q = await cloud.quotas.getProjectQuotas(projectId, { usages: true });
  const pair = (k: string): [number, number] => [q[k]!.inUse, q[k]!.reserved];
  return { volumes: pair('volumes'), snapshots: pair('snapshots'), gigabytes: pair('gigabytes') };
}

/** A delete commits its release just after the row goes (Cinder's order): poll briefly for `expected`. */
async function usageSettled(cloud: VolumeCloud, projectId: string, expected: Usage): Promise<Usage> {
  const end = Date.now() + 2000;
  for (;;) {
    const u = await usage(cloud, projectId);
    if (JSON.stringify(u) === JSON.stringify(expected) || Date.now() > end) return u;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const snapReq = (volumeId: string, name: string | null = 'snap') => ({
  volumeId,
  name,
  description: null,
  force: false,
});

export function snapshotSuite(name: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`volume snapshots (${name})`, () => {
    let db: TestDatabase;
    let cloud: VolumeCloud | undefined;
    let dir: string;

    beforeEach(async () => {
      db = await makeDb();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-snapshots-'));
    });

    afterEach(async () => {
      await cloud?.stop();
      cloud = undefined;
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('file driver: snapshot is a sparse copy, a volume from it carries the data and the quota is exact throughout', async () => {
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { node1: { driver: new FileDriver({ directory: dir, capacityGb: 100 }) } },
      });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 1 });
      expect(await cloud.settled(volId)).toMatchObject({ status: 'available' });
      const volFile = path.join(dir, `volume-${volId}`);
      const fd = fs.openSync(volFile, 'r+');
      fs.writeSync(fd, Buffer.from('block-zero'), 0, 10, 0);
      fs.writeSync(fd, Buffer.from('deep-data'), 0, 9, 512 * 1024 * 1024);
      fs.closeSync(fd);

      const snap = await cloud.api.createSnapshot(ctx, snapReq(volId));
      expect(snap).toMatchObject({ status: 'creating', volumeId: volId, volumeSize: 1 });
      expect(await cloud.snapshotSettled(snap.id)).toMatchObject({ status: 'available' });
      const row = await db.dataSource.getRepository(SnapshotEntity).findOneByOrFail({ id: snap.id });
      expect(row.progress).toBe('100%');
      const snapFile = path.join(dir, `snapshot-${snap.id}`);
      const sst = fs.statSync(snapFile);
      expect(sst.size).toBe(GIB);
      expect(sst.blocks * 512).toBeLessThan(16 * 1024 * 1024); // sparse: only the written blocks
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], snapshots: [1, 0], gigabytes: [2, 0] });

      // The volume changes after the snapshot: the snapshot keeps the old content.
      const fd2 = fs.openSync(volFile, 'r+');
      fs.writeSync(fd2, Buffer.from('CHANGED!!!'), 0, 10, 0);
      fs.closeSync(fd2);

      // A volume from the snapshot, bigger than it: the copy, grown to 2 GiB, still sparse.
      const fromId = await cloud.create('p1', { size: 2, snapshotId: snap.id });
      expect(await cloud.settled(fromId)).toMatchObject({
        status: 'available',
        host: 'node1@file#file',
        snapshotId: snap.id,
        size: 2,
      });
      const fromFile = path.join(dir, `volume-${fromId}`);
      const fst = fs.statSync(fromFile);
      expect(fst.size).toBe(2 * GIB);
      expect(fst.blocks * 512).toBeLessThan(16 * 1024 * 1024);
      const head = Buffer.alloc(10);
      const deep = Buffer.alloc(9);
      const rd = fs.openSync(fromFile, 'r');
      fs.readSync(rd, head, 0, 10, 0);
      fs.readSync(rd, deep, 0, 9, 512 * 1024 * 1024);
      fs.closeSync(rd);
      expect(head.toString()).toBe('block-zero');
      expect(deep.toString()).toBe('deep-data');
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [2, 0], snapshots: [1, 0], gigabytes: [4, 0] });

      // A volume with a snapshot cannot be deleted; the snapshot can, and its quota comes back.
      await expect(cloud.api.delete(ctx, volId)).rejects.toBeInstanceOf(InvalidVolumeError);
      await cloud.api.deleteSnapshot(ctx, snap.id);
      expect(await cloud.snapshotSettled(snap.id)).toBeNull();
      expect(fs.existsSync(snapFile)).toBe(false);
      expect(
        await db.dataSource.getRepository(SnapshotEntity).findOneByOrFail({ id: snap.id }),
      ).toMatchObject({ deleted: true, status: 'deleted' });
      expect(
        await usageSettled(cloud, 'p1', { volumes: [2, 0], snapshots: [0, 0], gigabytes: [3, 0] }),
      ).toEqual({
        volumes: [2, 0],
        snapshots: [0, 0],
        gigabytes: [3, 0],
      });
      // The volume made from it lives on without it.
      expect(fs.existsSync(fromFile)).toBe(true);
      await cloud.api.delete(ctx, volId);
      expect(await cloud.settled(volId)).toBeNull();
    });

    it('a driver failure leaves the snapshot in error with its quota counted until it is deleted', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 3 });
      await cloud.settled(volId);
      d.failNext('create_snapshot');

      const snap = await cloud.api.createSnapshot(ctx, snapReq(volId));

      expect(await cloud.snapshotSettled(snap.id)).toMatchObject({ status: 'error' });
      expect(d.snapshots.size).toBe(0);
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], snapshots: [1, 0], gigabytes: [6, 0] });
      // An error snapshot cannot be the origin of a volume.
      await expect(cloud.create('p1', { size: null, snapshotId: snap.id })).rejects.toBeInstanceOf(
        InvalidSnapshotError,
      );
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], snapshots: [1, 0], gigabytes: [6, 0] });

      await cloud.api.deleteSnapshot(ctx, snap.id);

      expect(await cloud.snapshotSettled(snap.id)).toBeNull();
      expect(
        await usageSettled(cloud, 'p1', { volumes: [1, 0], snapshots: [0, 0], gigabytes: [3, 0] }),
      ).toEqual({
        volumes: [1, 0],
        snapshots: [0, 0],
        gigabytes: [3, 0],
      });
    });

    it('a cast that cannot be sent leaves no snapshot and gives its quota back once', async () => {
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { n1: { driver: new FakeDriver() } },
      });
      const volId = await cloud.create('p1', { size: 2 });
      await cloud.settled(volId);
      const spy = jest
        .spyOn(VolumeRpcApi.prototype, 'createSnapshot')
        .mockRejectedValueOnce(new Error('broker down'));

      try {
        await expect(cloud.api.createSnapshot(cloud.ctx('p1'), snapReq(volId))).rejects.toThrow(
          'broker down',
        );
      } finally {
        spy.mockRestore();
      }

      const rows = await db.dataSource.getRepository(SnapshotEntity).find();
      expect(rows.map((r) => [r.status, r.deleted])).toEqual([['deleted', true]]);
      expect(
        await cloud.api.listSnapshots(cloud.ctx('p1'), {
          projectId: 'p1',
          limit: 10,
          marker: null,
          offset: 0,
        }),
      ).toEqual([]);
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], snapshots: [0, 0], gigabytes: [2, 0] });
      // The volume is free to go (no live snapshot holds it).
      await cloud.api.delete(cloud.ctx('p1'), volId);
      expect(await cloud.settled(volId)).toBeNull();
    });

    it('a failed snapshot delete leaves error_deleting and the quota counted; deleting again works', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 2 });
      await cloud.settled(volId);
      const snap = await cloud.api.createSnapshot(ctx, snapReq(volId));
      await cloud.snapshotSettled(snap.id);
      d.failNext('delete_snapshot');

      await cloud.api.deleteSnapshot(ctx, snap.id);

      expect(await cloud.snapshotSettled(snap.id)).toMatchObject({ status: 'error_deleting' });
      expect(d.snapshots.has(snap.id)).toBe(true);
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], snapshots: [1, 0], gigabytes: [4, 0] });
      // As in Cinder, only available/error snapshots are deleted: an admin resets error_deleting first.
      await expect(cloud.api.deleteSnapshot(ctx, snap.id)).rejects.toBeInstanceOf(InvalidSnapshotError);
      await cloud.rows.snapshotTransition(snap.id, ['error_deleting'], 'error');
      await cloud.api.deleteSnapshot(ctx, snap.id);
      expect(await cloud.snapshotSettled(snap.id)).toBeNull();
      expect(
        await usageSettled(cloud, 'p1', { volumes: [1, 0], snapshots: [0, 0], gigabytes: [2, 0] }),
      ).toEqual({
        volumes: [1, 0],
        snapshots: [0, 0],
        gigabytes: [2, 0],
      });
    });

    it("a cascade delete takes the volume's snapshots (available and error) with it, each quota back once", async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 2 });
      await cloud.settled(volId);
      const ok = await cloud.api.createSnapshot(ctx, snapReq(volId, 'ok'));
      await cloud.snapshotSettled(ok.id);
      d.failNext('create_snapshot');
      const bad = await cloud.api.createSnapshot(ctx, snapReq(volId, 'bad'));
      expect(await cloud.snapshotSettled(bad.id)).toMatchObject({ status: 'error' });
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], snapshots: [2, 0], gigabytes: [6, 0] });

      await expect(cloud.api.delete(ctx, volId)).rejects.toBeInstanceOf(InvalidVolumeError);
      await cloud.api.delete(ctx, volId, { cascade: true });

      expect(await cloud.settled(volId)).toBeNull();
      expect(await cloud.rows.getSnapshot(ok.id)).toBeNull();
      expect(await cloud.rows.getSnapshot(bad.id)).toBeNull();
      expect(d.calls.slice(-3)).toEqual([
        `delete_snapshot ${ok.id}`,
        `delete_snapshot ${bad.id}`,
        `delete ${volId}`,
      ]);
      expect(
        await usageSettled(cloud, 'p1', { volumes: [0, 0], snapshots: [0, 0], gigabytes: [0, 0] }),
      ).toEqual({
        volumes: [0, 0],
        snapshots: [0, 0],
        gigabytes: [0, 0],
      });
    });

    it('a cascade delete is refused while a snapshot is in progress, and a snapshot that cannot be deleted keeps the volume', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 1 });
      await cloud.settled(volId);
      const snap = await cloud.api.createSnapshot(ctx, snapReq(volId));
      await cloud.snapshotSettled(snap.id);
      await cloud.rows.snapshotTransition(snap.id, ['available'], 'creating');

      await expect(cloud.api.delete(ctx, volId, { cascade: true })).rejects.toBeInstanceOf(
        InvalidVolumeError,
      );
      expect(await cloud.rows.get(volId)).toMatchObject({ status: 'available' });
      expect(await cloud.rows.getSnapshot(snap.id)).toMatchObject({ status: 'creating' });

      await cloud.rows.snapshotTransition(snap.id, ['creating'], 'available');
      d.failNext('delete_snapshot');
      await cloud.api.delete(ctx, volId, { cascade: true });

      expect(await cloud.settled(volId)).toMatchObject({ status: 'error_deleting' });
      expect(await cloud.rows.getSnapshot(snap.id)).toMatchObject({ status: 'error_deleting' });
      expect(d.volumes.has(volId)).toBe(true);
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], snapshots: [1, 0], gigabytes: [2, 0] });
    });

    it('force delete (admin) takes a snapshot and a volume stuck in error_deleting, quota back once', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 2 });
      await cloud.settled(volId);
      const snap = await cloud.api.createSnapshot(ctx, snapReq(volId));
      await cloud.snapshotSettled(snap.id);
      d.failNext('delete_snapshot');
      await cloud.api.deleteSnapshot(ctx, snap.id);
      expect(await cloud.snapshotSettled(snap.id)).toMatchObject({ status: 'error_deleting' });

      await expect(cloud.api.deleteSnapshot(ctx, snap.id)).rejects.toBeInstanceOf(InvalidSnapshotError);
      await cloud.api.deleteSnapshot(ctx, snap.id, { force: true });
      expect(await cloud.snapshotSettled(snap.id)).toBeNull();

      d.failNext('delete');
      await cloud.api.delete(ctx, volId);
      expect(await cloud.settled(volId)).toMatchObject({ status: 'error_deleting' });
      await expect(cloud.api.delete(ctx, volId)).rejects.toBeInstanceOf(InvalidVolumeError);
      await cloud.api.delete(ctx, volId, { force: true });
      expect(await cloud.settled(volId)).toBeNull();
      expect(
        await usageSettled(cloud, 'p1', { volumes: [0, 0], snapshots: [0, 0], gigabytes: [0, 0] }),
      ).toEqual({
        volumes: [0, 0],
        snapshots: [0, 0],
        gigabytes: [0, 0],
      });
    });

    it("a volume from a snapshot is placed on the snapshot's backend even when another has more room", async () => {
      const a = new FakeDriver({ capacityGb: 100 });
      const b = new FakeDriver({ capacityGb: 100 });
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { a: { driver: a }, b: { driver: b } },
      });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 5 });
      const vol = await cloud.settled(volId);
      const origin = vol!.host!.startsWith('a@') ? a : b;
      const originNode = origin === a ? 'a' : 'b';
      // Make the other backend the roomier one in the scheduler's eyes.
      (origin === a ? b : a).setCapacity(1000);
      await cloud.managers[originNode === 'a' ? 'b' : 'a']!.publish_service_capabilities(
        RequestContext.admin(),
      );
      await waitFor(() =>
        cloud!.scheduler.hostManager
          .getAllBackendStates()
          .then((st) => st.some((x) => x.usableFreeGb >= 900)),
      );
      const snap = await cloud.api.createSnapshot(ctx, snapReq(volId));
      expect(await cloud.snapshotSettled(snap.id)).toMatchObject({ status: 'available' });

      const ids = [
        await cloud.create('p1', { size: null, snapshotId: snap.id }),
        await cloud.create('p1', { size: null, snapshotId: snap.id }),
      ];

      for (const id of ids) {
        expect(await cloud.settled(id)).toMatchObject({
          status: 'available',
          host: `${originNode}@fake#fake`,
          size: 5,
        });
        expect(origin.volumes.get(id)).toBe(5);
      }
      expect(origin.calls.filter((c) => c.startsWith('create_from_snapshot'))).toHaveLength(2);
    });

    it("a clone is copied from its source volume on the source's backend", async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const src = await cloud.create('p1', { size: 2 });
      await cloud.settled(src);

      const clone = await cloud.create('p1', { sourceVolid: src, size: 3 });

      expect(await cloud.settled(clone)).toMatchObject({ status: 'available', sourceVolid: src, size: 3 });
      expect(d.calls).toContain(`clone ${clone} ${src}`);
      expect(d.volumes.get(clone)).toBe(3);
    });

    it('a volume whose snapshot is gone by the time the backend copies ends in error without a reschedule', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 1 });
      await cloud.settled(volId);
      const snap = await cloud.api.createSnapshot(ctx, snapReq(volId));
      await cloud.snapshotSettled(snap.id);
      // The snapshot disappears between the API's checks and the backend's copy.
      const realGet = cloud.rows.getSnapshot.bind(cloud.rows);
      const manager = cloud.managers['n1']!;
      const rows = (manager as unknown as { rows: { getSnapshot: typeof realGet } }).rows;
      const spy = jest
        .spyOn(rows, 'getSnapshot')
        .mockImplementation(async (id) => (id === snap.id ? null : realGet(id)));

      const id = await cloud.create('p1', { size: null, snapshotId: snap.id });

      try {
        expect(await cloud.settled(id)).toMatchObject({ status: 'error' });
      } finally {
        spy.mockRestore();
      }
      expect(d.calls.filter((c) => c.startsWith('create'))).toEqual([
        `create ${volId}`,
        `create_snapshot ${snap.id} ${volId}`,
      ]);
    });

    it('on start, takes again the snapshots its backend left creating and deletes those left deleting', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const ctx = cloud.ctx('p1');
      const volId = await cloud.create('p1', { size: 1 });
      await cloud.settled(volId);
      const s1 = await cloud.api.createSnapshot(ctx, snapReq(volId, 's1'));
      const s2 = await cloud.api.createSnapshot(ctx, snapReq(volId, 's2'));
      await cloud.snapshotSettled(s1.id);
      await cloud.snapshotSettled(s2.id);
      await cloud.stop();
      cloud = undefined;
      const repo = db.dataSource.getRepository(SnapshotEntity);
      await repo.update({ id: s1.id }, { status: 'creating' });
      await repo.update({ id: s2.id }, { status: 'deleting' });

      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });

      expect(await cloud.rows.getSnapshot(s1.id)).toMatchObject({ status: 'available' });
      expect(await cloud.rows.getSnapshot(s2.id)).toBeNull();
      expect(
        cloud.managers['n1']!.recoveredSnapshots.map(
          (r) => `${r.snapshotId === s1.id ? 's1' : 's2'}:${r.was}->${r.now}`,
        ).sort(),
      ).toEqual(['s1:creating->available', 's2:deleting->deleted']);
      expect(
        await usageSettled(cloud, 'p1', { volumes: [1, 0], snapshots: [1, 0], gigabytes: [2, 0] }),
      ).toEqual({
        volumes: [1, 0],
        snapshots: [1, 0],
        gigabytes: [2, 0],
      });
    });
  });
}
