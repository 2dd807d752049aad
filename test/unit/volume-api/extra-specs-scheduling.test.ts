/**
 * An extra spec set through the API takes effect for the very next create: the real scheduler
 * (FilterScheduler's CapabilitiesFilter on `volume_backend_name`) and two volume services on fake
 * drivers behind the /v3 routes, on SQLite and the in-process transport. The API caches types for a
 * second, so this also guards that a spec write clears that cache.
 */
import request from 'supertest';
import { createApp } from '../../../src/api/app';
import { volumeV3Routes } from '../../../src/api/routes/v3';
import { silentLogger } from '../../../src/log';
import { FakeDriver } from '../../../src/volume/drivers';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { startVolumeCloud, type VolumeCloud } from '../volume/backend-cloud';

const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const ADMIN = `admin:${PROJECT}`;

describe('extra specs set through the API steer the next create (SQLite, real scheduler)', () => {
  let db: TestDatabase;
  let cloud: VolumeCloud;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    db = await createTestSqliteDatabase();
    // "big" has far more free space, so without a backend name every volume lands there.
    cloud = await startVolumeCloud({
      dataSource: db.dataSource,
      backends: {
        big: { driver: new FakeDriver({ backendName: 'big', capacityGb: 1000 }) },
        small: { driver: new FakeDriver({ backendName: 'small', capacityGb: 10 }) },
      },
    });
    app = createApp({
      config: { maxRequestBodySize: 114688 },
      logger: silentLogger(),
      mountV3: volumeV3Routes(cloud.api),
    });
  });
  afterAll(async () => {
    await cloud?.stop();
    await db?.drop();
  });

  const call = (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown): request.Test => {
    const r = request(app)[method](`/v3/${PROJECT}${path}`).set('X-Auth-Token', ADMIN);
    return body === undefined ? r : r.set('Content-Type', 'application/json').send(JSON.stringify(body));
  };
  async function createAndSettle(volumeType: string): Promise<string | null> {
    const res = await call('post', '/volumes', { volume: { size: 1, volume_type: volumeType } });
    expect(res.status).toBe(202);
    const v = await cloud.settled((res.body as { volume: { id: string } }).volume.id);
    expect(v?.status).toBe('available');
    return v?.host ?? null;
  }
  async function deleteAndSettle(id: string): Promise<void> {
    expect((await call('delete', `/volumes/${id}`)).status).toBe(202);
    await cloud.settled(id);
  }

  it('type-key set, create, delete, type-key unset, create', async () => {
    const type = await call('post', '/types', { volume_type: { name: 'pinned' } });
    const typeId = (type.body as { volume_type: { id: string } }).volume_type.id;
    // Warm the API's type cache with the spec-less type.
    expect((await call('get', '/types')).status).toBe(200);
    expect(await createAndSettle('pinned')).toBe('big@big#big');
    const first = (await call('get', '/volumes')).body.volumes[0].id as string;
    await deleteAndSettle(first);

    expect(
      (await call('post', `/types/${typeId}/extra_specs`, { extra_specs: { volume_backend_name: 'small' } }))
        .status,
    ).toBe(200);
    const onSmall = await createAndSettle('pinned');
    expect(onSmall).toBe('small@small#small');

    // The spec cannot change while a volume of the type lives; once it is gone, unset it.
    const second = (await call('get', '/volumes')).body.volumes[0].id as string;
    expect((await call('delete', `/types/${typeId}/extra_specs/volume_backend_name`)).status).toBe(400);
    await deleteAndSettle(second);
    expect((await call('delete', `/types/${typeId}/extra_specs/volume_backend_name`)).status).toBe(202);
    expect(await createAndSettle('pinned')).toBe('big@big#big');

    // A backend name no backend has: the create is accepted and ends in error (no valid host).
    const third = (await call('get', '/volumes')).body.volumes[0].id as string;
    await deleteAndSettle(third);
    expect(
      (
        await call('put', `/types/${typeId}/extra_specs/volume_backend_name`, {
          volume_backend_name: 'nowhere',
        })
      ).status,
    ).toBe(200);
    const res = await call('post', '/volumes', { volume: { size: 1, volume_type: 'pinned' } });
    expect((await cloud.settled((res.body as { volume: { id: string } }).volume.id))?.status).toBe('error');
  });
});
