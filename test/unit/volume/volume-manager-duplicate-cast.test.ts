/**
 * Casts are delivered at least once over RabbitMQ (a cast cut off before its confirm is published
 * again), so the volume manager's create_volume must do nothing for a copy that arrives once the
 * volume is no longer this backend's to create.
 */
import { RequestContext } from '../../../src/rpc/context';
import { FakeDriver } from '../../../src/volume/drivers';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { startVolumeCloud, type VolumeCloud } from './backend-cloud';

const ctx = RequestContext.admin();

describe('VolumeManager.create_volume delivered again', () => {
  let db: TestDatabase;
  let cloud: VolumeCloud;
  let n1: FakeDriver;
  let n2: FakeDriver;

  beforeEach(async () => {
    db = await createTestSqliteDatabase();
    n1 = new FakeDriver({ createDelayMs: 5 });
    n2 = new FakeDriver({ createDelayMs: 5 });
    cloud = await startVolumeCloud({
      dataSource: db.dataSource,
      backends: { n1: { driver: n1 }, n2: { driver: n2 } },
    });
  });
  afterEach(async () => {
    await cloud.stop();
    await db.drop();
  });

  it('does nothing for a volume now placed on another backend, or waiting for a new placement', async () => {
    const id = await cloud.create('p1', { size: 1 });
    const done = await cloud.settled(id);
    const [here, there] = done!.host!.startsWith('n1@') ? (['n1', 'n2'] as const) : (['n2', 'n1'] as const);
    const drivers = { n1, n2 };
    const callsBefore = [...drivers[there].calls];
    // As if the create had been rescheduled from `there` to `here`: a late copy of the first cast to `there`.
    await cloud.rows.transition(id, ['available'], 'creating');
    await cloud.managers[there]!.create_volume(ctx, {
      volumeId: id,
      host: `${there}@fake#fake`,
      requestSpec: {},
      filterProperties: {},
    });
    // Host cleared (rescheduled, not placed yet): no backend creates it.
    await cloud.rows.transition(id, ['creating'], 'creating', { host: null });
    await cloud.managers[here]!.create_volume(ctx, {
      volumeId: id,
      host: `${here}@fake#fake`,
      requestSpec: {},
      filterProperties: {},
    });

    expect(drivers[there].calls).toEqual(callsBefore);
    expect(drivers[here].calls).toEqual([`create ${id}`]);
    expect(await cloud.rows.get(id)).toMatchObject({ status: 'creating', host: null });
  });
});
