/**
 * The volume backend side end to end without HTTP, on a real database and the real in-process
 * transport: VolumeAPI (API flow) → scheduler (filter, weigh, consume) → volume service (manager flow,
 * driver) → `available`; reschedule, max attempts, delete, extend, zones and types, crash recovery.
 * Run by `volume-backend.test.ts` (SQLite) and `test/integration/volume/volume-backend.int.test.ts` (MariaDB).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { VolumeEntity } from '../../../src/db/entities';
import { RequestContext } from '../../../src/rpc/context';
import { FakeDriver, FileDriver, GIB } from '../../../src/volume/drivers';
import type { TestDatabase } from '../../helpers/db';
import { startVolumeCloud, type VolumeCloud } from './backend-cloud';

async function usage(
  cloud: VolumeCloud,
  projectId: string,
): Promise<{ volumes: [number, number]; gigabytes: [number, number] }> {
  const q = await cloud.quotas.getProjectQuotas(projectId, { usages: true });
  return {
    volumes: [q['volumes']!.inUse, q['volumes']!.reserved],
    gigabytes: [q['gigabytes']!.inUse, q['gigabytes']!.reserved],
  };
}

async function insertVolume(
  db: TestDatabase,
  over: Partial<VolumeEntity> & { id: string; status: string },
): Promise<void> {
  await db.dataSource.getRepository(VolumeEntity).insert({
    projectId: 'p1',
    userId: 'u1',
    size: 1,
    attachStatus: 'detached',
    displayName: null,
    displayDescription: null,
    availabilityZone: 'nova',
    volumeTypeId: null,
    snapshotId: null,
    sourceVolid: null,
    host: null,
    bootable: false,
    encryptionKeyId: null,
    multiattach: false,
    migrationStatus: null,
    createdAt: new Date(),
    updatedAt: null,
    deletedAt: null,
    deleted: false,
    ...over,
  });
}

/**
 * The usage once the volume service has finished: a delete removes the row and then commits the
 * release (Cinder's order), so the release becomes visible a moment after the row disappears. Polls
 * briefly for `expected` and returns what it last saw (which the caller asserts).
 */
async function usageSettled(
  cloud: VolumeCloud,
  projectId: string,
  expected: Awaited<ReturnType<typeof usage>>,
): Promise<Awaited<ReturnType<typeof usage>>> {
  const end = Date.now() + 2000;
  for (;;) {
    const u = await usage(cloud, projectId);
    if (JSON.stringify(u) === JSON.stringify(expected) || Date.now() > end) return u;
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function volumeBackendSuite(name: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`volume backend (${name})`, () => {
    let db: TestDatabase;
    let cloud: VolumeCloud | undefined;
    let dir: string;

    beforeEach(async () => {
      db = await makeDb();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-volumes-'));
    });

    afterEach(async () => {
      await cloud?.stop();
      cloud = undefined;
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('creates a sparse file of the volume size and ends available with the host set', async () => {
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { node1: { driver: new FileDriver({ directory: dir, capacityGb: 100 }) } },
      });

      const id = await cloud.create('p1', { size: 2 });
      const v = await cloud.settled(id);

      expect(v).toMatchObject({ status: 'available', host: 'node1@file#file', size: 2 });
      const st = fs.statSync(path.join(dir, `volume-${id}`));
      expect(st.size).toBe(2 * GIB);
      expect(st.blocks * 512).toBeLessThan(GIB); // sparse
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], gigabytes: [2, 0] });
    });

    it('spreads a burst over equal backends by consuming capacity on each pick', async () => {
      const a = new FakeDriver({ backendName: 'fake', capacityGb: 100 });
      const b = new FakeDriver({ backendName: 'fake', capacityGb: 100 });
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { a: { driver: a }, b: { driver: b } },
      });

      const ids = await Promise.all([1, 2, 3, 4].map(() => cloud!.create('p1', { size: 10 })));
      const settled = await Promise.all(ids.map((id) => cloud!.settled(id)));

      expect(settled.every((v) => v?.status === 'available')).toBe(true);
      expect(a.volumes.size).toBe(2);
      expect(b.volumes.size).toBe(2);
      expect(new Set(settled.map((v) => v!.host))).toEqual(new Set(['a@fake#fake', 'b@fake#fake']));
    });

    it('reschedules to another backend when the driver fails on the first', async () => {
      const big = new FakeDriver({ capacityGb: 500 });
      const small = new FakeDriver({ capacityGb: 100 });
      big.failAlways('create');
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { big: { driver: big }, small: { driver: small } },
      });

      const id = await cloud.create('p1', { size: 5 });
      const v = await cloud.settled(id);

      expect(big.calls).toEqual([`create ${id}`]);
      expect(v).toMatchObject({ status: 'available', host: 'small@fake#fake' });
      expect(big.volumes.size).toBe(0);
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], gigabytes: [5, 0] });
    });

    it('ends in error after scheduler_max_attempts when every backend fails, quota exact until deleted', async () => {
      const drivers = [1, 2, 3, 4].map(() => new FakeDriver({ capacityGb: 100 }));
      for (const d of drivers) d.failAlways('create');
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        maxAttempts: 3,
        backends: Object.fromEntries(drivers.map((d, i) => [`n${i}`, { driver: d }])),
      });

      const id = await cloud.create('p1', { size: 3 });
      const v = await cloud.settled(id);

      expect(v).toMatchObject({ status: 'error', host: null });
      expect(drivers.reduce((n, d) => n + d.calls.length, 0)).toBe(3);
      expect(drivers.every((d) => d.volumes.size === 0)).toBe(true);
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], gigabytes: [3, 0] });

      await cloud.api.delete(cloud.ctx('p1'), id);
      expect(await cloud.settled(id)).toBeNull();
      expect(await usageSettled(cloud, 'p1', { volumes: [0, 0], gigabytes: [0, 0] })).toEqual({
        volumes: [0, 0],
        gigabytes: [0, 0],
      });
    });

    it('sets error when no backend has the room (NoValidBackend)', async () => {
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { n1: { driver: new FakeDriver({ capacityGb: 10 }) } },
      });

      const id = await cloud.create('p1', { size: 11 });

      expect(await cloud.settled(id)).toMatchObject({ status: 'error', host: null });
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], gigabytes: [11, 0] });
    });

    it('deletes: removes the file, soft-deletes the row and gives the quota back', async () => {
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { node1: { driver: new FileDriver({ directory: dir, capacityGb: 100 }) } },
      });
      const id = await cloud.create('p1', { size: 1, metadata: { k: 'v' } });
      await cloud.settled(id);
      const file = path.join(dir, `volume-${id}`);
      expect(fs.existsSync(file)).toBe(true);

      await cloud.api.delete(cloud.ctx('p1'), id);

      expect(await cloud.settled(id)).toBeNull();
      expect(fs.existsSync(file)).toBe(false);
      const row = await db.dataSource.getRepository(VolumeEntity).findOneByOrFail({ id });
      expect(row).toMatchObject({ deleted: true, status: 'deleted' });
      expect(row.deletedAt).not.toBeNull();
      const meta: Array<{ deleted: unknown }> = await db.dataSource.query(
        'SELECT deleted FROM volume_metadata WHERE volume_id = ?',
        [id],
      );
      expect(meta.map((m) => Number(m.deleted))).toEqual([1]);
      expect(await usageSettled(cloud, 'p1', { volumes: [0, 0], gigabytes: [0, 0] })).toEqual({
        volumes: [0, 0],
        gigabytes: [0, 0],
      });
    });

    it('the volume service gives back nothing for a volume whose quota already went back (use_quota off), and the rest exactly', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const counted = await cloud.create('p1', { size: 2 });
      const released = await cloud.create('p1', { size: 3 });
      await cloud.settled(counted);
      await cloud.settled(released);
      // As QuotaCommit's revert does: the quota goes back and the row stops counting.
      expect(await cloud.api.db.releaseVolumeQuota(released)).toBe(true);
      const ids = await cloud.quotas.reserve({ projectId: 'p1' }, { volumes: -1, gigabytes: -3 });
      await cloud.quotas.commit({ projectId: 'p1' }, ids);
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], gigabytes: [2, 0] });

      await cloud.api.delete(cloud.ctx('p1'), released);
      expect(await cloud.settled(released)).toBeNull();
      expect(await usageSettled(cloud, 'p1', { volumes: [1, 0], gigabytes: [2, 0] })).toEqual({
        volumes: [1, 0],
        gigabytes: [2, 0],
      });

      await cloud.api.delete(cloud.ctx('p1'), counted);
      expect(await cloud.settled(counted)).toBeNull();
      expect(await usageSettled(cloud, 'p1', { volumes: [0, 0], gigabytes: [0, 0] })).toEqual({
        volumes: [0, 0],
        gigabytes: [0, 0],
      });
      expect(d.calls.filter((c) => c.startsWith('delete'))).toEqual([
        `delete ${released}`,
        `delete ${counted}`,
      ]);
    });

    it('leaves error_deleting and the quota counted when the driver cannot delete', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const id = await cloud.create('p1', { size: 4 });
      await cloud.settled(id);
      d.failNext('delete');

      await cloud.api.delete(cloud.ctx('p1'), id);

      expect(await cloud.settled(id)).toMatchObject({ status: 'error_deleting' });
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], gigabytes: [4, 0] });
    });

    it('extends: the file grows, the size is saved and the extra gigabytes are committed', async () => {
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { node1: { driver: new FileDriver({ directory: dir, capacityGb: 100 }) } },
      });
      const id = await cloud.create('p1', { size: 1 });
      await cloud.settled(id);

      await cloud.api.extend(cloud.ctx('p1'), id, 3);

      expect(await cloud.settled(id)).toMatchObject({ status: 'available', size: 3 });
      expect(fs.statSync(path.join(dir, `volume-${id}`)).size).toBe(3 * GIB);
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], gigabytes: [3, 0] });
    });

    it('rolls the extend reservation back and sets error_extending when the driver fails', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const id = await cloud.create('p1', { size: 1 });
      await cloud.settled(id);
      d.failNext('extend');

      await cloud.api.extend(cloud.ctx('p1'), id, 5);

      expect(await cloud.settled(id)).toMatchObject({ status: 'error_extending', size: 1 });
      expect(await usage(cloud, 'p1')).toEqual({ volumes: [1, 0], gigabytes: [1, 0] });
    });

    it("places by availability zone and by the type's volume_backend_name", async () => {
      const gold = new FakeDriver({ backendName: 'gold', capacityGb: 10 });
      const silver = new FakeDriver({ backendName: 'silver', capacityGb: 1000 });
      const east = new FakeDriver({ backendName: 'silver', capacityGb: 1000 });
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: {
          g: { driver: gold },
          s: { driver: silver },
          e: { driver: east, availabilityZone: 'east' },
        },
      });
      await cloud.api.createType({
        name: 'gold',
        description: null,
        extraSpecs: { volume_backend_name: 'gold' },
        isPublic: true,
      });

      const inGold = await cloud.create('p1', { size: 1, volumeType: 'gold' });
      const inEast = await cloud.create('p1', { size: 1, availabilityZone: 'east' });
      const anywhere = await cloud.create('p1', { size: 1 });

      expect(await cloud.settled(inGold)).toMatchObject({ status: 'available', host: 'g@gold#gold' });
      expect(await cloud.settled(inEast)).toMatchObject({ status: 'available', host: 'e@silver#silver' });
      expect(await cloud.settled(anywhere)).toMatchObject({ status: 'available', host: 's@silver#silver' });
    });

    it('publishes volume lifecycle notifications in the OpenStack shape on topic notifications', async () => {
      const d = new FakeDriver({ capacityGb: 10 });
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver: d } } });
      const seen: Array<{ method: string; args: Record<string, unknown> }> = [];
      const sub = await cloud.transport.listen(
        { topic: 'notifications', server: 'listener', fanout: true },
        async (m) => {
          seen.push({ method: m.method, args: m.args });
        },
      );
      const events = (id: string): string[] =>
        seen
          .filter((n) => (n.args['payload'] as { volume_id: string }).volume_id === id)
          .map((n) => `${n.args['event_type'] as string}@${n.args['publisher_id'] as string}`);

      const ok = await cloud.create('p1', { size: 2 });
      await cloud.settled(ok);
      await cloud.api.delete(cloud.ctx('p1'), ok);
      await cloud.settled(ok);
      const tooBig = await cloud.create('p1', { size: 50 });
      await cloud.settled(tooBig);
      d.failAlways('create');
      const failing = await cloud.create('p1', { size: 1 });
      await cloud.settled(failing);
      await new Promise((r) => setTimeout(r, 50));
      await sub.close();

      expect(events(ok)).toEqual([
        'volume.create.start@volume.n1@fake',
        'volume.create.end@volume.n1@fake',
        'volume.delete.start@volume.n1@fake',
        'volume.delete.end@volume.n1@fake',
      ]);
      expect(events(tooBig)).toEqual(['volume.create.error@scheduler.ctl']);
      // one attempt on the only backend, then the scheduler finds no backend left to try
      expect(events(failing)).toEqual([
        'volume.create.start@volume.n1@fake',
        'volume.create.error@scheduler.ctl',
      ]);
      const end = seen.find((n) => n.args['event_type'] === 'volume.create.end')!;
      expect(end.method).toBe('info');
      expect(end.args).toMatchObject({
        priority: 'INFO',
        payload: { tenant_id: 'p1', volume_id: ok, size: 2, status: 'available', host: 'n1@fake#fake' },
      });
      expect(end.args['message_id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(end.args['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
      const err = seen.find((n) => n.args['event_type'] === 'volume.create.error')!;
      expect(err).toMatchObject({
        method: 'error',
        args: { priority: 'ERROR', payload: { status: 'error' } },
      });
      expect(String((err.args['payload'] as Record<string, unknown>)['error_message'])).toMatch(
        /No valid backend/,
      );
    });

    it('creates again a volume stuck creating on its backend (lost cast), leaving recent ones and other backends alone', async () => {
      const d = new FakeDriver();
      cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n_1: { driver: d } } });
      const stuck = uuidv4();
      const recent = uuidv4();
      const old = new Date(Date.now() - 10 * 60_000);
      await insertVolume(db, {
        id: stuck,
        status: 'creating',
        host: 'n_1@fake#fake',
        createdAt: old,
        updatedAt: old,
      });
      await insertVolume(db, { id: recent, status: 'creating', host: 'n_1@fake#fake' });
      const other = uuidv4();
      await insertVolume(db, {
        id: other,
        status: 'creating',
        host: 'nx1@fake#fake',
        createdAt: old,
        updatedAt: old,
      });

      const resumed = await cloud.managers['n_1']!.resumeStuckCreates();

      expect(resumed).toEqual([{ volumeId: stuck, was: 'creating', now: 'available' }]);
      expect(await cloud.rows.get(stuck)).toMatchObject({ status: 'available', host: 'n_1@fake#fake' });
      expect(await cloud.rows.get(recent)).toMatchObject({ status: 'creating' });
      expect(await cloud.rows.get(other)).toMatchObject({ status: 'creating' });
      expect(d.calls).toEqual([`create ${stuck}`]);
    });

    it('the scheduler places again a volume left creating with no host (its cast never arrived)', async () => {
      const gold = new FakeDriver({ backendName: 'gold' });
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { n1: { driver: new FakeDriver() }, n2: { driver: gold } },
      });
      const type = await cloud.api.createType({
        name: 'gold',
        description: null,
        extraSpecs: { volume_backend_name: 'gold' },
        isPublic: true,
      });
      const lost = uuidv4();
      const fresh = uuidv4();
      const old = new Date(Date.now() - 10 * 60_000);
      await insertVolume(db, {
        id: lost,
        status: 'creating',
        volumeTypeId: type.id,
        createdAt: old,
        updatedAt: old,
      });
      await insertVolume(db, { id: fresh, status: 'creating' });

      const placed = await cloud.scheduler.placeUnplaced(RequestContext.admin());

      expect(placed).toEqual([lost]);
      expect(await cloud.settled(lost)).toMatchObject({ status: 'available', host: 'n2@gold#gold' });
      expect(await cloud.rows.get(fresh)).toMatchObject({ status: 'creating', host: null });
    });

    it('on start, finishes volumes its backend left creating and deletes those left deleting', async () => {
      const repo = db.dataSource.getRepository(VolumeEntity);
      const base = {
        projectId: 'p1',
        userId: 'u1',
        size: 1,
        attachStatus: 'detached',
        displayName: null,
        displayDescription: null,
        availabilityZone: 'nova',
        volumeTypeId: null,
        snapshotId: null,
        sourceVolid: null,
        bootable: false,
        encryptionKeyId: null,
        multiattach: false,
        migrationStatus: null,
        createdAt: new Date(),
        updatedAt: null,
        deletedAt: null,
        deleted: false,
      };
      const creating = uuidv4();
      const deleting = uuidv4();
      const elsewhere = uuidv4();
      await repo.insert({ ...base, id: creating, status: 'creating', host: 'node1@file#file' });
      await repo.insert({ ...base, id: deleting, status: 'deleting', host: 'node1@file#file' });
      await repo.insert({ ...base, id: elsewhere, status: 'creating', host: 'node2@file#file' });
      fs.writeFileSync(path.join(dir, `volume-${deleting}`), '');

      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: { node1: { driver: new FileDriver({ directory: dir, capacityGb: 100 }) } },
      });

      expect(await cloud.rows.get(creating)).toMatchObject({ status: 'available', host: 'node1@file#file' });
      expect(fs.statSync(path.join(dir, `volume-${creating}`)).size).toBe(GIB);
      expect(await cloud.rows.get(deleting)).toBeNull();
      expect(fs.existsSync(path.join(dir, `volume-${deleting}`))).toBe(false);
      expect(await cloud.rows.get(elsewhere)).toMatchObject({ status: 'creating' });
      expect(cloud.managers['node1']!.recovered.map((r) => `${r.was}->${r.now}`)).toEqual([
        'creating->available',
        'deleting->deleted',
      ]);
    });
  });
}
