import { v4 as uuidv4 } from 'uuid';
import { VolumeEntity } from '../../../src/db/entities';
import { RequestContext } from '../../../src/rpc/context';
import { InvalidRpcMessageError } from '../../../src/rpc/errors';
import { FakeDriver } from '../../../src/volume/drivers';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { startVolumeCloud, type VolumeCloud } from './backend-cloud';

const ctx = RequestContext.admin();

describe('VolumeManager RPC methods', () => {
  let db: TestDatabase;
  let cloud: VolumeCloud;
  let driver: FakeDriver;

  beforeEach(async () => {
    db = await createTestSqliteDatabase();
    driver = new FakeDriver({ createDelayMs: 20 });
    cloud = await startVolumeCloud({ dataSource: db.dataSource, backends: { n1: { driver } } });
  });
  afterEach(async () => {
    await cloud.stop();
    await db.drop();
  });

  it('refuses malformed messages with a clear error and changes nothing', async () => {
    const m = cloud.managers['n1']!;

    await expect(m.create_volume(ctx, {})).rejects.toThrow('create_volume needs a volumeId');
    await expect(m.create_volume(ctx, { volumeId: 'x', host: 'other@fake#fake' })).rejects.toThrow(
      "create_volume for host 'other@fake#fake' reached n1@fake",
    );
    await expect(m.delete_volume(ctx, { volumeId: 7 })).rejects.toBeInstanceOf(InvalidRpcMessageError);
    await expect(m.extend_volume(ctx, { volumeId: 'x', newSizeGb: 0, reservations: [] })).rejects.toThrow(
      'positive integer newSizeGb',
    );
    await expect(m.extend_volume(ctx, { volumeId: 'x', newSizeGb: 2, reservations: [1] })).rejects.toThrow(
      'reservations',
    );

    expect(driver.calls).toEqual([]);
  });

  it('a create delivered more than once (while the first runs, and after) creates the volume once', async () => {
    const id = await cloud.create('p1', { size: 1 });
    const m = cloud.managers['n1']!;
    const again = { volumeId: id, host: 'n1@fake#fake', requestSpec: {}, filterProperties: {} };

    await Promise.all([m.create_volume(ctx, again), m.create_volume(ctx, again)]);
    await cloud.settled(id);
    await m.create_volume(ctx, again);

    expect(driver.calls).toEqual([`create ${id}`]);
    expect(await cloud.rows.get(id)).toMatchObject({ status: 'available' });
  });

  it('ignores a delete for a volume that is not deleting', async () => {
    const id = await cloud.create('p1', { size: 1 });
    await cloud.settled(id);

    await cloud.managers['n1']!.delete_volume(ctx, { volumeId: id });
    await cloud.managers['n1']!.delete_volume(ctx, { volumeId: uuidv4() });

    expect(await cloud.rows.get(id)).toMatchObject({ status: 'available' });
    expect(driver.calls).toEqual([`create ${id}`]);
  });

  it('sets the service record to its availability zone and reports capabilities with it', async () => {
    await cloud.stop();
    await db.drop();
    db = await createTestSqliteDatabase();
    cloud = await startVolumeCloud({
      dataSource: db.dataSource,
      backends: { z1: { driver: new FakeDriver({ capacityGb: 42 }), availabilityZone: 'zone-1' } },
    });

    const rows: Array<{ host: string; availability_zone: string }> = await db.dataSource.query(
      "SELECT host, availability_zone FROM services WHERE `binary` = 'cinder-volume'",
    );

    expect(rows).toEqual([{ host: 'z1@fake', availability_zone: 'zone-1' }]);
    expect(cloud.scheduler.hostManager.get('z1@fake')).toMatchObject({
      availabilityZone: 'zone-1',
      totalCapacityGb: 42,
      freeCapacityGb: 42,
    });
    expect(await db.dataSource.getRepository(VolumeEntity).count()).toBe(0);
  });
});
