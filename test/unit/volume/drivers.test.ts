import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { FakeDriver, FileDriver, GIB, VolumeBackendError } from '../../../src/volume/drivers';

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
    expect(await d.getVolumeStats()).toMatchObject({ volume_backend_name: 'file', total_capacity_gb: 50, allocated_capacity_gb: 3, free_capacity_gb: 47 });
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
    await expect(new FileDriver({ directory: path.join(dir, 'file', 'x') }).doSetup()).rejects.toBeInstanceOf(VolumeBackendError);
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
