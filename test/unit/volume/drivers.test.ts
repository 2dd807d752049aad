import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { FakeDriver, FileDriver, GIB, VolumeBackendError } from '../../../src/volume/drivers';
import { copySkippingZeros } from '../../../src/volume/drivers/file-driver';

describe('FileDriver', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-filedriver-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a sparse file of the size, idempotently, and reports it as allocated', async () => {
    const d = new FileDriver({ directory: path.join(dir, 'sub'), capacityGb: 50 });
    await d.doSetup();
    const v = { id: uuidv4(), size: 3 };

    await d.createVolume(v);
    await d.createVolume(v);

    const st = fs.statSync(d.pathOf(v.id));
    expect(st.size).toBe(3 * GIB);
    expect(st.blocks * 512).toBeLessThan(GIB);
    expect(await d.volumeExists(v)).toBe(true);
    expect(await d.getVolumeStats()).toMatchObject({
      volume_backend_name: 'file',
      total_capacity_gb: 50,
      allocated_capacity_gb: 3,
      free_capacity_gb: 47,
    });
  });

  it('takes the capacity from the filesystem when none is configured', async () => {
    const d = new FileDriver({ directory: dir, backendName: 'fs' });
    const st = await fs.promises.statfs(dir);

    const stats = await d.getVolumeStats();

    expect(stats.volume_backend_name).toBe('fs');
    expect(stats.total_capacity_gb).toBe(Math.floor((st.blocks * st.bsize) / GIB));
    expect(stats.free_capacity_gb).toBeLessThanOrEqual(Math.floor((st.bavail * st.bsize) / GIB));
    expect(stats.free_capacity_gb).toBeGreaterThanOrEqual(0);
  });

  it('extends up, refuses to shrink, and deletes (a missing file counts as deleted)', async () => {
    const d = new FileDriver({ directory: dir });
    const v = { id: uuidv4(), size: 1 };
    await d.createVolume(v);

    await d.extendVolume(v, 4);
    expect(fs.statSync(d.pathOf(v.id)).size).toBe(4 * GIB);
    await expect(d.extendVolume(v, 2)).rejects.toThrow(/smaller than the volume/);
    await d.deleteVolume(v);
    await d.deleteVolume(v);

    expect(fs.existsSync(d.pathOf(v.id))).toBe(false);
    await expect(d.extendVolume(v, 5)).rejects.toBeInstanceOf(VolumeBackendError);
  });

  it('refuses ids that are not uuids (no path tricks) and an unusable directory', async () => {
    const d = new FileDriver({ directory: dir });
    await expect(d.createVolume({ id: '../etc/passwd', size: 1 })).rejects.toThrow(/not a uuid/);
    fs.writeFileSync(path.join(dir, 'file'), '');
    await expect(new FileDriver({ directory: path.join(dir, 'file', 'x') }).doSetup()).rejects.toBeInstanceOf(
      VolumeBackendError,
    );
    expect(() => new FileDriver({ directory: dir, capacityGb: -1 })).toThrow(TypeError);
  });
});

describe('FakeDriver', () => {
  it('fails the injected number of times, then works; failAlways until heal', async () => {
    const d = new FakeDriver({ capacityGb: 10 });
    d.failNext('create', 2);

    await expect(d.createVolume({ id: 'a', size: 1 })).rejects.toBeInstanceOf(VolumeBackendError);
    await expect(d.createVolume({ id: 'a', size: 1 })).rejects.toThrow(/injected failure/);
    await d.createVolume({ id: 'a', size: 4 });
    d.failAlways('delete');
    await expect(d.deleteVolume({ id: 'a', size: 4 })).rejects.toThrow();
    d.heal();
    expect(await d.getVolumeStats()).toMatchObject({ free_capacity_gb: 6, allocated_capacity_gb: 4 });
    await d.deleteVolume({ id: 'a', size: 4 });

    expect(d.calls).toEqual(['create a', 'create a', 'create a', 'delete a', 'delete a']);
    expect(d.volumes.size).toBe(0);
  });
});

describe('FileDriver snapshots and copies', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-filedriver-snap-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const writeAt = (file: string, offset: number, text: string): void => {
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from(text), 0, text.length, offset);
    fs.closeSync(fd);
  };
  const readAt = (file: string, offset: number, length: number): string => {
    const fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    fs.closeSync(fd);
    return b.toString();
  };

  it('snapshots a volume as a sparse point-in-time copy, makes volumes and clones from it, deletes it', async () => {
    const d = new FileDriver({ directory: dir, capacityGb: 50 });
    const v = { id: uuidv4(), size: 1 };
    await d.createVolume(v);
    writeAt(d.pathOf(v.id), 700 * 1024 * 1024, 'payload');
    const snap = { id: uuidv4(), volumeId: v.id, volumeSize: 1 };

    await d.createSnapshot(snap);
    await d.createSnapshot(snap); // idempotent
    writeAt(d.pathOf(v.id), 700 * 1024 * 1024, 'changed');

    const sfile = d.snapshotPathOf(snap.id);
    expect(fs.statSync(sfile).size).toBe(GIB);
    expect(fs.statSync(sfile).blocks * 512).toBeLessThan(8 * 1024 * 1024);
    expect(readAt(sfile, 700 * 1024 * 1024, 7)).toBe('payload');
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.part'))).toEqual([]);

    const fromSnap = { id: uuidv4(), size: 3 };
    await d.createVolumeFromSnapshot(fromSnap, snap);
    expect(fs.statSync(d.pathOf(fromSnap.id)).size).toBe(3 * GIB);
    expect(readAt(d.pathOf(fromSnap.id), 700 * 1024 * 1024, 7)).toBe('payload');

    const clone = { id: uuidv4(), size: 1 };
    await d.createClonedVolume(clone, v);
    expect(readAt(d.pathOf(clone.id), 700 * 1024 * 1024, 7)).toBe('changed');
    expect(fs.statSync(d.pathOf(clone.id)).blocks * 512).toBeLessThan(8 * 1024 * 1024);
    // Snapshots do not count as allocated volume space.
    expect((await d.getVolumeStats()).allocated_capacity_gb).toBe(5);

    await d.deleteSnapshot(snap);
    await d.deleteSnapshot(snap); // a missing snapshot counts as deleted
    expect(fs.existsSync(sfile)).toBe(false);
  });

  it('fails cleanly: snapshot of a missing volume, volume from a missing snapshot (no file left behind)', async () => {
    const d = new FileDriver({ directory: dir, capacityGb: 50 });
    const snap = { id: uuidv4(), volumeId: uuidv4(), volumeSize: 1 };
    await expect(d.createSnapshot(snap)).rejects.toMatchObject({
      name: 'VolumeBackendError',
      operation: 'create_snapshot',
    });
    const v = { id: uuidv4(), size: 1 };
    await expect(d.createVolumeFromSnapshot(v, snap)).rejects.toMatchObject({
      name: 'VolumeBackendError',
      operation: 'create_from_snapshot',
    });
    expect(fs.readdirSync(dir)).toEqual([]);
    await expect(d.createSnapshot({ ...snap, id: '../x' })).rejects.toBeInstanceOf(VolumeBackendError);
  });

  it('the portable copy writes only the non-zero blocks (holes stay holes)', async () => {
    const src = path.join(dir, 'src');
    const dst = path.join(dir, 'dst');
    fs.writeFileSync(src, '');
    fs.truncateSync(src, 32 * 1024 * 1024);
    writeAt(src, 3, 'abc');
    writeAt(src, 20 * 1024 * 1024 + 5, 'xyz');

    await copySkippingZeros(src, dst);

    expect(fs.statSync(dst).size).toBe(32 * 1024 * 1024);
    expect(fs.statSync(dst).blocks * 512).toBeLessThanOrEqual(2 * 64 * 1024 + 8192);
    expect(fs.readFileSync(dst).equals(fs.readFileSync(src))).toBe(true);
  });
});

describe('FakeDriver snapshots', () => {
  it('records snapshots, volumes from them and clones, with failure injection', async () => {
    const d = new FakeDriver();
    const v = { id: uuidv4(), size: 2 };
    await d.createVolume(v);
    const snap = { id: uuidv4(), volumeId: v.id, volumeSize: 2 };
    d.failNext('create_snapshot');
    await expect(d.createSnapshot(snap)).rejects.toBeInstanceOf(VolumeBackendError);
    await d.createSnapshot(snap);
    await d.createVolumeFromSnapshot({ id: 'from', size: 1 }, snap);
    await d.createClonedVolume({ id: 'clone', size: 4 }, v);
    await expect(
      d.createVolumeFromSnapshot({ id: 'x', size: 1 }, { ...snap, id: 'nope' }),
    ).rejects.toBeInstanceOf(VolumeBackendError);
    await d.deleteSnapshot(snap);

    expect(d.volumes.get('from')).toBe(2);
    expect(d.volumes.get('clone')).toBe(4);
    expect(d.snapshots.size).toBe(0);
    expect(d.calls).toEqual([
      `create ${v.id}`,
      `create_snapshot ${snap.id} ${v.id}`,
      `create_snapshot ${snap.id} ${v.id}`,
      `create_from_snapshot from ${snap.id}`,
      `clone clone ${v.id}`,
      `create_from_snapshot x nope`,
      `delete_snapshot ${snap.id}`,
    ]);
  });
});
